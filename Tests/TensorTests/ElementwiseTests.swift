import TestSupport
import Testing
@testable import S2IGANTensor
import S2IGANFormats

@Suite struct ElementwiseTests {
    let f: SafeTensorsFile
    let a, b, c, pa: Tensor

    init() throws {
        f = try fixtures.load("elementwise")
        (a, b, c, pa) = (try f.tensor("a"), try f.tensor("b"), try f.tensor("c"), try f.tensor("pa"))
    }

    func golden(_ name: String) throws -> Tensor { try f.tensor(name) }

    @Test func broadcastingArithmeticMatchesPyTorch() throws {
        expectClose(try a + b, try golden("add_ab"), "a + b")
        expectClose(try a - b, try golden("sub_ab"), "a - b")
        expectClose(try a * b, try golden("mul_ab"), "a * b")
        expectClose(try a / b, try golden("div_ab"), "a / b")
        expectClose(try a + c, try golden("add_ac"), "a + c")
        expectClose(try c - a, try golden("sub_ca"), "c - a")
        expectClose(try a.maximum(b), try golden("maximum_ab"), "maximum")
        expectClose(try a.minimum(b), try golden("minimum_ab"), "minimum")
        expectClose(try pa.pow(b), try golden("pow_pa_b"), rtol: 1e-5, atol: 1e-5, "pow")
    }

    @Test func unaryMathsMatchesPyTorch() throws {
        expectClose(a.exp(), try golden("exp_a"), rtol: 1e-5, "exp")
        expectClose(pa.log(), try golden("log_pa"), "log")
        expectClose(pa.sqrt(), try golden("sqrt_pa"), "sqrt")
        expectClose(a.tanh(), try golden("tanh_a"), "tanh")
        expectClose(a.sigmoid(), try golden("sigmoid_a"), "sigmoid")
        expectClose(a.relu(), try golden("relu_a"), "relu")
        expectClose(a.leakyRelu(negativeSlope: 0.2), try golden("leaky_relu_a"), "leakyRelu")
        expectClose(a.abs(), try golden("abs_a"), "abs")
        expectClose(try a.clamped(min: -0.5, max: 0.5), try golden("clamp_a"), "clamp")
        expectClose(pa.pow(2.5), try golden("pow_pa_2_5"), "pow 2.5")
    }

    @Test func comparisonsMatchPyTorch() throws {
        #expect(try a.less(b).isIdentical(to: golden("lt_ab")))
        #expect(try a.lessEqual(b).isIdentical(to: golden("le_ab")))
        #expect(try a.greater(b).isIdentical(to: golden("gt_ab")))
        #expect(try a.greaterEqual(b).isIdentical(to: golden("ge_ab")))
        #expect(try a.equal(b).isIdentical(to: golden("eq_ab")))
        #expect(try a.notEqual(b).isIdentical(to: golden("ne_ab")))
        // The fixture plants one equal pair, so the equality test is not vacuous.
        #expect(try a.equal(b).sum().item() >= 1)
    }

    @Test func scalarOperatorsAndHandDerivedCases() throws {
        let x = Tensor([1, -2, 3])
        #expect((x * 2 + 1).scalars == [3, -3, 7])
        #expect((10 - x).scalars == [9, 12, 7])
        #expect((x / 2).scalars == [0.5, -1, 1.5])
        #expect((-x).scalars == [-1, 2, -3])
        #expect(Tensor([-1000, 0, 1000]).sigmoid().scalars == [0, 0.5, 1])
        #expect(Tensor([Float.nan]).relu().scalars[0].isNaN)
        #expect(try Tensor([1, .nan]).maximum(Tensor([2, 0])).scalars[1].isNaN)
        #expect(!Tensor([1, .infinity]).isFinite && Tensor([1, 2]).isFinite)
    }

    @Test func mismatchedShapesThrowNamingTheOperation() throws {
        let x = try Tensor.zeros([2, 3]), y = try Tensor.zeros([4])
        #expect {
            _ = try x + y
        } throws: { error in
            "\(error)" == "add: shapes [2, 3] and [4] do not broadcast (axis 1: 3 vs 4)"
        }
        #expect(throws: TensorError.self) { try x.clamped(min: 1, max: 0) }
    }
}
