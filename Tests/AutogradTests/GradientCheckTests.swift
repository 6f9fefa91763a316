import TestSupport
import Testing
import S2IGANTensor
@testable import S2IGANAutograd

/// Finite differences against back-propagation for every operation family, on small random inputs.
@Suite struct GradientCheckTests {
    enum Inputs { case normal, positive, distinct }

    /// Random inputs; `.distinct` values are at least 0.1 apart, so that ±epsilon never changes which
    /// element wins a max.
    static func inputs(_ shapes: [[Int]], seed: UInt64, kind: Inputs = .normal) throws -> [Tensor] {
        var rng = RandomGenerator(seed: seed)
        return try shapes.map { shape in
            switch kind {
            case .normal: return try Tensor.normal(shape, using: &rng)
            case .positive: return try Tensor.normal(shape, using: &rng).abs() + 0.5
            case .distinct:
                let n = shape.reduce(1, *)
                return try Tensor(shape: shape, scalars: rng.permutation(n).map { Float($0) * 0.1 - Float(n) * 0.05 })
            }
        }
    }

    nonisolated(unsafe) static let cases: [(String, [[Int]], Inputs, ([Variable]) throws -> Variable)] = [
        ("broadcast arithmetic", [[2, 3], [3], [2, 1]], .positive, { v in try (v[0] * v[1] - v[2]) / (v[1] + v[2]) }),
        ("pow", [[3, 2], [2]], .positive, { v in try v[0].pow(v[1]) }),
        ("unary chain", [[4, 3]], .normal, { v in try v[0].tanh().sigmoid().exp() + v[0].square() }),
        ("log sqrt", [[5]], .positive, { v in try v[0].log() * v[0].sqrt() }),
        ("reductions", [[2, 3, 4]], .normal, { v in
            try Variable.concatenate([v[0].sum(axes: [1]), v[0].mean(axes: [1]), v[0].variance(axes: [1]), v[0].logSumExp(axes: [1])], axis: 1)
        }),
        ("softmax family", [[3, 5]], .normal, { v in try v[0].softmax(axis: 1) * v[0].logSoftmax(axis: 0) }),
        ("l2 normalisation", [[3, 4]], .normal, { v in try v[0].l2Normalized(axis: 1) }),
        ("matmul transposes", [[3, 4], [5, 3]], .normal, { v in try Variable.matmul(v[0], v[1], transposeA: true, transposeB: true) }),
        ("batched matmul", [[2, 3, 4], [1, 4, 2]], .normal, { v in try v[0].matmul(v[1]) }),
        ("matrix-vector", [[3, 4], [4]], .normal, { v in try v[0].matmul(v[1]) }),
        ("layout", [[2, 3, 4]], .normal, { v in
            try v[0].permuted([1, 2, 0]).slice(axis: 1, start: 1, step: 2).reshaped([3, -1]).transposed().padded([(1, 1)], mode: .reflect)
        }),
        ("split and stack", [[4, 3]], .normal, { v in
            let parts = try v[0].split(sizes: [1, 3], axis: 0)
            return try Variable.stack([parts[0].broadcast(to: [3, 3]), parts[1]], axis: 2)
        }),
        ("selection", [[4, 3]], .normal, { v in
            try v[0].indexSelect(axis: 0, indices: [1, 1, 3]).gather(axis: 1, index: IndexTensor(shape: [3, 2], indices: [0, 2, 1, 1, 2, 0]))
        }),
        ("conv2d grouped", [[2, 4, 5, 5], [6, 2, 3, 3], [6]], .normal, { v in
            try Variable.conv2d(v[0], weight: v[1], bias: v[2], stride: IntPair(2, 1), padding: 1, dilation: IntPair(1, 2), groups: 2)
        }),
        ("conv2d factorised 1×7 and 7×1", [[1, 3, 8, 9], [4, 3, 1, 7], [2, 4, 7, 1]], .normal, { v in
            try Variable.conv2d(Variable.conv2d(v[0], weight: v[1], padding: IntPair(0, 3)), weight: v[2], padding: IntPair(3, 0))
        }),
        ("conv2d with constant channels", [[2, 3, 5, 6], [2, 4], [5, 7, 3, 3], [5]], .normal, { v in
            try Variable.conv2d(v[0], constantChannels: v[1], weight: v[2], bias: v[3], padding: 1)
        }),
        ("conv2d with constant channels, 5 × 5 and too small for 3 × 3", [[1, 2, 5, 7], [1, 1], [3, 3, 5, 5], [1, 2, 2, 2], [2, 3, 3, 3]],
         .normal, { v in
            let wide = try Variable.conv2d(v[0], constantChannels: v[1], weight: v[2], padding: 2)
            let small = try Variable.conv2d(v[3], constantChannels: v[1], weight: v[4], padding: 1)
            return try Variable.concatenate([wide.flattened(), small.flattened()], axis: 0)
        }),
        ("conv1d", [[2, 3, 9], [4, 3, 3]], .normal, { v in try Variable.conv1d(v[0], weight: v[1], stride: 2, padding: 1) }),
        ("pooling", [[1, 2, 6, 6]], .distinct, { v in
            try v[0].maxPool2d(kernel: 3, stride: 1, padding: 1).avgPool2d(kernel: 2, ceilMode: true).upsampledNearest(scale: 2)
        }),
        ("Inception pools", [[1, 2, 9, 9]], .distinct, { v in
            try v[0].maxPool2d(kernel: 3, stride: 2).avgPool2d(kernel: 3, stride: 1, padding: 1, countIncludePad: false)
                .avgPool2d(kernel: 3, stride: 1, padding: 1, countIncludePad: true)
        }),
        ("bilinear", [[1, 2, 3, 4]], .normal, { v in try v[0].resizedBilinear(height: 5, width: 3) }),
        ("batch norm", [[4, 3, 2], [3], [3]], .normal, { v in
            try Variable.batchNormTraining(v[0], weight: v[1], bias: v[2], epsilon: 1e-5).output
        }),
        ("losses", [[4, 3], [2, 3]], .normal, { v in
            let ce = try Variable.crossEntropy(v[0], targets: [2, 0, 1, 1])
            let kl = try Variable.gaussianKLDivergence(mean: v[1], logVariance: v[1] * 0.5)
            let bce = try Variable.binaryCrossEntropy(v[1].sigmoid(), targets: Tensor(shape: [2, 3], scalars: [1, 0, 1, 0, 0.5, 1]))
            let logits = try Variable.binaryCrossEntropyWithLogits(v[1], targets: Tensor(shape: [2, 3], scalars: [0, 1, 1, 0, 0.25, 1]))
            return try Variable.stack([ce, kl, bce, logits])
        }),
    ]

    @Test(arguments: cases.indices)
    func finiteDifferencesAgree(_ index: Int) throws {
        let (name, shapes, kind, function) = Self.cases[index]
        let result = try GradientCheck.check(inputs: try Self.inputs(shapes, seed: UInt64(index), kind: kind), function)
        #expect(result.passed, "\(name): \(result)")
    }

    @Test func theCheckerCatchesAWrongGradient() throws {
        // A deliberately wrong backward (the derivative of x² claimed to be x) must fail the check.
        let wrong: ([Variable]) throws -> Variable = { v in
            Variable.record("wrongSquare", v[0].value.square(), [v[0]]) { g, _ in [try g * v[0].value] }
        }
        let result = try GradientCheck.check(inputs: try Self.inputs([[3]], seed: 9), wrong)
        #expect(!result.passed)
    }
}
