import S2IGANAutograd
import S2IGANNN
import S2IGANTensor

// The building blocks of Inception-v3 with torchvision's state-dict names (`branch3x3dbl_2`, `branch_pool`, …,
// given to the Swift names `branch3x3DoubleLayer2`, `branchPool` by `stateKeys`), so that torchvision's and
// pytorch-fid's state dicts load as they are.

/// Convolution without bias → BatchNorm (ε = 0.001) → ReLU (torchvision's `BasicConv2d`).
///
/// In evaluation mode with frozen parameters — how S2IGAN and the metrics use Inception — the BatchNorm is
/// folded into the convolution's weights and a bias, one pass instead of three, with gradients still
/// flowing to the input.
public final class BasicConv2d: Module, Layer {
    public let conv: Conv2d
    public let bn: BatchNorm2d

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: IntPair, stride: IntPair = 1, padding: IntPair = 0) throws {
        conv = try Conv2d(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding, bias: false)
        bn = try BatchNorm2d(outChannels, epsilon: 0.001)
        super.init()
    }

    public func callAsFunction(_ input: Variable) throws -> Variable {
        guard let (weight, bias) = try folded() else { return try bn(conv(input)).relu() }
        return try Variable.conv2dReLU(input, weight: Variable(weight), bias: Variable(bias), stride: conv.stride, padding: conv.padding)
    }

    /// The convolution's weight and bias with the BatchNorm folded in, when the layer is frozen and in evaluation
    /// mode; `nil` otherwise.
    func folded() throws -> (weight: Tensor, bias: Tensor)? {
        guard !isTraining, !conv.weight.requiresGrad, !(bn.weight?.requiresGrad ?? false), !(bn.bias?.requiresGrad ?? false),
              let mean = bn.runningMean?.value, let variance = bn.runningVariance?.value else { return nil }
        return try BasicConv2d.fold(conv.weight.value, mean: mean, variance: variance, epsilon: bn.epsilon,
                                    gamma: bn.weight?.value, beta: bn.bias?.value)
    }

    /// The 1 × 1 layers `pointwise` that read the same input `x`, and the pool branch `pooled` (a 1 × 1 layer
    /// after `pooling`), as one convolution when all are frozen and folded: one GEMM with the weights stacked
    /// reads the input once instead of once per branch. Averaging over a window and a 1 × 1 convolution without
    /// bias commute (both are linear, one across pixels and one across channels, and zero padding stays zero),
    /// so the pool branch convolves first and averages its fewer output channels afterwards, then adds its bias.
    /// Maximum pooling does not commute and runs as written. Returns the branches' outputs in order, the pool
    /// branch's last.
    static func sharedInput(_ x: Variable, pointwise: [BasicConv2d], pooled: (layer: BasicConv2d, pooling: InceptionPooling)?) throws -> [Variable] {
        var layers = pointwise
        var averaged: Bool?
        if let pooled, case .average(let countIncludePad) = pooled.pooling {
            layers.append(pooled.layer)
            averaged = countIncludePad
        }
        var parts: [(weight: Tensor, bias: Tensor)] = []
        for layer in layers {
            guard Array(layer.conv.weight.shape.suffix(2)) == [1, 1], layer.conv.stride == IntPair(1, 1), layer.conv.padding == IntPair(0, 0),
                  layer.conv.groups == 1, layer.conv.bias == nil,
                  let part = try layer.folded() else {
                return try pointwise.map { try $0(x) } + (pooled.map { [try $0.layer($0.pooling(x))] } ?? [])
            }
            parts.append(part)
        }
        var biases = parts.map(\.bias)
        if averaged != nil { biases[biases.count - 1] = try Tensor.zeros(biases[biases.count - 1].shape) }
        let weight = try Tensor.concatenate(parts.map(\.weight), axis: 0), bias = try Tensor.concatenate(biases, axis: 0)
        let sizes = parts.map { $0.weight.shape[0] }
        if let countIncludePad = averaged, let poolBias = parts.last?.bias {
            var outputs = try Variable.conv2d(x, weight: Variable(weight), bias: Variable(bias)).split(sizes: sizes, axis: 1)
            let averagedBranch = try outputs.removeLast().avgPool2d(kernel: 3, stride: 1, padding: 1, countIncludePad: countIncludePad)
            outputs = outputs.map { $0.relu() }
            outputs.append(try Variable.channelAffine(averagedBranch, scale: Tensor.ones(poolBias.shape), shift: poolBias).relu())
            return outputs
        }
        var outputs = try Variable.conv2dReLU(x, weight: Variable(weight), bias: Variable(bias)).split(sizes: sizes, axis: 1)
        if let pooled { outputs.append(try pooled.layer(pooled.pooling(x))) }
        return outputs
    }

    /// `w · γ/√(σ² + ε)` per output channel and `β − μ · γ/√(σ² + ε)`.
    static func fold(_ weight: Tensor, mean: Tensor, variance: Tensor, epsilon: Float, gamma: Tensor?, beta: Tensor?) throws -> (Tensor, Tensor) {
        let outChannels = weight.shape[0], perChannel = weight.count / max(outChannels, 1)
        var scale = (variance + epsilon).pow(-0.5)
        if let gamma { scale = try scale * gamma }
        var bias = try -(mean * scale)
        if let beta { bias = try bias + beta }
        let factors = scale.scalars
        let folded = weight.withUnsafeBufferPointer { w in
            Tensor(shape: weight.shape) { out in
                for o in 0..<outChannels {
                    let f = factors[o]
                    for i in (o * perChannel)..<((o + 1) * perChannel) { out[i] = w[i] * f }
                }
            }
        }
        return (folded, bias)
    }
}

