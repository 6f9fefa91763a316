import S2IGANTensor

/// The shape a reduction has with its reduced axes kept (size 1), for broadcasting gradients back.
func keptShape(_ shape: [Int], axes: [Int]?) -> [Int] {
    guard let axes else { return shape.map { _ in 1 } }
    var kept = shape
    for a in axes { kept[a < 0 ? a + shape.count : a] = 1 }
    return kept
}

/// The number of elements a reduction over `axes` combines.
func reducedCount(_ shape: [Int], axes: [Int]?) -> Int {
    guard let axes else { return shape.reduce(1, *) }
    return axes.reduce(1) { $0 * shape[$1 < 0 ? $1 + shape.count : $1] }
}

extension Variable {
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) throws -> Variable {
        let shape = self.shape, kept = keptShape(shape, axes: axes)
        return Variable.record("sum", try value.sum(axes: axes, keepDims: keepDims), [self]) { g, _ in
            [try g.reshaped(kept).broadcast(to: shape)]
        }
    }

    public func mean(axes: [Int]? = nil, keepDims: Bool = false) throws -> Variable {
        let shape = self.shape, kept = keptShape(shape, axes: axes)
        let scale = 1 / Float(reducedCount(shape, axes: axes))
        return Variable.record("mean", try value.mean(axes: axes, keepDims: keepDims), [self]) { g, _ in
            [try (g * scale).reshaped(kept).broadcast(to: shape)]
        }
    }

    /// Variance with `correction` subtracted from the count (1: unbiased).
    public func variance(axes: [Int]? = nil, correction: Int = 1, keepDims: Bool = false) throws -> Variable {
        let x = value, kept = keptShape(shape, axes: axes)
        let scale = 2 / Float(Swift.max(reducedCount(shape, axes: axes) - correction, 0))
        return Variable.record("variance", try x.variance(axes: axes, correction: correction, keepDims: keepDims), [self]) { g, _ in
            let centred = try x - x.mean(axes: axes, keepDims: true)
            return [try centred * g.reshaped(kept) * scale]
        }
    }

    /// Maximum over `axes`; tied maxima share the gradient equally (as `torch.amax`).
    public func max(axes: [Int]? = nil, keepDims: Bool = false) throws -> Variable {
        try extremum(axes: axes, keepDims: keepDims, largest: true)
    }

    /// Minimum over `axes`; tied minima share the gradient equally (as `torch.amin`).
    public func min(axes: [Int]? = nil, keepDims: Bool = false) throws -> Variable {
        try extremum(axes: axes, keepDims: keepDims, largest: false)
    }

    private func extremum(axes: [Int]?, keepDims: Bool, largest: Bool) throws -> Variable {
        let x = value, kept = keptShape(shape, axes: axes)
        let out = largest ? try x.max(axes: axes, keepDims: keepDims) : try x.min(axes: axes, keepDims: keepDims)
        return Variable.record(largest ? "max" : "min", out, [self]) { g, _ in
            let winners = try x.equal(out.reshaped(kept))
            let ties = try winners.sum(axes: axes, keepDims: true)
            return [try winners * (g.reshaped(kept) / ties)]
        }
    }

    /// Maximum along one axis with the winning positions (`torch.max(x, dim)`); the gradient goes to
    /// the returned position only.
    public func max(alongAxis axis: Int, keepDims: Bool = false) throws -> (values: Variable, indices: IndexTensor) {
        let (values, indices) = try value.max(alongAxis: axis, keepDims: true)
        let shape = self.shape
        let out = keepDims ? values : try values.squeezed(axis: axis)
        let result = Variable.record("maxAlongAxis", out, [self]) { g, _ in
            [try Tensor.zeros(shape).scatterAdd(axis: axis, index: indices, source: g.reshaped(indices.shape))]
        }
        return (result, keepDims ? indices : try IndexTensor(shape: out.shape, indices: indices.indices))
    }

    public func logSumExp(axes: [Int]? = nil, keepDims: Bool = false) throws -> Variable {
        let x = value, kept = keptShape(shape, axes: axes)
        let out = try x.logSumExp(axes: axes, keepDims: keepDims)
        return Variable.record("logSumExp", out, [self]) { g, _ in
            [try (x - out.reshaped(kept)).exp() * g.reshaped(kept)]
        }
    }

    public func softmax(axis: Int = -1) throws -> Variable {
        let out = try value.softmax(axis: axis)
        return Variable.record("softmax", out, [self]) { g, _ in
            [try out * (g - (g * out).sum(axes: [axis], keepDims: true))]
        }
    }

    public func logSoftmax(axis: Int = -1) throws -> Variable {
        let out = try value.logSoftmax(axis: axis)
        return Variable.record("logSoftmax", out, [self]) { g, _ in
            [try g - out.exp() * g.sum(axes: [axis], keepDims: true)]
        }
    }

    /// Divides by the L2 norm along `axis`, never by less than `epsilon` (`F.normalize`). The gradient
    /// of an all-zero vector is `g / epsilon`, with no NaN.
    public func l2Normalized(axis: Int = -1, epsilon: Float = 1e-12) throws -> Variable {
        let x = value
        let norm = try x.square().sum(axes: [axis], keepDims: true).sqrt()
        let divisor = try norm.clamped(min: epsilon)
        let out = try x / divisor
        return Variable.record("l2Normalized", out, [self]) { g, _ in
            // Where the norm exceeds epsilon: (g - y·sum(g·y)) / norm; elsewhere g / epsilon.
            let projected = try (g - out * (g * out).sum(axes: [axis], keepDims: true)) / divisor
            let large = try norm.greater(Tensor(epsilon))
            return [try Tensor.where(large, projected, g / epsilon)]
        }
    }
}
