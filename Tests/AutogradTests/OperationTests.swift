import TestSupport
import Testing
import S2IGANTensor
@testable import S2IGANAutograd
import S2IGANFormats

/// Every differentiable operation against PyTorch: forward value and the gradient of `sum(out · g)`
/// with respect to each input.
@Suite struct OperationTests {
    typealias Op = (inputs: [String], function: ([Variable], SafeTensorsFile) throws -> Variable)

    nonisolated(unsafe) static let operations: [String: Op] = [
        "add": (["a", "b"], { v, _ in try v[0] + v[1] }),
        "sub": (["a", "b"], { v, _ in try v[0] - v[1] }),
        "mul": (["a", "b"], { v, _ in try v[0] * v[1] }),
        "div": (["a", "b"], { v, _ in try v[0] / v[1] }),
        "pow": (["a", "b"], { v, _ in try v[0].pow(v[1]) }),
        "powscalar": (["a"], { v, _ in v[0].pow(2.5) }),
        "exp": (["a"], { v, _ in v[0].exp() }),
        "log": (["a"], { v, _ in v[0].log() }),
        "sqrt": (["a"], { v, _ in v[0].sqrt() }),
        "tanh": (["a"], { v, _ in v[0].tanh() }),
        "sigmoid": (["a"], { v, _ in v[0].sigmoid() }),
        "relu": (["a"], { v, _ in v[0].relu() }),
        "abs": (["a"], { v, _ in v[0].abs() }),
        "leaky_relu": (["a"], { v, _ in v[0].leakyRelu(negativeSlope: 0.2) }),
        "clamp": (["a"], { v, _ in try v[0].clamped(min: -0.5, max: 0.5) }),
        "sum_axes": (["a"], { v, _ in try v[0].sum(axes: [1, 3]) }),
        "mean_keep": (["a"], { v, _ in try v[0].mean(axes: [2], keepDims: true) }),
        "var": (["a"], { v, _ in try v[0].variance(axes: [0, 2]) }),
        "amax": (["a"], { v, _ in try v[0].max(axes: [1]) }),
        "max_dim": (["a"], { v, _ in try v[0].max(alongAxis: 0).values }),
        "logsumexp": (["a"], { v, _ in try v[0].logSumExp(axes: [1]) }),
        "softmax": (["a"], { v, _ in try v[0].softmax(axis: 1) }),
        "log_softmax": (["a"], { v, _ in try v[0].logSoftmax(axis: -1) }),
        "normalize": (["a"], { v, _ in try v[0].l2Normalized(axis: 1) }),
        "matmul": (["a", "b"], { v, _ in try v[0].matmul(v[1]) }),
        "matmul_tt": (["a", "b"], { v, _ in try v[0].matmul(v[1], transposeSelf: true, transposeOther: true) }),
        "bmm": (["a", "b"], { v, _ in try v[0].matmul(v[1]) }),
        "permute": (["a"], { v, _ in try v[0].permuted([2, 0, 1]) }),
        "reshape": (["a"], { v, _ in try v[0].reshaped([4, 6]) }),
        "slice": (["a"], { v, _ in try v[0].slice(axis: 0, start: 1, end: 4, step: 2) }),
        "cat": (["a", "b"], { v, _ in try Variable.concatenate([v[0], v[1]], axis: 1) }),
        "stack": (["a", "b"], { v, _ in try Variable.stack([v[0], v[1]], axis: 0) }),
        "pad_reflect": (["a"], { v, _ in try v[0].padded([(1, 2), (2, 1)], mode: .reflect) }),
        "pad_const": (["a"], { v, _ in try v[0].padded([(1, 2)], mode: .constant(0.5)) }),
        "index_select": (["a"], { v, _ in try v[0].indexSelect(axis: 0, indices: [3, 0, 3]) }),
        "gather": (["a"], { v, f in
            let idx = try f.tensor("gather.idx")
            return try v[0].gather(axis: 1, index: IndexTensor(shape: idx.shape, indices: idx.scalars.map { Int($0) }))
        }),
        "masked_fill": (["a"], { v, f in try v[0].maskedFill(f.tensor("masked_fill.mask"), with: -1e9) }),
        "where": (["a", "b"], { v, f in try Variable.where(f.tensor("where.cond"), v[0], v[1]) }),
        "conv2d": (["x", "w", "bias"], { v, _ in try Variable.conv2d(v[0], weight: v[1], bias: v[2], stride: 2, padding: 1) }),
        "conv1d": (["x", "w", "bias"], { v, _ in try Variable.conv1d(v[0], weight: v[1], bias: v[2], stride: 2, padding: 1) }),
        "maxpool": (["x"], { v, _ in try v[0].maxPool2d(kernel: 3, stride: 2, padding: 1) }),
        "avgpool": (["x"], { v, _ in try v[0].avgPool2d(kernel: 3, stride: 2, padding: 1, countIncludePad: false) }),
        "upsample": (["x"], { v, _ in try v[0].upsampledNearest(scale: 2) }),
        "bilinear": (["x"], { v, _ in try v[0].resizedBilinear(height: 7, width: 3) }),
        "chain": (["x", "w"], { v, _ in
            let h = try v[0].matmul(v[1]).tanh()
            return try (h * h).sum(axes: [0]) + h.mean(axes: [0])
        }),
    ]