/// The 3 × 3, stride 1, padding 1 pooling of an Inception block's pool branch. torchvision averages with
/// the padding counted; pytorch-fid's FID network (ported from TensorFlow) averages without it, and its
/// last block takes the maximum.
public enum InceptionPooling: Sendable, Equatable {
    case average(countIncludePad: Bool)
    case maximum

    func callAsFunction(_ x: Variable) throws -> Variable {
        switch self {
        case .average(let countIncludePad): return try x.avgPool2d(kernel: 3, stride: 1, padding: 1, countIncludePad: countIncludePad)
        case .maximum: return try x.maxPool2d(kernel: 3, stride: 1, padding: 1)
        }
    }
}

/// 35 × 35 block: 1×1; 1×1 → 5×5; 1×1 → 3×3 → 3×3; pool → 1×1 (`pool_features` channels).
public final class InceptionA: Module, Layer {
    public let branch1x1, branch5x5Layer1, branch5x5Layer2: BasicConv2d
    public let branch3x3DoubleLayer1, branch3x3DoubleLayer2, branch3x3DoubleLayer3, branchPool: BasicConv2d
    public let pooling: InceptionPooling

    /// torchvision's names of the branch layers.
    override public class var stateKeys: [String: String] {
        ["branch5x5Layer1": "branch5x5_1", "branch5x5Layer2": "branch5x5_2", "branch3x3DoubleLayer1": "branch3x3dbl_1",
         "branch3x3DoubleLayer2": "branch3x3dbl_2", "branch3x3DoubleLayer3": "branch3x3dbl_3", "branchPool": "branch_pool"]
    }

    public init(_ inChannels: Int, poolFeatures: Int, pooling: InceptionPooling = .average(countIncludePad: true)) throws {
        branch1x1 = try BasicConv2d(inChannels, 64, kernelSize: 1)
        branch5x5Layer1 = try BasicConv2d(inChannels, 48, kernelSize: 1)
        branch5x5Layer2 = try BasicConv2d(48, 64, kernelSize: 5, padding: 2)
        branch3x3DoubleLayer1 = try BasicConv2d(inChannels, 64, kernelSize: 1)
        branch3x3DoubleLayer2 = try BasicConv2d(64, 96, kernelSize: 3, padding: 1)
        branch3x3DoubleLayer3 = try BasicConv2d(96, 96, kernelSize: 3, padding: 1)
        branchPool = try BasicConv2d(inChannels, poolFeatures, kernelSize: 1)
        self.pooling = pooling
        super.init()
    }

