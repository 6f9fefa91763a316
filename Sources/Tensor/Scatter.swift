/// The adjoints of the selection operations: writing or adding values back into place. Autograd uses
/// them for the gradients of `slice`, `padded`, `indexSelect` and `gather`; they are ordinary tensor
/// operations as well (`x[a:b] = y`, `index_add`, `scatter_add`).
extension Tensor {
    /// A copy with the entries `start, start + step, ...` along `axis` (Python slice rules, as `slice`)
    /// replaced by `values`, whose shape must be that of the slice.
    public func replacingSlice(axis: Int, start: Int = 0, end: Int? = nil, step: Int = 1, with values: Tensor) throws -> Tensor {
        let a = try Shape.axis(axis, rank: rank, "replacingSlice")
        let n = shape[a]
        let (s, length) = try Shape.slice(length: n, start: start, end: end, step: step, "replacingSlice")
        var sliceShape = shape
        sliceShape[a] = length
        guard values.shape == sliceShape else {
            throw TensorError.shapeMismatch("replacingSlice: values of shape \(values.shape) do not fit the slice \(sliceShape)")
        }
        var result = self
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
        let src = values.storage.pointer
        result.withUnsafeMutableBufferPointer { out in
            let dst = out.baseAddress!
            for o in 0..<outer {
                for k in 0..<length {
                    let to: Int = (o * n + s + k * step) * inner
                    let from: Int = (o * length + k) * inner
                    (dst + to).update(from: src + from, count: inner)
                }
            }
        }
        return result
    }

    /// The gradient of `padded(widths, mode:)` with respect to its input of shape `inputShape`: each
    /// output position's value is added to the input position it was copied from (constant padding
    /// contributes nothing).
    public static func padGradient(_ gradient: Tensor, widths: [(before: Int, after: Int)], mode: PaddingMode,
                                   inputShape: [Int]) throws -> Tensor {
        let (outShape, sources) = try padSources(inputShape, widths, mode)
        guard outShape == gradient.shape else {
            throw TensorError.shapeMismatch("padGradient: gradient \(gradient.shape) does not match the padded shape \(outShape)")
        }
        let result = try Tensor.zeros(inputShape)
        let g = gradient.storage.pointer, out = result.storage.pointer
        for (i, from) in sources.enumerated() where from >= 0 { out[from] += g[i] }
        return result
    }

    /// A copy with `source` added at the given positions along `axis` (`torch.index_add`); repeated
    /// positions accumulate. `source` has this shape with `indices.count` along `axis`.
    public func indexAdd(axis: Int, indices: [Int], source: Tensor) throws -> Tensor {
        let a = try Shape.axis(axis, rank: rank, "indexAdd")
        var expected = shape
        expected[a] = indices.count
        guard source.shape == expected else {
            throw TensorError.shapeMismatch("indexAdd: source \(source.shape) must be \(expected)")
        }
        for i in indices where i < 0 || i >= shape[a] {
            throw TensorError.invalidArgument("indexAdd: index \(i) is out of range for axis \(a) of length \(shape[a])")
        }
        var result = self
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
        let src = source.storage.pointer
        result.withUnsafeMutableBufferPointer { out in
            for o in 0..<outer {
                for (k, i) in indices.enumerated() {
                    let to: Int = (o * shape[a] + i) * inner, from: Int = (o * indices.count + k) * inner
                    for j in 0..<inner { out[to + j] += src[from + j] }
                }
            }
        }
        return result
    }

    /// A copy with `source` added at the positions `index` names along `axis` (`torch.scatter_add`, the
    /// adjoint of `gather`). `index` and `source` have one shape.
    public func scatterAdd(axis: Int, index: IndexTensor, source: Tensor) throws -> Tensor {
        let a = try Shape.axis(axis, rank: rank, "scatterAdd")
        guard index.shape == source.shape, index.shape.count == rank else {
            throw TensorError.shapeMismatch("scatterAdd: index \(index.shape) and source \(source.shape) must have one shape of rank \(rank)")
        }
        for d in 0..<rank where d != a && index.shape[d] > shape[d] {
            throw TensorError.shapeMismatch("scatterAdd: index shape \(index.shape) exceeds \(shape) at axis \(d)")
        }
        let offsets = try Tensor.indexedOffsets(shape, axis: a, index: index, "scatterAdd")
        var result = self
        let src = source.storage.pointer
        result.withUnsafeMutableBufferPointer { out in
            for (flat, offset) in offsets.enumerated() { out[offset] += src[flat] }
        }
        return result
    }
}