    @Test(arguments: operations.keys.sorted())
    func matchesPyTorch(_ name: String) throws {
        let f = try fixtures.load("autograd")
        let op = try #require(Self.operations[name])
        let inputs = try op.inputs.map { Variable(try f.tensor("\(name).\($0)"), requiresGrad: true) }
        let out = try op.function(inputs, f)
        expectClose(out.value, try f.tensor("\(name).out"), "\(name) forward")
        try out.backward(gradient: f.tensor("\(name).g"))
        for (input, label) in zip(inputs, op.inputs) {
            let grad = try #require(input.grad, "\(name): no gradient for \(label)")
            expectClose(grad, try f.tensor("\(name).grad_\(label)"), rtol: 1e-4, atol: 1e-4, "\(name) d/d\(label)")
        }
    }

    /// The convolution with the rectifier fused against the two operations one after the other: values (NaN
    /// included, which the rectifier passes) and every gradient.
    @Test func fusedRectifiedConvolutionIsConvolutionThenRectifier() throws {
        var rng = RandomGenerator(seed: 31)
        var input = try Tensor.normal([2, 3, 7, 6], using: &rng).scalars
        input[5] = .nan
        let tensors = [try Tensor(shape: [2, 3, 7, 6], scalars: input)] + (try [[5, 3, 3, 3], [5]].map { try Tensor.normal($0, using: &rng) })
        func run(_ fused: Bool, _ values: [Tensor]) throws -> (Tensor, [Tensor]) {
            let v = values.map { Variable($0, requiresGrad: true) }
            let out = fused ? try Variable.conv2dReLU(v[0], weight: v[1], bias: v[2], padding: 1)
                            : try Variable.conv2d(v[0], weight: v[1], bias: v[2], padding: 1).relu()
            try (out * out).sum().backward()
            return (out.value, try v.map { try #require($0.grad) })
        }
        let (a, _) = try run(true, tensors), (b, _) = try run(false, tensors)
        #expect(a.scalars.filter(\.isNaN).count == b.scalars.filter(\.isNaN).count && a.scalars.contains { $0.isNaN })
        var clean = tensors
        clean[0] = try Tensor.normal([2, 3, 7, 6], using: &rng)
        let (fused, fusedGrads) = try run(true, clean), (plain, plainGrads) = try run(false, clean)
        // Without a bias too, and strided.
        let noBias = try Variable.conv2dReLU(Variable(clean[0]), weight: Variable(clean[1]), stride: 2, padding: 1).value
        expectClose(noBias, try Tensor.conv2d(clean[0], weight: clean[1], stride: 2, padding: 1).relu(), rtol: 1e-6, atol: 1e-6, "no bias")
        #expect(fused.scalars.contains(0) && fused.scalars.allSatisfy { $0 >= 0 })
        expectClose(fused, plain, rtol: 1e-6, atol: 1e-6, "forward")
        for (k, (x, y)) in zip(fusedGrads, plainGrads).enumerated() { expectClose(x, y, rtol: 1e-5, atol: 1e-5, "gradient of input \(k)") }
    }

    /// The constant-channel convolution against its definition, the convolution of the concatenated input
    /// (itself checked against PyTorch above), values and every gradient, at sizes where it stretches.
    @Test(arguments: [(3, 1, 9, 7), (5, 2, 6, 5), (3, 1, 3, 3)])
    func constantChannelConvolutionIsTheConcatenatedOne(_ kernel: Int, _ padding: Int, _ height: Int, _ width: Int) throws {
        var rng = RandomGenerator(seed: UInt64(kernel * 100 + height))
        let tensors = try [[3, 4, height, width], [3, 6], [8, 10, kernel, kernel], [8]].map { try Tensor.normal($0, using: &rng) }
        func run(_ fused: Bool) throws -> (Tensor, [Tensor]) {
            let v = tensors.map { Variable($0, requiresGrad: true) }
            let out = fused
                ? try Variable.conv2d(v[0], constantChannels: v[1], weight: v[2], bias: v[3], padding: padding)
                : try Variable.conv2d(Variable.concatenate([v[1].reshaped([3, 6, 1, 1]).broadcast(to: [3, 6, height, width]), v[0]], axis: 1),
                                      weight: v[2], bias: v[3], padding: IntPair(padding, padding))
            try (out * out).sum().backward()
            return (out.value, try v.map { try #require($0.grad) })
        }
        let (fused, fusedGrads) = try run(true), (plain, plainGrads) = try run(false)
        expectClose(fused, plain, rtol: 1e-5, atol: 1e-5, "forward")
        for (k, (a, b)) in zip(fusedGrads, plainGrads).enumerated() {
            expectClose(a, b, rtol: 1e-4, atol: 1e-4, "gradient of input \(k)")
        }
    }

    @Test func everyFixtureCaseIsCovered() throws {
        let f = try fixtures.load("autograd")
        let cases = Set(f.names.filter { $0.hasSuffix(".out") }.map { String($0.dropLast(4)) })
        #expect(cases == Set(Self.operations.keys))
    }
}