    public func callAsFunction(_ x: Variable) throws -> Variable {
        let first = try BasicConv2d.sharedInput(x, pointwise: [branch1x1, branch5x5Layer1, branch3x3DoubleLayer1], pooled: (branchPool, pooling))
        let b = try branch5x5Layer2(first[1])
        let c = try branch3x3DoubleLayer3(branch3x3DoubleLayer2(first[2]))
        return try Variable.concatenate([first[0], b, c, first[3]], axis: 1)
    }
}

/// 35 → 17 reduction: 3×3 stride 2; 1×1 → 3×3 → 3×3 stride 2; max pool stride 2.
public final class InceptionB: Module, Layer {
    public let branch3x3, branch3x3DoubleLayer1, branch3x3DoubleLayer2, branch3x3DoubleLayer3: BasicConv2d

    /// torchvision's names of the branch layers.
    override public class var stateKeys: [String: String] {
        ["branch3x3DoubleLayer1": "branch3x3dbl_1", "branch3x3DoubleLayer2": "branch3x3dbl_2", "branch3x3DoubleLayer3": "branch3x3dbl_3"]
    }

    public init(_ inChannels: Int) throws {
        branch3x3 = try BasicConv2d(inChannels, 384, kernelSize: 3, stride: 2)
        branch3x3DoubleLayer1 = try BasicConv2d(inChannels, 64, kernelSize: 1)
        branch3x3DoubleLayer2 = try BasicConv2d(64, 96, kernelSize: 3, padding: 1)
        branch3x3DoubleLayer3 = try BasicConv2d(96, 96, kernelSize: 3, stride: 2)
        super.init()
    }

    public func callAsFunction(_ x: Variable) throws -> Variable {
        let a = try branch3x3(x)
        let b = try branch3x3DoubleLayer3(branch3x3DoubleLayer2(branch3x3DoubleLayer1(x)))
        let c = try x.maxPool2d(kernel: 3, stride: 2)
        return try Variable.concatenate([a, b, c], axis: 1)
    }
}

/// 17 × 17 block with factorised 7×7 convolutions (`channels_7x7` inner width).
public final class InceptionC: Module, Layer {
    public let branch1x1: BasicConv2d
    public let branch7x7Layer1, branch7x7Layer2, branch7x7Layer3: BasicConv2d
    public let branch7x7DoubleLayer1, branch7x7DoubleLayer2, branch7x7DoubleLayer3, branch7x7DoubleLayer4, branch7x7DoubleLayer5: BasicConv2d
    public let branchPool: BasicConv2d
    public let pooling: InceptionPooling

    /// torchvision's names of the branch layers.
    override public class var stateKeys: [String: String] {
        ["branch7x7Layer1": "branch7x7_1", "branch7x7Layer2": "branch7x7_2", "branch7x7Layer3": "branch7x7_3",
         "branch7x7DoubleLayer1": "branch7x7dbl_1", "branch7x7DoubleLayer2": "branch7x7dbl_2", "branch7x7DoubleLayer3": "branch7x7dbl_3",
         "branch7x7DoubleLayer4": "branch7x7dbl_4", "branch7x7DoubleLayer5": "branch7x7dbl_5", "branchPool": "branch_pool"]
    }

