import S2IGANTensor

// Element-wise functions; each backward uses the saved input or output.
extension Variable {
    public func exp() -> Variable {
        let out = value.exp()
        return Variable.record("exp", out, [self]) { g, _ in [try g * out] }
    }

    public func log() -> Variable {
        let x = value
        return Variable.record("log", x.log(), [self]) { g, _ in [try g / x] }
    }

    public func sqrt() -> Variable {
        let out = value.sqrt()
        return Variable.record("sqrt", out, [self]) { g, _ in [try g / (out * 2)] }
    }

    public func tanh() -> Variable {
        let out = value.tanh()
        return Variable.record("tanh", out, [self]) { g, _ in [try Tensor.tanhGradient(g, output: out)] }
    }

    public func sigmoid() -> Variable {
        let out = value.sigmoid()
        return Variable.record("sigmoid", out, [self]) { g, _ in [try Tensor.sigmoidGradient(g, output: out)] }
    }

    public func relu() -> Variable {
        let x = value
        return Variable.record("relu", x.relu(), [self]) { g, _ in [try Tensor.leakyReluGradient(g, input: x)] }
    }

    /// `x` for positive `x`, else `negativeSlope * x`.
    public func leakyRelu(negativeSlope: Float = 0.01) -> Variable {
        let x = value
        return Variable.record("leakyRelu", x.leakyRelu(negativeSlope: negativeSlope), [self]) { g, _ in
            [try Tensor.leakyReluGradient(g, input: x, negativeSlope: negativeSlope)]
        }
    }

    public func abs() -> Variable {
        let x = value
        return Variable.record("abs", x.abs(), [self]) { g, _ in [try g * x.sign()] }
    }

    public func square() -> Variable {
        let x = value
        return Variable.record("square", x.square(), [self]) { g, _ in [try g * x * 2] }
    }

    /// Limits to `[min, max]`; the gradient passes where the input lies inside the bounds (inclusive),
    /// as in PyTorch.
    public func clamped(min lower: Float? = nil, max upper: Float? = nil) throws -> Variable {
        let x = value
        let out = try x.clamped(min: lower, max: upper)
        return Variable.record("clamp", out, [self]) { g, _ in
            var inside = try Tensor.ones(x.shape)
            if let lower { inside = try inside * x.greaterEqual(Tensor(lower)) }
            if let upper { inside = try inside * x.lessEqual(Tensor(upper)) }
            return [try g * inside]
        }
    }
}
