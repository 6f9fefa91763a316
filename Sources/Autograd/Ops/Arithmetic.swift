import S2IGANTensor

/// Sums a broadcast gradient back to the shape of the operand it came from.
func unbroadcast(_ gradient: Tensor, to shape: [Int]) throws -> Tensor {
    if gradient.shape == shape { return gradient }
    let extra = gradient.rank - shape.count
    var axes = Array(0..<extra)
    for (i, d) in shape.enumerated() where d == 1 && gradient.shape[extra + i] != 1 { axes.append(extra + i) }
    return try gradient.sum(axes: axes, keepDims: true).reshaped(shape)
}

// Arithmetic with broadcasting. Forward and backward of each operation side by side.
extension Variable {
    public static func + (a: Variable, b: Variable) throws -> Variable {
        let out = try a.value + b.value
        let (aShape, bShape) = (a.shape, b.shape)
        return record("add", out, [a, b]) { g, needs in
            [needs[0] ? try unbroadcast(g, to: aShape) : nil, needs[1] ? try unbroadcast(g, to: bShape) : nil]
        }
    }

    public static func - (a: Variable, b: Variable) throws -> Variable {
        let out = try a.value - b.value
        let (aShape, bShape) = (a.shape, b.shape)
        return record("subtract", out, [a, b]) { g, needs in
            [needs[0] ? try unbroadcast(g, to: aShape) : nil, needs[1] ? try unbroadcast(-g, to: bShape) : nil]
        }
    }

    public static func * (a: Variable, b: Variable) throws -> Variable {
        let (x, y) = (a.value, b.value)
        let out = try x * y
        return record("multiply", out, [a, b]) { g, needs in
            [needs[0] ? try unbroadcast(g * y, to: x.shape) : nil,
             needs[1] ? try unbroadcast(g * x, to: y.shape) : nil]
        }
    }

    public static func / (a: Variable, b: Variable) throws -> Variable {
        let (x, y) = (a.value, b.value)
        let out = try x / y
        return record("divide", out, [a, b]) { g, needs in
            // d(a/b)/db = -(a/b)/b
            [needs[0] ? try unbroadcast(g / y, to: x.shape) : nil,
             needs[1] ? try unbroadcast(-(try g * out / y), to: y.shape) : nil]
        }
    }

    /// `a ** b` element-wise (`a` positive where `b` is not an integer).
    public func pow(_ exponent: Variable) throws -> Variable {
        let (x, e) = (value, exponent.value)
        let out = try x.pow(e)
        return Variable.record("pow", out, [self, exponent]) { g, needs in
            // d/dx = e x^(e-1);  d/de = out log x
            [needs[0] ? try unbroadcast(g * e * x.pow(e - 1), to: x.shape) : nil,
             needs[1] ? try unbroadcast(g * out * x.log(), to: e.shape) : nil]
        }
    }

    /// Each element raised to a constant power.
    public func pow(_ exponent: Float) -> Variable {
        let x = value
        return Variable.record("pow", x.pow(exponent), [self]) { g, _ in
            [try g * (x.pow(exponent - 1) * exponent)]
        }
    }

    /// `self * scale + shift` with constants.
    public func affine(scale: Float, shift: Float) -> Variable {
        Variable.record("affine", value.affine(scale: scale, shift: shift), [self]) { g, _ in [g * scale] }
    }

    public static func + (a: Variable, s: Float) -> Variable { a.affine(scale: 1, shift: s) }
    public static func - (a: Variable, s: Float) -> Variable { a.affine(scale: 1, shift: -s) }
    public static func * (a: Variable, s: Float) -> Variable { a.affine(scale: s, shift: 0) }
    public static func / (a: Variable, s: Float) -> Variable { a.affine(scale: 1 / s, shift: 0) }
    public static func + (s: Float, a: Variable) -> Variable { a.affine(scale: 1, shift: s) }
    public static func - (s: Float, a: Variable) -> Variable { a.affine(scale: -1, shift: s) }
    public static func * (s: Float, a: Variable) -> Variable { a.affine(scale: s, shift: 0) }
    public static prefix func - (a: Variable) -> Variable { a.affine(scale: -1, shift: 0) }

    /// Element-wise maximum; where both are equal the gradient goes to `self`.
    public func maximum(_ other: Variable) throws -> Variable {
        let out = try value.maximum(other.value)
        let mask = try value.greaterEqual(other.value)
        let (aShape, bShape) = (shape, other.shape)
        return Variable.record("maximum", out, [self, other]) { g, needs in
            [needs[0] ? try unbroadcast(g * mask, to: aShape) : nil,
             needs[1] ? try unbroadcast(g * (1 - mask), to: bShape) : nil]
        }
    }
}