    public init(_ inChannels: Int, channels7x7 c7: Int, pooling: InceptionPooling = .average(countIncludePad: true)) throws {
        branch1x1 = try BasicConv2d(inChannels, 192, kernelSize: 1)
        branch7x7Layer1 = try BasicConv2d(inChannels, c7, kernelSize: 1)
        branch7x7Layer2 = try BasicConv2d(c7, c7, kernelSize: IntPair(1, 7), padding: IntPair(0, 3))
        branch7x7Layer3 = try BasicConv2d(c7, 192, kernelSize: IntPair(7, 1), padding: IntPair(3, 0))
        branch7x7DoubleLayer1 = try BasicConv2d(inChannels, c7, kernelSize: 1)
        branch7x7DoubleLayer2 = try BasicConv2d(c7, c7, kernelSize: IntPair(7, 1), padding: IntPair(3, 0))
        branch7x7DoubleLayer3 = try BasicConv2d(c7, c7, kernelSize: IntPair(1, 7), padding: IntPair(0, 3))
        branch7x7DoubleLayer4 = try BasicConv2d(c7, c7, kernelSize: IntPair(7, 1), padding: IntPair(3, 0))
        branch7x7DoubleLayer5 = try BasicConv2d(c7, 192, kernelSize: IntPair(1, 7), padding: IntPair(0, 3))
        branchPool = try BasicConv2d(inChannels, 192, kernelSize: 1)
        self.pooling = pooling
        super.init()
    }

    public func callAsFunction(_ x: Variable) throws -> Variable {
        let first = try BasicConv2d.sharedInput(x, pointwise: [branch1x1, branch7x7Layer1, branch7x7DoubleLayer1], pooled: (branchPool, pooling))
        let b = try branch7x7Layer3(branch7x7Layer2(first[1]))
        let c = try branch7x7DoubleLayer5(branch7x7DoubleLayer4(branch7x7DoubleLayer3(branch7x7DoubleLayer2(first[2]))))
        return try Variable.concatenate([first[0], b, c, first[3]], axis: 1)
    }
}

/// 17 → 8 reduction: 1×1 → 3×3 stride 2; 1×1 → 1×7 → 7×1 → 3×3 stride 2; max pool stride 2.
public final class InceptionD: Module, Layer {
    public let branch3x3Layer1, branch3x3Layer2: BasicConv2d
    public let branch7x7x3Layer1, branch7x7x3Layer2, branch7x7x3Layer3, branch7x7x3Layer4: BasicConv2d

    /// torchvision's names of the branch layers.
    override public class var stateKeys: [String: String] {
        ["branch3x3Layer1": "branch3x3_1", "branch3x3Layer2": "branch3x3_2", "branch7x7x3Layer1": "branch7x7x3_1",
         "branch7x7x3Layer2": "branch7x7x3_2", "branch7x7x3Layer3": "branch7x7x3_3", "branch7x7x3Layer4": "branch7x7x3_4"]
    }

    public init(_ inChannels: Int) throws {
        branch3x3Layer1 = try BasicConv2d(inChannels, 192, kernelSize: 1)
        branch3x3Layer2 = try BasicConv2d(192, 320, kernelSize: 3, stride: 2)
        branch7x7x3Layer1 = try BasicConv2d(inChannels, 192, kernelSize: 1)
        branch7x7x3Layer2 = try BasicConv2d(192, 192, kernelSize: IntPair(1, 7), padding: IntPair(0, 3))
        branch7x7x3Layer3 = try BasicConv2d(192, 192, kernelSize: IntPair(7, 1), padding: IntPair(3, 0))
        branch7x7x3Layer4 = try BasicConv2d(192, 192, kernelSize: 3, stride: 2)
        super.init()
    }

    public func callAsFunction(_ x: Variable) throws -> Variable {
        let first = try BasicConv2d.sharedInput(x, pointwise: [branch3x3Layer1, branch7x7x3Layer1], pooled: nil)
        let a = try branch3x3Layer2(first[0])
        let b = try branch7x7x3Layer4(branch7x7x3Layer3(branch7x7x3Layer2(first[1])))
        let c = try x.maxPool2d(kernel: 3, stride: 2)
        return try Variable.concatenate([a, b, c], axis: 1)
    }
}

