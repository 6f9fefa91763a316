import Foundation

/// A reduction viewed as `[outer, reduced, inner]` over a contiguous tensor.
struct ReductionLayout {
    var source: Tensor
    var outer: Int
    var reduced: Int
    var inner: Int
    var keptShape: [Int]
    var droppedShape: [Int]

    /// Reduced axes that form one contiguous run keep the data in place; otherwise the tensor is
    /// permuted so that they come last.
    init(_ x: Tensor, axes: [Int]?, _ op: String) throws {
        let rank = x.rank
        let list = try axes.map { try Shape.axes($0, rank: rank, op) } ?? Array(0..<rank)
        keptShape = x.shape
        for a in list { keptShape[a] = 1 }
        droppedShape = x.shape.enumerated().filter { !list.contains($0.offset) }.map(\.element)
        if list.isEmpty {
            (source, outer, reduced, inner) = (x, x.count, 1, 1)
        } else if list.last! - list.first! + 1 == list.count {
            source = x
            outer = x.shape[..<list.first!].reduce(1, *)
            reduced = x.shape[list.first!...list.last!].reduce(1, *)
            inner = x.shape[(list.last! + 1)...].reduce(1, *)
        } else {
            let kept = (0..<rank).filter { !list.contains($0) }
            source = try x.permuted(kept + list)
            outer = kept.reduce(1) { $0 * x.shape[$1] }
            reduced = list.reduce(1) { $0 * x.shape[$1] }
            inner = 1
        }
    }

    func outputShape(keepDims: Bool) -> [Int] { keepDims ? keptShape : droppedShape }
}

/// Sum of a contiguous run with eight independent accumulators (vectorisable, and more accurate
/// than one running sum).
@inline(__always)
func contiguousSum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = (Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0))
    var i = 0
    while i + 8 <= n {
        acc.0 += p[i]; acc.1 += p[i + 1]; acc.2 += p[i + 2]; acc.3 += p[i + 3]
        acc.4 += p[i + 4]; acc.5 += p[i + 5]; acc.6 += p[i + 6]; acc.7 += p[i + 7]
        i += 8
    }
    var tail: Float = 0
    while i < n { tail += p[i]; i += 1 }
    return ((acc.0 + acc.1) + (acc.2 + acc.3)) + ((acc.4 + acc.5) + (acc.6 + acc.7)) + tail
}

