import COpenBLAS

extension Tensor {
    /// Matrix product with NumPy/PyTorch `matmul` shape rules, on OpenBLAS.
    ///
    /// - `[m, k] × [k, n] → [m, n]`; `[m, k] × [k] → [m]` (matrix-vector);
    /// - batched: `[..., m, k] × [..., k, n] → [..., m, n]` with the batch axes broadcast.
    ///
    /// `transposeA` / `transposeB` use the transpose of the last two axes of an operand; they are
    /// passed to `cblas_sgemm` as flags, so nothing is copied.
    /// - Throws: if inner dimensions or batch shapes do not agree.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) throws -> Tensor {
        guard a.rank >= 2 && b.rank >= 1 else {
            throw TensorError.shapeMismatch("matmul: first operand must have rank ≥ 2, got \(a.shape)")
        }
        let am = transposeA ? a.shape[a.rank - 1] : a.shape[a.rank - 2]
        let ak = transposeA ? a.shape[a.rank - 2] : a.shape[a.rank - 1]
        if b.rank == 1 {
            guard a.rank == 2 && b.shape[0] == ak else {
                throw TensorError.shapeMismatch("matmul: cannot multiply \(a.shape)\(transposeA ? "ᵀ" : "") by vector \(b.shape)")
            }
            let result = Tensor(uninitializedShape: [am])
            if am > 0 {
                if ak == 0 {
                    result.storage.pointer.update(repeating: 0, count: am)
                } else {
                    BLAS.prepare()
                    cblas_sgemv(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, blasint(a.shape[0]), blasint(a.shape[1]),
                                1, a.storage.pointer, blasint(a.shape[1]), b.storage.pointer, 1, 0, result.storage.pointer, 1)
                }
            }
            return result
        }
        let bk = transposeB ? b.shape[b.rank - 1] : b.shape[b.rank - 2]
        let bn = transposeB ? b.shape[b.rank - 2] : b.shape[b.rank - 1]
        guard ak == bk else {
            throw TensorError.shapeMismatch("matmul: inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") × \(b.shape)\(transposeB ? "ᵀ" : "") (\(ak) vs \(bk))")
        }
        let aBatch = Array(a.shape.dropLast(2)), bBatch = Array(b.shape.dropLast(2))
        let batch = try Shape.broadcast(aBatch, bBatch, "matmul (batch axes)")
        let result = Tensor(uninitializedShape: batch + [am, bn])
        let lda = a.shape[a.rank - 1], ldb = b.shape[b.rank - 1]
        let ap = a.storage.pointer, bp = b.storage.pointer, cp = result.storage.pointer
        let batches = Shape.count(batch)
        if batches == 0 { return result }
        if b.rank == 2 && !transposeA {
            // Fold the batch of `a` into the rows of one GEMM.
            sgemm(transA: false, transB: transposeB, m: batches * am, n: bn, k: ak, a: ap, lda: lda, b: bp, ldb: ldb, c: cp, ldc: bn)
            return result
        }
        let aStrides = Shape.broadcastStrides(aBatch, to: batch), bStrides = Shape.broadcastStrides(bBatch, to: batch)
        let aMatrix = a.shape[a.rank - 2] * lda, bMatrix = b.shape[b.rank - 2] * ldb
        let batchStrides = Shape.strides(batch)
        for i in 0..<batches {
            var oa = 0, ob = 0, rem = i
            for d in 0..<batch.count {
                let idx = rem / batchStrides[d]
                rem %= batchStrides[d]
                oa += idx * aStrides[d]
                ob += idx * bStrides[d]
            }
            sgemm(transA: transposeA, transB: transposeB, m: am, n: bn, k: ak,
                  a: ap + oa * aMatrix, lda: lda, b: bp + ob * bMatrix, ldb: ldb, c: cp + i * am * bn, ldc: bn)
        }
        return result
    }

    /// `Tensor.matmul(self, other)`.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) throws -> Tensor {
        try Tensor.matmul(self, other, transposeA: transposeSelf, transposeB: transposeOther)
    }
}