/// 8 × 8 block with split 1×3 / 3×1 branches: 320 + 768 + 768 + 192 = 2048 channels.
public final class InceptionE: Module, Layer {
    public let branch1x1: BasicConv2d
    public let branch3x3Layer1, branch3x3Layer2a, branch3x3Layer2b: BasicConv2d
    public let branch3x3DoubleLayer1, branch3x3DoubleLayer2, branch3x3DoubleLayer3a, branch3x3DoubleLayer3b: BasicConv2d
    public let branchPool: BasicConv2d
    public let pooling: InceptionPooling

    /// torchvision's names of the branch layers.
    override public class var stateKeys: [String: String] {
        ["branch3x3Layer1": "branch3x3_1", "branch3x3Layer2a": "branch3x3_2a", "branch3x3Layer2b": "branch3x3_2b",
         "branch3x3DoubleLayer1": "branch3x3dbl_1", "branch3x3DoubleLayer2": "branch3x3dbl_2", "branch3x3DoubleLayer3a": "branch3x3dbl_3a",
         "branch3x3DoubleLayer3b": "branch3x3dbl_3b", "branchPool": "branch_pool"]
    }

    public init(_ inChannels: Int, pooling: InceptionPooling = .average(countIncludePad: true)) throws {
        branch1x1 = try BasicConv2d(inChannels, 320, kernelSize: 1)
        branch3x3Layer1 = try BasicConv2d(inChannels, 384, kernelSize: 1)
        branch3x3Layer2a = try BasicConv2d(384, 384, kernelSize: IntPair(1, 3), padding: IntPair(0, 1))
        branch3x3Layer2b = try BasicConv2d(384, 384, kernelSize: IntPair(3, 1), padding: IntPair(1, 0))
        branch3x3DoubleLayer1 = try BasicConv2d(inChannels, 448, kernelSize: 1)
        branch3x3DoubleLayer2 = try BasicConv2d(448, 384, kernelSize: 3, padding: 1)
        branch3x3DoubleLayer3a = try BasicConv2d(384, 384, kernelSize: IntPair(1, 3), padding: IntPair(0, 1))
        branch3x3DoubleLayer3b = try BasicConv2d(384, 384, kernelSize: IntPair(3, 1), padding: IntPair(1, 0))
        branchPool = try BasicConv2d(inChannels, 192, kernelSize: 1)
        self.pooling = pooling
        super.init()
    }

    public func callAsFunction(_ x: Variable) throws -> Variable {
        let first = try BasicConv2d.sharedInput(x, pointwise: [branch1x1, branch3x3Layer1, branch3x3DoubleLayer1], pooled: (branchPool, pooling))
        let b1 = first[1]
        let b = try Variable.concatenate([branch3x3Layer2a(b1), branch3x3Layer2b(b1)], axis: 1)
        let c1 = try branch3x3DoubleLayer2(first[2])
        let c = try Variable.concatenate([branch3x3DoubleLayer3a(c1), branch3x3DoubleLayer3b(c1)], axis: 1)
        return try Variable.concatenate([first[0], b, c, first[3]], axis: 1)
    }
}

/// The auxiliary classifier on the 17 × 17 features (torchvision's `InceptionAux`): average pool 5
/// stride 3 → 1×1 → 5×5 → global average → Linear. Used by torchvision only when training.
public final class InceptionAux: Module, Layer {
    public let conv0, conv1: BasicConv2d
    public let fc: Linear

    public init(_ inChannels: Int, classes: Int) throws {
        conv0 = try BasicConv2d(inChannels, 128, kernelSize: 1)
        conv1 = try BasicConv2d(128, 768, kernelSize: 5)
        fc = try Linear(768, classes)
        super.init()
    }

    public func callAsFunction(_ x: Variable) throws -> Variable {
        let pooled = try x.avgPool2d(kernel: 5, stride: 3)
        let features = try conv1(conv0(pooled)).mean(axes: [2, 3])
        return try fc(features)
    }
}
