import TestSupport
import Testing
@testable import S2IGANTensor
import S2IGANFormats

@Suite struct LinalgTests {
    let f: SafeTensorsFile
    init() throws { f = try fixtures.load("linalg") }

    func matrix(_ name: String) throws -> DoubleMatrix {
        let a = try #require(f.arrays[name])
        return try DoubleMatrix(rows: a.shape[0], columns: a.shape.count > 1 ? a.shape[1] : 1, values: a.doubleValues())
    }

    /// LAPACK's Householder QR is what NumPy calls, so the factors match exactly up to rounding, signs included.
    @Test func qrMatchesNumPy() throws {
        let (q, r) = try matrix("qr_a").qr()
        let (qe, re) = (try matrix("qr_q"), try matrix("qr_r"))
        for (x, y) in zip(q.values, qe.values) { #expect(abs(x - y) < 1e-12) }
        for (x, y) in zip(r.values, re.values) { #expect(abs(x - y) < 1e-12) }
        let (q32, r32) = try f.tensor("qr_a32").qr()
        expectClose(q32, try f.tensor("qr_q32"), rtol: 1e-4, atol: 1e-5, "float32 Q")
        expectClose(r32, try f.tensor("qr_r32"), rtol: 1e-4, atol: 1e-5, "float32 R")
        // Q has orthonormal columns.
        let qtq = try q.multiplied(by: q, transposeSelf: true)
        for i in 0..<4 { for j in 0..<4 { #expect(abs(qtq[i, j] - (i == j ? 1 : 0)) < 1e-12) } }
    }

    @Test func symmetricEigenMatchesNumPy() throws {
        let a = try matrix("eig_a")
        let (values, vectors) = try a.symmetricEigen()
        let expected = try matrix("eig_values").values
        for (x, y) in zip(values, expected) { #expect(abs(x - y) < 1e-10) }
        // Eigenvectors are unique up to sign: compare |v·v_expected| = 1 and A v = λ v.
        let ev = try matrix("eig_vectors")
        for k in 0..<5 {
            var dot = 0.0
            for i in 0..<5 { dot += vectors[i, k] * ev[i, k] }
            #expect(abs(abs(dot) - 1) < 1e-10)
        }
        let av = try a.multiplied(by: vectors)
        for i in 0..<5 { for k in 0..<5 { #expect(abs(av[i, k] - values[k] * vectors[i, k]) < 1e-9) } }
    }

    @Test func statisticsInDouble() throws {
        let m = try DoubleMatrix(rows: 3, columns: 2, values: [1, 2, 3, 4, 5, 9])
        #expect(m.columnMeans() == [3, 5])
        let c = try m.covariance()
        // numpy.cov([[1,3,5],[2,4,9]]) = [[4, 7], [7, 13]]
        #expect(c.values == [4, 7, 7, 13])
        #expect(c.trace == 17)
        #expect(throws: TensorError.self) { try DoubleMatrix(rows: 1, columns: 2, values: [1, 2]).covariance() }
        #expect(throws: TensorError.self) { try DoubleMatrix(rows: 2, columns: 3, values: [1]).qr() }
        #expect(throws: TensorError.self) { try DoubleMatrix(rows: 2, columns: 3, values: [0, 0, 0, 0, 0, 0]).symmetricEigen() }
        #expect(throws: TensorError.self) { try DoubleMatrix(rows: 1, columns: 1, values: [.nan]).symmetricEigen() }
    }
}
