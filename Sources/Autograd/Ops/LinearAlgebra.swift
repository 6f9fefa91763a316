import S2IGANTensor

extension Variable {
    /// Matrix product with `Tensor.matmul` shape rules; transposes are BLAS flags in both directions.
    public static func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) throws -> Variable {
        let out = try Tensor.matmul(a.value, b.value, transposeA: transposeA, transposeB: transposeB)
        let av = a.value, bv = b.value
        return record("matmul", out, [a, b]) { g, needs in
            if bv.rank == 1 {
                // y = op(A) x: dA = g xᵀ (or x gᵀ), dx = op(A)ᵀ g.
                let gm = try g.reshaped([g.count, 1]), xm = try bv.reshaped([1, bv.count])
                let ga = needs[0] ? (transposeA ? try Tensor.matmul(xm, gm, transposeA: true, transposeB: true)
                                                : try Tensor.matmul(gm, xm)) : nil
                let gb = needs[1] ? try Tensor.matmul(av, g, transposeA: !transposeA) : nil
                return [ga, gb]
            }
            var ga: Tensor?, gb: Tensor?
            if needs[0] {
                let full = transposeA ? try Tensor.matmul(bv, g, transposeA: transposeB, transposeB: true)
                                      : try Tensor.matmul(g, bv, transposeB: !transposeB)
                ga = try unbroadcast(full, to: av.shape)
            }
            if needs[1] {
                let full = transposeB ? try Tensor.matmul(g, av, transposeA: true, transposeB: transposeA)
                                      : try Tensor.matmul(av, g, transposeA: !transposeA)
                gb = try unbroadcast(full, to: bv.shape)
            }
            return [ga, gb]
        }
    }

    public func matmul(_ other: Variable, transposeSelf: Bool = false, transposeOther: Bool = false) throws -> Variable {
        try Variable.matmul(self, other, transposeA: transposeSelf, transposeB: transposeOther)
    }

    /// `x Wᵀ + b` for `x` of shape `[..., in]`, `weight` `[out, in]`, `bias` `[out]` (`F.linear`).
    public static func linear(_ x: Variable, weight: Variable, bias: Variable?) throws -> Variable {
        let y = try matmul(x, weight, transposeB: true)
        guard let bias else { return y }
        return try y + bias
    }
}
