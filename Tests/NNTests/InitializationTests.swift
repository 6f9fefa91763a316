import TestSupport
import Testing
import S2IGANTensor
@testable import S2IGANNN

@Suite struct InitializationTests {
    @Test func defaultLayerInitialisationFollowsPyTorchsBounds() throws {
        let (linear, conv) = try Initialization.seeded(3) { (try Linear(400, 50), try Conv2d(16, 8, kernelSize: 3)) }
        let bound = 1 / Float(400).squareRoot()
        #expect(try linear.weight.value.abs().max().item() <= bound)
        #expect(try linear.weight.value.abs().max().item() > 0.95 * bound)
        // Uniform in ±b has variance b²/3.
        #expect(abs(try linear.weight.value.variance().item() - bound * bound / 3) < 0.05 * bound * bound / 3)
        #expect(try conv.bias!.value.abs().max().item() <= 1 / Float(16 * 9).squareRoot())
    }

    @Test func kaimingXavierAndNormalHaveTheirVariances() throws {
        let (k, kf, x) = try Initialization.seeded(4) {
            (try Initialization.kaimingNormal([256, 128, 3, 3], nonlinearity: .relu),
             try Initialization.kaimingUniform([256, 128], mode: .fanOut, nonlinearity: .relu),
             try Initialization.xavierUniform([300, 200], gain: 2))
        }
        #expect(abs(try k.variance().item() - 2 / Float(128 * 9)) < 0.03 * 2 / Float(128 * 9))
        #expect(try kf.abs().max().item() <= Float(2).squareRoot() * (3 / Float(256)).squareRoot())
        #expect(abs(try x.variance().item() - 4 * 2 / Float(500)) < 0.05 * 4 * 2 / Float(500))
        #expect(throws: NNError.self) { try Initialization.kaimingUniform([5]) }
        #expect(Initialization.Nonlinearity.leakyRelu(negativeSlope: 0.2).gain == (2 / Float(1.04)).squareRoot())
    }

    @Test(arguments: [[6, 4], [4, 6], [8, 2, 3, 3]])
    func orthogonalIsOrthogonalWithGain(_ shape: [Int]) throws {
        let w = try Initialization.seeded(5) { try Initialization.orthogonal(shape, gain: 1.5) }
        #expect(w.shape == shape)
        let rows = shape[0], columns = shape.dropFirst().reduce(1, *)
        let m = try w.reshaped([rows, columns])
        // Rows orthogonal when rows ≤ columns, else columns: the Gram matrix is gain² · I.
        let gram = rows <= columns ? try m.matmul(m, transposeOther: true) : try m.matmul(m, transposeSelf: true)
        let n = Swift.min(rows, columns)
        expectClose(gram, try Tensor.eye(n) * 2.25, rtol: 1e-4, atol: 1e-4, "gram")
    }

    @Test func seedingMakesConstructionReproducible() throws {
        let a = try Initialization.seeded(11) { try Linear(3, 2).weight.value }
        #expect(try Initialization.seeded(11) { try Linear(3, 2).weight.value }.isIdentical(to: a))
        #expect(try !Initialization.seeded(12) { try Linear(3, 2).weight.value }.isIdentical(to: a))
    }
}