extension Tensor {
    /// Sum over `axes` (all axes when `nil`); reduced axes are kept with size 1 when `keepDims`.
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        let l = try ReductionLayout(self, axes: axes, "sum")
        let result = Tensor(uninitializedShape: l.outputShape(keepDims: keepDims))
        let src = l.source.storage.pointer, out = result.storage.pointer
        let (outer, reduced, inner) = (l.outer, l.reduced, l.inner)
        if inner == 1 {
            Parallel.forRanges(outer, cost: reduced) { r in
                for o in r { out[o] = contiguousSum(src + o * reduced, reduced) }
            }
        } else {
            Parallel.forRanges(outer, cost: reduced * inner) { r in
                for o in r {
                    let dst = out + o * inner
                    dst.update(repeating: 0, count: inner)
                    for k in 0..<reduced {
                        let row = src + (o * reduced + k) * inner
                        for i in 0..<inner { dst[i] += row[i] }
                    }
                }
            }
        }
        return result
    }

    /// Mean over `axes` (all when `nil`); the mean of nothing is NaN.
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        let l = try ReductionLayout(self, axes: axes, "mean")
        return try sum(axes: axes, keepDims: keepDims) * (1 / Float(l.reduced))
    }

    /// Variance over `axes` with `correction` subtracted from the count (1: unbiased, `torch.var`'s
    /// default; 0: population). Computed in two passes, around the mean.
    public func variance(axes: [Int]? = nil, correction: Int = 1, keepDims: Bool = false) throws -> Tensor {
        let l = try ReductionLayout(self, axes: axes, "variance")
        let m = try mean(axes: axes, keepDims: true)
        let result = Tensor(uninitializedShape: l.outputShape(keepDims: keepDims))
        let src = l.source.storage.pointer, mp = m.storage.pointer, out = result.storage.pointer
        let (outer, reduced, inner) = (l.outer, l.reduced, l.inner)
        let divisor = Float(Swift.max(reduced - correction, 0))
        // The mean tensor is laid out as [outer, inner] whichever way the axes were arranged.
        Parallel.forRanges(outer, cost: reduced * inner) { r in
            for o in r {
                for i in 0..<inner {
                    let mu = mp[o * inner + i]
                    var acc: Float = 0
                    for k in 0..<reduced {
                        let d = src[(o * reduced + k) * inner + i] - mu
                        acc += d * d
                    }
                    out[o * inner + i] = acc / divisor
                }
            }
        }
        return result
    }

    private func extremum(axes: [Int]?, keepDims: Bool, largest: Bool, _ op: String) throws -> (Tensor, [Int]) {
        let l = try ReductionLayout(self, axes: axes, op)
        guard l.reduced > 0 else {
            throw TensorError.invalidArgument("\(op): cannot reduce an empty axis (shape \(shape))")
        }
        let result = Tensor(uninitializedShape: l.outputShape(keepDims: keepDims))
        var indices = [Int](repeating: 0, count: result.count)
        let src = l.source.storage.pointer, out = result.storage.pointer
        let (outer, reduced, inner) = (l.outer, l.reduced, l.inner)
        indices.withUnsafeMutableBufferPointer { idx in
            for o in 0..<outer {
                for i in 0..<inner {
                    var best = src[o * reduced * inner + i]
                    var at = 0
                    for k in 1..<Swift.max(reduced, 1) {
                        let v = src[(o * reduced + k) * inner + i]
                        // NaN wins and stays, as in PyTorch.
                        if best.isNaN { break }
                        if v.isNaN || (largest ? v > best : v < best) { best = v; at = k }
                    }
                    out[o * inner + i] = best
                    idx[o * inner + i] = at
                }
            }
        }
        return (result, indices)
    }

    /// Maximum over `axes` (all when `nil`); NaN propagates.
    public func max(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        try extremum(axes: axes, keepDims: keepDims, largest: true, "max").0
    }

    /// Minimum over `axes` (all when `nil`); NaN propagates.
    public func min(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        try extremum(axes: axes, keepDims: keepDims, largest: false, "min").0
    }

    /// Maximum along one axis with the position of the (first) maximum, as `torch.max(x, dim)`.
    public func max(alongAxis axis: Int, keepDims: Bool = false) throws -> (values: Tensor, indices: IndexTensor) {
        let (v, i) = try extremum(axes: [axis], keepDims: keepDims, largest: true, "max")
        return (v, IndexTensor(validShape: v.shape, indices: i))
    }

    /// Minimum along one axis with the position of the (first) minimum, as `torch.min(x, dim)`.
    public func min(alongAxis axis: Int, keepDims: Bool = false) throws -> (values: Tensor, indices: IndexTensor) {
        let (v, i) = try extremum(axes: [axis], keepDims: keepDims, largest: false, "min")
        return (v, IndexTensor(validShape: v.shape, indices: i))
    }

    /// Position of the first maximum along `axis`.
    public func argmax(axis: Int, keepDims: Bool = false) throws -> IndexTensor {
        try max(alongAxis: axis, keepDims: keepDims).indices
    }

    /// Position of the first minimum along `axis`.
    public func argmin(axis: Int, keepDims: Bool = false) throws -> IndexTensor {
        try min(alongAxis: axis, keepDims: keepDims).indices
    }

    /// `log(sum(exp(x)))` over `axes`, computed around the maximum so it neither overflows nor underflows.
    public func logSumExp(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        let l = try ReductionLayout(self, axes: axes, "logSumExp")
        let m = try max(axes: axes, keepDims: true)
        let result = Tensor(uninitializedShape: l.outputShape(keepDims: keepDims))
        let src = l.source.storage.pointer, mp = m.storage.pointer, out = result.storage.pointer
        let (outer, reduced, inner) = (l.outer, l.reduced, l.inner)
        Parallel.forRanges(outer, cost: reduced * inner * 8) { r in
            for o in r {
                for i in 0..<inner {
                    var shift = mp[o * inner + i]
                    if shift.isInfinite { shift = 0 }
                    var acc: Float = 0
                    for k in 0..<reduced { acc += expf(src[(o * reduced + k) * inner + i] - shift) }
                    out[o * inner + i] = logf(acc) + shift
                }
            }
        }
        return result
    }

    private func softmaxKernel(axis: Int, log: Bool) throws -> Tensor {
        let a = try Shape.axis(axis, rank: Swift.max(rank, 1), log ? "logSoftmax" : "softmax")
        let l = try ReductionLayout(self, axes: rank == 0 ? [] : [a], "softmax")
        let result = Tensor(uninitializedShape: shape)
        let src = storage.pointer, out = result.storage.pointer
        let (outer, reduced, inner) = (l.outer, l.reduced, l.inner)
        Parallel.forRanges(outer, cost: reduced * inner * 8) { r in
            var top = [Float](repeating: 0, count: inner)
            var total = [Float](repeating: 0, count: inner)
            for o in r {
                let x = src + o * reduced * inner, y = out + o * reduced * inner
                for i in 0..<inner { top[i] = -.infinity; total[i] = 0 }
                for k in 0..<reduced {
                    for i in 0..<inner { let v = x[k * inner + i]; if v > top[i] || v.isNaN { top[i] = v } }
                }
                for k in 0..<reduced {
                    for i in 0..<inner {
                        let e = expf(x[k * inner + i] - top[i])
                        total[i] += e
                        if !log { y[k * inner + i] = e }
                    }
                }
                if log {
                    for i in 0..<inner { total[i] = top[i] + logf(total[i]) }
                    for k in 0..<reduced { for i in 0..<inner { y[k * inner + i] = x[k * inner + i] - total[i] } }
                } else {
                    for i in 0..<inner { total[i] = 1 / total[i] }
                    for k in 0..<reduced { for i in 0..<inner { y[k * inner + i] *= total[i] } }
                }
            }
        }
        return result
    }

    /// `exp(x) / sum(exp(x))` along `axis`.
    public func softmax(axis: Int = -1) throws -> Tensor { try softmaxKernel(axis: axis, log: false) }

    /// `x - logSumExp(x)` along `axis`.
    public func logSoftmax(axis: Int = -1) throws -> Tensor { try softmaxKernel(axis: axis, log: true) }

    /// Divides by the L2 norm along `axis`, never by less than `epsilon` (`F.normalize`).
    public func l2Normalized(axis: Int = -1, epsilon: Float = 1e-12) throws -> Tensor {
        let norm = try square().sum(axes: [axis], keepDims: true).sqrt()
        return try self / norm.clamped(min: epsilon)
    }

    /// The L2 norm along `axes` (all when `nil`).
    public func l2Norm(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
        try square().sum(axes: axes, keepDims: keepDims).sqrt()
    }
}
