import TestSupport
import Foundation
import Testing
@testable import S2IGANTensor

/// The eight-lane gate functions against libm in Double precision over their whole useful range.
@Suite struct VectorMathTests {
    @Test func exponentialLogisticAndTanhAreAccurate() {
        var worst = (exp: 0.0, logistic: 0.0, tanh: 0.0)
        var x: Float = -30
        while x < 30 {
            let v = SIMD8<Float>((0..<8).map { x + Float($0) * 0.0007 })
            let (e, s, t) = (VectorMath.exp(v), VectorMath.logistic(v), VectorMath.tanh(v))
            for lane in 0..<8 {
                let d = Double(v[lane])
                worst.exp = max(worst.exp, abs(Double(e[lane]) - Foundation.exp(d)) / Foundation.exp(d))
                worst.logistic = max(worst.logistic, abs(Double(s[lane]) - 1 / (1 + Foundation.exp(-d))))
                worst.tanh = max(worst.tanh, abs(Double(t[lane]) - Foundation.tanh(d)))
            }
            x += 0.0131
        }
        #expect(worst.exp < 3e-7, "exp relative error \(worst.exp)")
        #expect(worst.logistic < 2e-7, "logistic absolute error \(worst.logistic)")
        #expect(worst.tanh < 3e-7, "tanh absolute error \(worst.tanh)")
        // Far outside the range nothing overflows into NaN.
        let extreme = SIMD8<Float>(repeating: 1000)
        #expect(VectorMath.logistic(extreme) == SIMD8(repeating: 1) && VectorMath.logistic(-extreme).max() < 1e-30)
        #expect(VectorMath.tanh(extreme) == SIMD8(repeating: 1) && VectorMath.tanh(-extreme) == SIMD8(repeating: -1))
    }
}
