import CLAPACKE
import COpenBLAS

/// A dense row-major matrix of Doubles, for statistics that decide a metric (means, covariances,
/// FID) and for the LAPACK factorisations.
public struct DoubleMatrix: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    /// The entries in row-major order.
    public var values: [Double]

    /// - Throws: if `values.count != rows * columns`.
    public init(rows: Int, columns: Int, values: [Double]) throws {
        guard rows >= 0, columns >= 0, values.count == rows * columns else {
            throw TensorError.shapeMismatch("DoubleMatrix: \(rows)×\(columns) needs \(Swift.max(rows, 0) * Swift.max(columns, 0)) values, got \(values.count)")
        }
        (self.rows, self.columns, self.values) = (rows, columns, values)
    }

    /// A rows × columns matrix of zeros.
    public init(zeros rows: Int, _ columns: Int) {
        (self.rows, self.columns, self.values) = (rows, columns, [Double](repeating: 0, count: rows * columns))
    }

    /// The entries of a rank-2 tensor, widened to Double.
    public init(_ tensor: Tensor) throws {
        guard tensor.rank == 2 else { throw TensorError.shapeMismatch("DoubleMatrix: need a rank-2 tensor, got \(tensor.shape)") }
        try self.init(rows: tensor.shape[0], columns: tensor.shape[1], values: tensor.scalars.map(Double.init))
    }

    public subscript(row: Int, column: Int) -> Double {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    /// The entries narrowed to a Float tensor.
    public var tensor: Tensor {
        // Shape and count agree by construction.
        (try? Tensor(shape: [rows, columns], scalars: values.map(Float.init))) ?? Tensor(0)
    }

    public var transposed: DoubleMatrix {
        var t = DoubleMatrix(zeros: columns, rows)
        for i in 0..<rows { for j in 0..<columns { t.values[j * rows + i] = values[i * columns + j] } }
        return t
    }

    /// Matrix product (OpenBLAS `dgemm`), with optional transposes passed as flags.
    public func multiplied(by other: DoubleMatrix, transposeSelf: Bool = false, transposeOther: Bool = false) throws -> DoubleMatrix {
        let (m, k) = transposeSelf ? (columns, rows) : (rows, columns)
        let (k2, n) = transposeOther ? (other.columns, other.rows) : (other.rows, other.columns)
        guard k == k2 else {
            throw TensorError.shapeMismatch("DoubleMatrix.multiplied: \(rows)×\(columns)\(transposeSelf ? "ᵀ" : "") × \(other.rows)×\(other.columns)\(transposeOther ? "ᵀ" : "") do not agree")
        }
        var result = DoubleMatrix(zeros: m, n)
        guard m > 0 && n > 0 && k > 0 else { return result }
        BLAS.prepare()
        values.withUnsafeBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in
                result.values.withUnsafeMutableBufferPointer { c in
                    cblas_dgemm(CblasRowMajor, transposeSelf ? CblasTrans : CblasNoTrans, transposeOther ? CblasTrans : CblasNoTrans,
                                blasint(m), blasint(n), blasint(k), 1, a.baseAddress, blasint(columns),
                                b.baseAddress, blasint(other.columns), 0, c.baseAddress, blasint(n))
                }
            }
        }
        return result
    }

    /// Sum of the diagonal.
    public var trace: Double {
        var t = 0.0
        for i in 0..<Swift.min(rows, columns) { t += values[i * columns + i] }
        return t
    }

    /// Mean of each column (the mean feature vector when rows are samples).
    public func columnMeans() -> [Double] {
        var mean = [Double](repeating: 0, count: columns)
        for i in 0..<rows { for j in 0..<columns { mean[j] += values[i * columns + j] } }
        let scale = rows > 0 ? 1 / Double(rows) : .nan
        return mean.map { $0 * scale }
    }

    /// Covariance of the columns with rows as samples, divided by `rows - 1` (`numpy.cov(rowvar=False)`).
    /// - Throws: with fewer than two rows.
    public func covariance() throws -> DoubleMatrix {
        guard rows >= 2 else { throw TensorError.invalidArgument("covariance: need at least 2 samples, got \(rows)") }
        let mean = columnMeans()
        var centred = self
        for i in 0..<rows { for j in 0..<columns { centred.values[i * columns + j] -= mean[j] } }
        var c = try centred.multiplied(by: centred, transposeSelf: true)
        let scale = 1 / Double(rows - 1)
        for i in c.values.indices { c.values[i] *= scale }
        return c
    }

    /// Eigen-decomposition of a symmetric matrix (LAPACK `dsyevd`): eigenvalues in ascending order and
    /// the matching unit eigenvectors as the **columns** of `vectors`. Only the upper triangle is read.
    public func symmetricEigen() throws -> (values: [Double], vectors: DoubleMatrix) {
        guard rows == columns else { throw TensorError.shapeMismatch("symmetricEigen: matrix is \(rows)×\(columns), not square") }
        guard values.allSatisfy({ $0.isFinite }) else { throw TensorError.invalidArgument("symmetricEigen: matrix has NaN or infinite entries") }
        var a = values
        var w = [Double](repeating: 0, count: rows)
        guard rows > 0 else { return ([], self) }
        BLAS.prepare()
        let info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "U")), Int32(rows), &a, Int32(rows), &w)
        guard info == 0 else { throw TensorError.linearAlgebra("symmetricEigen: LAPACK dsyevd failed (info \(info))") }
        return (w, try DoubleMatrix(rows: rows, columns: rows, values: a))
    }

    /// Reduced QR decomposition (LAPACK `dgeqrf` + `dorgqr`): `self = q × r` with `q` rows × k having
    /// orthonormal columns and `r` k × columns upper triangular, k = min(rows, columns).
    public func qr() throws -> (q: DoubleMatrix, r: DoubleMatrix) {
        let (m, n) = (rows, columns), k = Swift.min(rows, columns)
        guard k > 0 else { return (DoubleMatrix(zeros: m, k), DoubleMatrix(zeros: k, n)) }
        var a = values
        var tau = [Double](repeating: 0, count: k)
        BLAS.prepare()
        var info = LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, Int32(m), Int32(n), &a, Int32(n), &tau)
        guard info == 0 else { throw TensorError.linearAlgebra("qr: LAPACK dgeqrf failed (info \(info))") }
        var r = DoubleMatrix(zeros: k, n)
        for i in 0..<k { for j in i..<n { r.values[i * n + j] = a[i * n + j] } }
        // Q: the first k columns of the Householder product, built in an m × k array.
        var q = [Double](repeating: 0, count: m * k)
        for i in 0..<m { for j in 0..<k { q[i * k + j] = a[i * n + j] } }
        info = LAPACKE_dorgqr(LAPACK_ROW_MAJOR, Int32(m), Int32(k), Int32(k), &q, Int32(k), &tau)
        guard info == 0 else { throw TensorError.linearAlgebra("qr: LAPACK dorgqr failed (info \(info))") }
        return (try DoubleMatrix(rows: m, columns: k, values: q), r)
    }
}

