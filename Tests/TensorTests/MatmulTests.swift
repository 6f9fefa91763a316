import TestSupport
import Foundation
import Testing
@testable import S2IGANTensor
import S2IGANFormats

@Suite struct MatmulTests {
    let f: SafeTensorsFile
    init() throws { f = try fixtures.load("matmul") }

    @Test func matrixProductsMatchPyTorch() throws {
        expectClose(try Tensor.matmul(f.tensor("m_a"), f.tensor("m_b")), try f.tensor("m_out"), "2-D")
        expectClose(try Tensor.matmul(f.tensor("t_a"), f.tensor("t_b"), transposeA: true, transposeB: true),
                    try f.tensor("t_out"), "transposes as flags")
        expectClose(try Tensor.matmul(f.tensor("m_a"), f.tensor("v_x")), try f.tensor("mv_out"), "matrix-vector")
        expectClose(try Tensor.matmul(f.tensor("b_a"), f.tensor("b_b")), try f.tensor("b_out"), "batched × matrix")
        expectClose(try Tensor.matmul(f.tensor("bb_a"), f.tensor("bb_b"), transposeB: true), try f.tensor("bb_out"),
                    "broadcast batches")
    }

    /// Products large enough to be split over the workers (by rows or by columns), with every
    /// combination of transposes, against a plain triple loop in Double.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func splitProductsAgreeWithADirectSum(_ transposeA: Bool, _ transposeB: Bool) throws {
        var rng = RandomGenerator(seed: 21)
        for (m, n, k) in [(300, 200, 150), (90, 700, 120)] {
            let a = try Tensor.normal(transposeA ? [k, m] : [m, k], using: &rng)
            let b = try Tensor.normal(transposeB ? [n, k] : [k, n], using: &rng)
            let c = try Tensor.matmul(a, b, transposeA: transposeA, transposeB: transposeB)
            let (av, bv) = (a.scalars, b.scalars)
            var expected = [Float](repeating: 0, count: m * n)
            for i in 0..<m {
                for j in 0..<n {
                    var acc = 0.0
                    for p in 0..<k {
                        let x = transposeA ? av[p * m + i] : av[i * k + p]
                        let y = transposeB ? bv[j * k + p] : bv[p * n + j]
                        acc += Double(x) * Double(y)
                    }
                    expected[i * n + j] = Float(acc)
                }
            }
            expectClose(c, try Tensor(shape: [m, n], scalars: expected), rtol: 1e-4, atol: 1e-4, "\(m)×\(n)×\(k) tA \(transposeA) tB \(transposeB)")
        }
    }

    @Test func handDerivedProduct() throws {
        let a = try Tensor(rows: [[1, 2], [3, 4]]), b = try Tensor(rows: [[5, 6], [7, 8]])
        #expect(try a.matmul(b).scalars == [19, 22, 43, 50])
        #expect(try a.matmul(b, transposeSelf: true).scalars == [26, 30, 38, 44])
        #expect(try Tensor.matmul(try Tensor.zeros([2, 0]), try Tensor.zeros([0, 3])).scalars == [0, 0, 0, 0, 0, 0])
    }

    @Test func mismatchedInnerDimensionsThrow() throws {
        #expect {
            try Tensor.matmul(try Tensor.zeros([2, 3]), try Tensor.zeros([4, 5]))
        } throws: { "\($0)".contains("inner dimensions differ") }
        #expect(throws: TensorError.self) { try Tensor.matmul(try Tensor.zeros([2, 2, 3]), try Tensor.zeros([3, 3, 2])) }
    }

    @Test func blasRunsThePreferredKernels() throws {
        // Unless OPENBLAS_CORETYPE says otherwise, the kernel set in use is the one preferred for this CPU.
        let name = try #require(BLAS.coreName)
        if ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil {
            if let preferred = BLAS.preferredCore { #expect(name == preferred, "OpenBLAS chose \(BLAS.detectedCore ?? "?")") }
            // A CPU with AVX2 and FMA never runs the older kernel sets (OpenBLAS 0.3.21 falls back to Prescott for a
            // model it does not know, such as Emerald Rapids).
            if BLAS.cpuHasAVX2AndFMA {
                #expect(!["Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Sandybridge"].contains(name),
                        "\(name) kernels (OpenBLAS chose \(BLAS.detectedCore ?? "?"))")
            }
        }
        // The products are right whichever kernels run.
        let a = try Tensor.arange(0, 12).reshaped([3, 4]), b = try Tensor.arange(0, 8).reshaped([4, 2])
        #expect(try a.matmul(b).scalars == [28, 34, 76, 98, 124, 162])
    }
}
