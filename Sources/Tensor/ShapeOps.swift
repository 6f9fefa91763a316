/// Copies a strided view into a new contiguous tensor: element `idx` of the result (shape `shape`)
/// is `src[offset + sum(idx[d] * strides[d])]`. Strides may be 0 (broadcast) or arbitrary (permute).
func stridedCopy(_ src: UnsafePointer<Float>, offset: Int, strides: [Int], shape: [Int]) -> Tensor {
    let result = Tensor(uninitializedShape: shape)
    let n = result.count
    guard n > 0 else { return result }
    let dst = result.storage.pointer
    let rank = shape.count
    if rank == 0 {
        dst[0] = src[offset]
        return result
    }
    let inner = shape[rank - 1]
    let innerStride = strides[rank - 1]
    let rows = n / inner
    Parallel.forRanges(rows, cost: inner) { range in
        // Odometer over the outer dimensions, starting at the first row of this range.
        var index = [Int](repeating: 0, count: rank)
        var rem = range.lowerBound
        var base = offset
        for d in stride(from: rank - 2, through: 0, by: -1) {
            index[d] = rem % shape[d]
            rem /= shape[d]
            base += index[d] * strides[d]
        }
        for row in range {
            let out = dst + row * inner
            if innerStride == 1 {
                out.update(from: src + base, count: inner)
            } else if innerStride == 0 {
                out.update(repeating: src[base], count: inner)
            } else {
                var s = base
                for j in 0..<inner {
                    out[j] = src[s]
                    s += innerStride
                }
            }
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                base += strides[d]
                if index[d] < shape[d] { break }
                base -= strides[d] * shape[d]
                index[d] = 0
                d -= 1
            }
        }
    }
    return result
}