extension Tensor {
    /// Reduced QR decomposition of a rank-2 tensor (LAPACK `sgeqrf` + `sorgqr`), as
    /// `torch.linalg.qr(mode='reduced')`; used for orthogonal initialisation.
    public func qr() throws -> (q: Tensor, r: Tensor) {
        guard rank == 2 else { throw TensorError.shapeMismatch("qr: need a rank-2 tensor, got \(shape)") }
        let (m, n) = (shape[0], shape[1]), k = Swift.min(m, n)
        guard k > 0 else { return (try Tensor.zeros([m, k]), try Tensor.zeros([k, n])) }
        var a = scalars
        var tau = [Float](repeating: 0, count: k)
        BLAS.prepare()
        var info = LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, Int32(m), Int32(n), &a, Int32(n), &tau)
        guard info == 0 else { throw TensorError.linearAlgebra("qr: LAPACK sgeqrf failed (info \(info))") }
        var r = [Float](repeating: 0, count: k * n)
        for i in 0..<k { for j in i..<n { r[i * n + j] = a[i * n + j] } }
        var q = [Float](repeating: 0, count: m * k)
        for i in 0..<m { for j in 0..<k { q[i * k + j] = a[i * n + j] } }
        info = LAPACKE_sorgqr(LAPACK_ROW_MAJOR, Int32(m), Int32(k), Int32(k), &q, Int32(k), &tau)
        guard info == 0 else { throw TensorError.linearAlgebra("qr: LAPACK sorgqr failed (info \(info))") }
        return (try Tensor(shape: [m, k], scalars: q), try Tensor(shape: [k, n], scalars: r))
    }

    /// Eigen-decomposition of a symmetric rank-2 tensor, computed in Double (see ``DoubleMatrix/symmetricEigen()``).
    public func symmetricEigen() throws -> (values: Tensor, vectors: Tensor) {
        let (w, v) = try DoubleMatrix(self).symmetricEigen()
        return (Tensor(w.map(Float.init)), v.tensor)
    }
}
