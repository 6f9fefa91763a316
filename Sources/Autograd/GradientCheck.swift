import S2IGANTensor

/// Finite-difference gradient checking for any function of variables: your own operations, layers and
/// whole modules.
///
/// The scalar checked is `sum(f() · r)` for a fixed random `r`, so every output element takes part.
/// Each element of each checked variable is moved by ±`epsilon` in turn (central differences, evaluated
/// without recording a graph, accumulated in Double) and the result is compared with the gradient
/// back-propagation gives. Float32 arithmetic limits the precision, so the default tolerances are those
/// of a float32 check (`|analytic − numeric| ≤ atol + rtol · |numeric|`).
public enum GradientCheck {
    /// The outcome of a check.
    public struct Result: Sendable, CustomStringConvertible {
        /// Whether every element agreed within the tolerances.
        public var passed: Bool
        /// The largest `|analytic − numeric|` seen.
        public var maximumError: Float
        /// Where the worst disagreement was: variable number and flat element index.
        public var worst: (variable: Int, element: Int, analytic: Float, numeric: Float)?

        public var description: String {
            guard let worst else { return "gradient check passed (nothing to compare)" }
            return "gradient check \(passed ? "passed" : "failed"): largest error \(maximumError) at variable \(worst.variable), element \(worst.element) (analytic \(worst.analytic), numeric \(worst.numeric))"
        }
    }

    /// Checks the gradients of `function` with respect to `variables`, which must be leaves; their
    /// values are perturbed in place and restored.
    public static func check(_ variables: [Variable], epsilon: Float = 1e-2, rtol: Float = 1e-2, atol: Float = 1e-3,
                             seed: UInt64 = 0, _ function: () throws -> Variable) throws -> Result {
        for (i, v) in variables.enumerated() where !v.isLeaf {
            throw AutogradError.gradientCheck("variable \(i) is the result of '\(v.operation ?? "?")', not a leaf")
        }
        let saved = variables.map { ($0.value, $0.grad, $0.requiresGrad) }
        defer {
            for (v, s) in zip(variables, saved) { (v.value, v.grad, v.requiresGrad) = s }
        }
        for v in variables {
            v.requiresGrad = true
            v.grad = nil
        }
        let output = try function()
        var rng = RandomGenerator(seed: seed)
        let projection = try Tensor.normal(output.shape, using: &rng)
        guard output.requiresGrad else { throw AutogradError.gradientCheck("the function's result does not depend on the variables") }
        try output.backward(gradient: projection)
        let analytic = try variables.map { v in try v.grad ?? Tensor.zeros(v.shape) }

        func objective() throws -> Double {
            let y = try GradientMode.withoutGradient { try function() }.value
            guard y.shape == projection.shape else {
                throw AutogradError.gradientCheck("the function's result changed shape from \(projection.shape) to \(y.shape)")
            }
            var total: Double = 0
            let a = y.scalars, r = projection.scalars
            for i in a.indices { total += Double(a[i]) * Double(r[i]) }
            return total
        }

        var result = Result(passed: true, maximumError: 0, worst: nil)
        var worstExcess = -Float.infinity
        for (k, v) in variables.enumerated() {
            let original = v.value
            let grad = analytic[k].scalars
            for i in 0..<original.count {
                var plus = original, minus = original
                plus.withUnsafeMutableBufferPointer { $0[i] += epsilon }
                minus.withUnsafeMutableBufferPointer { $0[i] -= epsilon }
                v.value = plus
                let up = try objective()
                v.value = minus
                let down = try objective()
                v.value = original
                let numeric = Float((up - down) / (2 * Double(epsilon)))
                let error = Swift.abs(grad[i] - numeric)
                let excess = error - (atol + rtol * Swift.abs(numeric))
                result.maximumError = Swift.max(result.maximumError, error)
                if excess > worstExcess || !error.isFinite {
                    worstExcess = error.isFinite ? excess : .infinity
                    result.worst = (k, i, grad[i], numeric)
                }
                if !(excess <= 0) { result.passed = false }
            }
        }
        return result
    }

    /// Checks the gradients of `function` with respect to fresh leaves holding `inputs`.
    public static func check(inputs: [Tensor], epsilon: Float = 1e-2, rtol: Float = 1e-2, atol: Float = 1e-3,
                             seed: UInt64 = 0, _ function: ([Variable]) throws -> Variable) throws -> Result {
        let variables = inputs.map { Variable($0, requiresGrad: true) }
        return try check(variables, epsilon: epsilon, rtol: rtol, atol: atol, seed: seed) { try function(variables) }
    }
}