extension Tensor {
    /// The same values with a new shape; one dimension may be `-1` and is then inferred.
    /// - Throws: if the element counts differ or more than one dimension is `-1`.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        var target = newShape
        let inferred = newShape.indices.filter { newShape[$0] == -1 }
        guard inferred.count <= 1, !newShape.contains(where: { $0 < -1 }) else {
            throw TensorError.invalidArgument("reshape: invalid target shape \(newShape)")
        }
        if let i = inferred.first {
            let known = newShape.enumerated().reduce(1) { $1.offset == i ? $0 : $0 * $1.element }
            guard known > 0, count % known == 0 else {
                throw TensorError.shapeMismatch("reshape: cannot reshape \(shape) (\(count) values) into \(newShape)")
            }
            target[i] = count / known
        }
        guard Shape.count(target) == count else {
            throw TensorError.shapeMismatch("reshape: cannot reshape \(shape) (\(count) values) into \(newShape)")
        }
        return Tensor(shape: target, storage: storage)
    }

    /// Flattens axes `startAxis...endAxis` into one.
    public func flattened(from startAxis: Int = 0, to endAxis: Int = -1) throws -> Tensor {
        if rank == 0 { return try reshaped([1]) }
        let s = try Shape.axis(startAxis, rank: rank, "flatten"), e = try Shape.axis(endAxis, rank: rank, "flatten")
        guard s <= e else { throw TensorError.invalidArgument("flatten: start axis \(startAxis) is after end axis \(endAxis)") }
        let merged = shape[s...e].reduce(1, *)
        return try reshaped(Array(shape[..<s]) + [merged] + Array(shape[(e + 1)...]))
    }

    /// Inserts a dimension of size 1 at `axis` (which may be `rank`, or negative as in PyTorch).
    public func unsqueezed(axis: Int) throws -> Tensor {
        let a = try Shape.axis(axis, rank: rank + 1, "unsqueeze")
        var s = shape
        s.insert(1, at: a)
        return Tensor(shape: s, storage: storage)
    }

    /// Removes dimensions of size 1 (all of them, or only `axis`).
    public func squeezed(axis: Int? = nil) throws -> Tensor {
        if let axis {
            let a = try Shape.axis(axis, rank: rank, "squeeze")
            guard shape[a] == 1 else { return self }
            var s = shape
            s.remove(at: a)
            return Tensor(shape: s, storage: storage)
        }
        return Tensor(shape: shape.filter { $0 != 1 }, storage: storage)
    }

    /// The axes reordered: result axis `i` is input axis `axes[i]`. The values are copied.
    /// - Throws: if `axes` is not a permutation of `0..<rank`.
    public func permuted(_ axes: [Int]) throws -> Tensor {
        guard axes.count == rank else {
            throw TensorError.invalidArgument("permute: \(axes) does not list the \(rank) axes of shape \(shape)")
        }
        let resolved = try axes.map { try Shape.axis($0, rank: rank, "permute") }
        guard Set(resolved).count == rank else {
            throw TensorError.invalidArgument("permute: \(axes) is not a permutation of the axes of shape \(shape)")
        }
        if resolved == Array(0..<rank) { return self }
        let own = Shape.strides(shape)
        return stridedCopy(storage.pointer, offset: 0, strides: resolved.map { own[$0] }, shape: resolved.map { shape[$0] })
    }

    /// Swaps two axes (a copy); the default swaps the last two, the matrix transpose.
    public func transposed(_ axis0: Int = -2, _ axis1: Int = -1) throws -> Tensor {
        guard rank >= 2 || (rank == 1 && axis0 == -2 && axis1 == -1) else {
            throw TensorError.invalidArgument("transpose: tensor of shape \(shape) has fewer than two axes")
        }
        if rank < 2 { return self }
        let a = try Shape.axis(axis0, rank: rank, "transpose"), b = try Shape.axis(axis1, rank: rank, "transpose")
        var axes = Array(0..<rank)
        axes.swapAt(a, b)
        return try permuted(axes)
    }

    /// The values broadcast (materialised) to `target`.
    /// - Throws: if the shape does not broadcast to `target` without changing `target`.
    public func broadcast(to target: [Int]) throws -> Tensor {
        let b = try Shape.broadcast(shape, target, "broadcast")
        guard b == target else {
            throw TensorError.shapeMismatch("broadcast: shape \(shape) cannot be broadcast to \(target)")
        }
        if shape == target { return self }
        return stridedCopy(storage.pointer, offset: 0, strides: Shape.broadcastStrides(shape, to: target), shape: target)
    }

    /// Elements `start, start + step, ...` before `end` along `axis`, with Python slice rules:
    /// negative positions count from the end and positions are clamped to the axis.
    public func slice(axis: Int, start: Int = 0, end: Int? = nil, step: Int = 1) throws -> Tensor {
        let a = try Shape.axis(axis, rank: rank, "slice")
        let (s, length) = try Shape.slice(length: shape[a], start: start, end: end, step: step, "slice")
        var newShape = shape
        newShape[a] = length
        var strides = Shape.strides(shape)
        let offset = s * strides[a]
        strides[a] *= step
        return stridedCopy(storage.pointer, offset: length > 0 ? offset : 0, strides: strides, shape: newShape)
    }

    /// Joins tensors along an existing axis; all other dimensions must agree.
    public static func concatenate(_ tensors: [Tensor], axis: Int) throws -> Tensor {
        guard let first = tensors.first else { throw TensorError.invalidArgument("concatenate: no tensors given") }
        let a = try Shape.axis(axis, rank: first.rank, "concatenate")
        var total = 0
        for (k, t) in tensors.enumerated() {
            var s = t.shape, f = first.shape
            guard s.count == f.count else {
                throw TensorError.shapeMismatch("concatenate: tensor \(k) has shape \(t.shape), tensor 0 has \(first.shape)")
            }
            total += s[a]
            s[a] = 0
            f[a] = 0
            guard s == f else {
                throw TensorError.shapeMismatch("concatenate: tensor \(k) has shape \(t.shape), tensor 0 has \(first.shape) (axis \(a) may differ, no other)")
            }
        }
        var outShape = first.shape
        outShape[a] = total
        let result = Tensor(uninitializedShape: outShape)
        let outer = first.shape[..<a].reduce(1, *)
        let inner = first.shape[(a + 1)...].reduce(1, *)
        let rowOut = total * inner
        var column = 0
        for t in tensors {
            let block = t.shape[a] * inner
            let src = t.storage.pointer, dst = result.storage.pointer + column
            if block > 0 {
                for o in 0..<outer { (dst + o * rowOut).update(from: src + o * block, count: block) }
            }
            column += block
        }
        return result
    }

    /// Joins tensors of one shape along a new axis.
    public static func stack(_ tensors: [Tensor], axis: Int = 0) throws -> Tensor {
        guard let first = tensors.first else { throw TensorError.invalidArgument("stack: no tensors given") }
        for (k, t) in tensors.enumerated() where t.shape != first.shape {
            throw TensorError.shapeMismatch("stack: tensor \(k) has shape \(t.shape), tensor 0 has \(first.shape)")
        }
        let a = try Shape.axis(axis, rank: first.rank + 1, "stack")
        return try concatenate(tensors.map { try $0.unsqueezed(axis: a) }, axis: a)
    }

    /// Splits along `axis` into pieces of the given sizes, which must add up to the axis length.
    public func split(sizes: [Int], axis: Int) throws -> [Tensor] {
        let a = try Shape.axis(axis, rank: rank, "split")
        guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == shape[a] else {
            throw TensorError.invalidArgument("split: sizes \(sizes) do not add up to \(shape[a]), the length of axis \(a) of \(shape)")
        }
        var start = 0
        return try sizes.map { size in
            defer { start += size }
            return try slice(axis: a, start: start, end: start + size)
        }
    }

    /// Splits along `axis` into `count` pieces, as `torch.chunk`: each of size ceil(n / count), the last smaller.
    public func chunked(_ count: Int, axis: Int) throws -> [Tensor] {
        let a = try Shape.axis(axis, rank: rank, "chunk")
        guard count > 0 else { throw TensorError.invalidArgument("chunk: count must be positive, got \(count)") }
        let n = shape[a], size = Swift.max(1, (n + count - 1) / count)
        var sizes: [Int] = []
        var left = n
        while left > 0 { sizes.append(Swift.min(size, left)); left -= size }
        return try split(sizes: sizes.isEmpty ? [0] : sizes, axis: a)
    }

    /// How `padded` fills the new border.
    public enum PaddingMode: Sendable, Equatable {
        /// A constant value.
        case constant(Float)
        /// Mirror the values without repeating the edge (`torch` "reflect", NumPy "reflect").
        case reflect
        /// Repeat the edge value (`torch` "replicate", NumPy "edge").
        case replicate
    }

    /// Pads the last `widths.count` axes; `widths[i]` is `(before, after)` for axis `rank - widths.count + i`.
    /// - Throws: on negative widths, more widths than axes, or reflect padding not smaller than the axis.
    public func padded(_ widths: [(before: Int, after: Int)], mode: PaddingMode = .constant(0)) throws -> Tensor {
        let (outShape, sources) = try Tensor.padSources(shape, widths, mode)
        var fill: Float = 0
        if case .constant(let v) = mode { fill = v }
        let result = Tensor(uninitializedShape: outShape)
        let src = storage.pointer, dst = result.storage.pointer
        sources.withUnsafeBufferPointer { from in
            Parallel.forRanges(from.count) { r in
                for i in r { dst[i] = from[i] < 0 ? fill : src[from[i]] }
            }
        }
        return result
    }

    /// The padded shape, and for every padded element the flat input position it copies (−1: the fill value).
    static func padSources(_ shape: [Int], _ widths: [(before: Int, after: Int)], _ mode: PaddingMode) throws -> ([Int], [Int]) {
        let rank = shape.count
        guard widths.count <= rank else {
            throw TensorError.invalidArgument("pad: \(widths.count) (before, after) pairs for a tensor of rank \(rank)")
        }
        let first = rank - widths.count
        var outShape = shape
        // maps[d][o]: source index along axis d for output index o, or -1 for the constant fill.
        var maps: [[Int]] = []
        for d in 0..<rank {
            let n = shape[d]
            let (before, after) = d >= first ? widths[d - first] : (0, 0)
            guard before >= 0 && after >= 0 else {
                throw TensorError.invalidArgument("pad: negative width (\(before), \(after)) for axis \(d)")
            }
            if mode == .reflect && (before >= n || after >= n) && (before > 0 || after > 0) {
                throw TensorError.invalidArgument("pad: reflect padding (\(before), \(after)) must be smaller than axis \(d) of length \(n)")
            }
            if mode == .replicate && n == 0 && (before > 0 || after > 0) {
                throw TensorError.invalidArgument("pad: cannot replicate-pad the empty axis \(d)")
            }
            outShape[d] = n + before + after
            maps.append((0..<outShape[d]).map { o in
                let i = o - before
                if i >= 0 && i < n { return i }
                switch mode {
                case .constant: return -1
                case .replicate: return i < 0 ? 0 : n - 1
                case .reflect: return i < 0 ? -i : 2 * (n - 1) - i
                }
            })
        }
        let total = Shape.count(outShape)
        var sources = [Int](repeating: -1, count: total)
        guard total > 0 else { return (outShape, sources) }
        let inStrides = Shape.strides(shape)
        let inner = outShape[rank - 1]
        let innerMap = maps[rank - 1]
        var index = [Int](repeating: 0, count: rank)
        for row in 0..<(total / inner) {
            var base = 0
            var valid = true
            for d in 0..<(rank - 1) {
                let m = maps[d][index[d]]
                if m < 0 { valid = false; break }
                base += m * inStrides[d]
            }
            if valid {
                for j in 0..<inner where innerMap[j] >= 0 { sources[row * inner + j] = base + innerMap[j] }
            }
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                if index[d] < outShape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return (outShape, sources)
    }

    /// The entries at the given positions along `axis` (`torch.index_select`); positions may repeat.
    public func indexSelect(axis: Int, indices: [Int]) throws -> Tensor {
        let a = try Shape.axis(axis, rank: rank, "indexSelect")
        for i in indices where i < 0 || i >= shape[a] {
            throw TensorError.invalidArgument("indexSelect: index \(i) is out of range for axis \(a) of length \(shape[a])")
        }
        var outShape = shape
        outShape[a] = indices.count
        let result = Tensor(uninitializedShape: outShape)
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
        let src = storage.pointer, dst = result.storage.pointer
        guard inner > 0 else { return result }
        for o in 0..<outer {
            for (k, i) in indices.enumerated() {
                (dst + (o * indices.count + k) * inner).update(from: src + (o * shape[a] + i) * inner, count: inner)
            }
        }
        return result
    }

    /// `torch.gather`: `out[i_0, ..., i_k] = self[i_0, ..., index[i_0, ..., i_k], ..., i_k]` with the
    /// index replacing position `axis`. `index` has this tensor's rank and is no larger on other axes.
    public func gather(axis: Int, index: IndexTensor) throws -> Tensor {
        let a = try Shape.axis(axis, rank: rank, "gather")
        guard index.shape.count == rank else {
            throw TensorError.shapeMismatch("gather: index of shape \(index.shape) must have the rank of input \(shape)")
        }
        for d in 0..<rank where d != a && index.shape[d] > shape[d] {
            throw TensorError.shapeMismatch("gather: index shape \(index.shape) exceeds input shape \(shape) at axis \(d)")
        }
        let offsets = try Tensor.indexedOffsets(shape, axis: a, index: index, "gather")
        let result = Tensor(uninitializedShape: index.shape)
        let src = storage.pointer, dst = result.storage.pointer
        for (flat, offset) in offsets.enumerated() { dst[flat] = src[offset] }
        return result
    }

    /// For every element of `index`, the flat position in a tensor of `shape` it names: its own position
    /// with the index value along `axis` (what `gather` reads and `scatterAdd` writes).
    static func indexedOffsets(_ shape: [Int], axis a: Int, index: IndexTensor, _ op: String) throws -> [Int] {
        let rank = shape.count
        let strides = Shape.strides(shape)
        var position = [Int](repeating: 0, count: rank)
        var offsets = [Int](repeating: 0, count: index.indices.count)
        for (flat, i) in index.indices.enumerated() {
            guard i >= 0 && i < shape[a] else {
                throw TensorError.invalidArgument("\(op): index \(i) at position \(position) is out of range for axis \(a) of length \(shape[a])")
            }
            var offset = 0
            for d in 0..<rank { offset += (d == a ? i : position[d]) * strides[d] }
            offsets[flat] = offset
            var d = rank - 1
            while d >= 0 {
                position[d] += 1
                if position[d] < index.shape[d] { break }
                position[d] = 0
                d -= 1
            }
        }
        return offsets
    }

    /// Replaces the values where `mask` is non-zero by `value`; `mask` broadcasts to this shape.
    public func maskedFill(_ mask: Tensor, with value: Float) throws -> Tensor {
        let m = try mask.broadcast(to: shape)
        var result = self
        result.withUnsafeMutableBufferPointer { out in
            let mp = m.storage.pointer
            for i in 0..<out.count where mp[i] != 0 { out[i] = value }
        }
        return result
    }

    /// Element-wise choice: `a` where `condition` is non-zero, else `b`; all three broadcast together.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let s = try Shape.broadcast(try Shape.broadcast(condition.shape, a.shape, "where"), b.shape, "where")
        let c = try condition.broadcast(to: s), x = try a.broadcast(to: s), y = try b.broadcast(to: s)
        let result = Tensor(uninitializedShape: s)
        let cp = c.storage.pointer, xp = x.storage.pointer, yp = y.storage.pointer, out = result.storage.pointer
        for i in 0..<result.count { out[i] = cp[i] != 0 ? xp[i] : yp[i] }
        return result
    }
}
