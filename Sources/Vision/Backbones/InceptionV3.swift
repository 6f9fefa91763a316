import S2IGANAutograd
import Foundation
import S2IGANNN
import S2IGANTensor

/// Inception-v3 with torchvision's module names, in the two versions S2IGAN's pipeline needs.
///
/// - ``Variant/torchvision``: `torchvision.models.inception_v3` — 1000 ImageNet classes and the auxiliary
///   classifier; loads `inception_v3_google-*.pth`. S2IGAN's image encoder, its mAP / R@k features and its
///   Flickr8k / Places Inception Score use this network.
/// - ``Variant/fid``: pytorch-fid's port of the TensorFlow FID graph — 1008 classes, no auxiliary classifier,
///   average pools that ignore padding and a max pool in `Mixed_7c`; loads `pt_inception-2015-12-05-*.pth`.
///
/// The network is meant to be used frozen in evaluation mode (``frozenForInference()``); gradients still
/// flow through it to its input, as S2IGAN's relation supervisor needs. Without a weights file it has
/// torchvision's initialisation (truncated normal σ = 0.1), which is only good for tests and benchmarks.
public final class InceptionV3: Module {
    public enum Variant: String, Sendable, CaseIterable {
        case torchvision
        case fid

        var classes: Int { self == .torchvision ? 1000 : 1008 }
    }

    /// The points of the trunk one can stop at or observe, in order.
    public enum Stage: String, Sendable, CaseIterable, Comparable {
        case conv2d1a = "Conv2d_1a_3x3", conv2d2a = "Conv2d_2a_3x3", conv2d2b = "Conv2d_2b_3x3", maxpool1
        case conv2d3b = "Conv2d_3b_1x1", conv2d4a = "Conv2d_4a_3x3", maxpool2
        case mixed5b = "Mixed_5b", mixed5c = "Mixed_5c", mixed5d = "Mixed_5d"
        case mixed6a = "Mixed_6a", mixed6b = "Mixed_6b", mixed6c = "Mixed_6c", mixed6d = "Mixed_6d", mixed6e = "Mixed_6e"
        case mixed7a = "Mixed_7a", mixed7b = "Mixed_7b", mixed7c = "Mixed_7c"

        public static func < (a: Stage, b: Stage) -> Bool {
            (allCases.firstIndex(of: a) ?? 0) < (allCases.firstIndex(of: b) ?? 0)
        }
    }

    /// The input side of the network (299 × 299 after resizing).
    public static let inputSize = 299
    /// Width of the pooled features.
    public static let featureWidth = 2048

    public let variant: Variant
    public let conv2d1a, conv2d2a, conv2d2b, conv2d3b, conv2d4a: BasicConv2d
    public let mixed5b, mixed5c, mixed5d: InceptionA
    public let mixed6a: InceptionB
    public let mixed6b, mixed6c, mixed6d, mixed6e: InceptionC
    public let auxiliaryHead: InceptionAux?
    public let mixed7a: InceptionD
    public let mixed7b, mixed7c: InceptionE
    public let fc: Linear

    /// torchvision's names: each trunk stage's (`Conv2d_1a_3x3`, `Mixed_5b`, …: the raw values of ``Stage``, whose
    /// case names are the properties') and `AuxLogits`.
    override public class var stateKeys: [String: String] { torchvisionNames }
    private static let torchvisionNames: [String: String] = {
        var names = ["auxiliaryHead": "AuxLogits"]
        for stage in Stage.allCases where stage != .maxpool1 && stage != .maxpool2 { names["\(stage)"] = stage.rawValue }
        return names
    }()

    /// A network with torchvision's initialisation; load weights with ``load(weights:)``.
    /// - Parameter auxiliaryClassifier: whether `AuxLogits` exists (default: for the torchvision variant,
    ///   whose published weights include it).
    public init(variant: Variant = .torchvision, auxiliaryClassifier: Bool? = nil) throws {
        self.variant = variant
        let fid = variant == .fid
        let tfAverage = InceptionPooling.average(countIncludePad: !fid)
        conv2d1a = try BasicConv2d(3, 32, kernelSize: 3, stride: 2)
        conv2d2a = try BasicConv2d(32, 32, kernelSize: 3)
        conv2d2b = try BasicConv2d(32, 64, kernelSize: 3, padding: 1)
        conv2d3b = try BasicConv2d(64, 80, kernelSize: 1)
        conv2d4a = try BasicConv2d(80, 192, kernelSize: 3)
        mixed5b = try InceptionA(192, poolFeatures: 32, pooling: tfAverage)
        mixed5c = try InceptionA(256, poolFeatures: 64, pooling: tfAverage)
        mixed5d = try InceptionA(288, poolFeatures: 64, pooling: tfAverage)
        mixed6a = try InceptionB(288)
        mixed6b = try InceptionC(768, channels7x7: 128, pooling: tfAverage)
        mixed6c = try InceptionC(768, channels7x7: 160, pooling: tfAverage)
        mixed6d = try InceptionC(768, channels7x7: 160, pooling: tfAverage)
        mixed6e = try InceptionC(768, channels7x7: 192, pooling: tfAverage)
        auxiliaryHead = (auxiliaryClassifier ?? !fid) ? try InceptionAux(768, classes: variant.classes) : nil
        mixed7a = try InceptionD(768)
        mixed7b = try InceptionE(1280, pooling: tfAverage)
        mixed7c = try InceptionE(2048, pooling: fid ? .maximum : .average(countIncludePad: true))
        fc = try Linear(2048, variant.classes)
        super.init()
        try initializeLikeTorchvision()
    }

    /// torchvision's `init_weights`: convolution and linear weights truncated-normal (σ 0.1; 0.01 for the
    /// auxiliary 5×5 convolution, 0.001 for its classifier) within ±2, BatchNorm γ = 1, β = 0; linear biases
    /// keep PyTorch's default.
    private func initializeLikeTorchvision() throws {
        for (name, parameter) in namedParameters() where parameter.rank >= 2 {
            let std: Float = name.hasPrefix("AuxLogits.conv1.") ? 0.01 : name.hasPrefix("AuxLogits.fc.") ? 0.001 : 0.1
            parameter.value = try Initialization.truncatedNormal(parameter.shape, std: std, a: -2, b: 2)
        }
    }

    /// The network in evaluation mode with every parameter frozen, as S2IGAN uses it.
    @discardableResult
    public func frozenForInference() -> InceptionV3 {
        eval()
        freeze()
        return self
    }

    /// Runs the trunk module by module on a `[N, 3, H, W]` input (no resizing, no input transform) up to and
    /// including `last`, calling `observe` after each stage.
    public func trunk(_ x: Variable, through last: Stage = .mixed7c, observe: ((Stage, Variable) -> Void)? = nil) throws -> Variable {
        guard x.rank == 4, x.shape[1] == 3 else {
            throw VisionError.shapeMismatch("Inception-v3: expected input [N, 3, H, W], got \(x.shape)")
        }
        guard x.shape[2] >= 75, x.shape[3] >= 75 else {
            throw VisionError.shapeMismatch("Inception-v3: input \(x.shape[2])×\(x.shape[3]) is smaller than the 75×75 the network needs")
        }
        var h = x
        for stage in Stage.allCases {
            switch stage {
            case .conv2d1a: h = try conv2d1a(h)
            case .conv2d2a: h = try conv2d2a(h)
            case .conv2d2b: h = try conv2d2b(h)
            case .maxpool1, .maxpool2: h = try h.maxPool2d(kernel: 3, stride: 2)
            case .conv2d3b: h = try conv2d3b(h)
            case .conv2d4a: h = try conv2d4a(h)
            case .mixed5b: h = try mixed5b(h)
            case .mixed5c: h = try mixed5c(h)
            case .mixed5d: h = try mixed5d(h)
            case .mixed6a: h = try mixed6a(h)
            case .mixed6b: h = try mixed6b(h)
            case .mixed6c: h = try mixed6c(h)
            case .mixed6d: h = try mixed6d(h)
            case .mixed6e: h = try mixed6e(h)
            case .mixed7a: h = try mixed7a(h)
            case .mixed7b: h = try mixed7b(h)
            case .mixed7c: h = try mixed7c(h)
            }
            observe?(stage, h)
            if stage == last { break }
        }
        return h
    }

    /// The network's input: `images` bilinearly resized to 299 × 299 (`F.interpolate`, `align_corners=False`,
    /// no antialiasing) unless already that size. The values are passed through unchanged: S2IGAN feeds
    /// [−1, 1] to its image encoder and [0, 1] to its mAP / R@k features, and the torchvision weights expect
    /// [−1, 1]; ``fidFeatures(_:)`` rescales for the FID network.
    public func resizedInput(_ images: Variable) throws -> Variable {
        guard images.rank == 4, images.shape[1] == 3 else {
            throw VisionError.shapeMismatch("Inception-v3: expected images [N, 3, H, W], got \(images.shape)")
        }
        let size = InceptionV3.inputSize
        if images.shape[2] == size && images.shape[3] == size { return images }
        return try images.resizedBilinear(height: size, width: size)
    }

    /// 2048-d features: `images` resized to 299, the trunk, the mean over the 8 × 8 positions.
    public func pooledFeatures(_ images: Variable) throws -> Variable {
        try trunk(resizedInput(images)).mean(axes: [2, 3])
    }

    /// Class scores (`fc`) of pooled features; with `bias: false` the torch-fidelity variant `pool3 · Wᵀ`.
    public func logits(pooled: Variable, bias: Bool = true) throws -> Variable {
        bias ? try fc(pooled) : try Variable.matmul(pooled, fc.weight, transposeB: true)
    }

    /// pytorch-fid's features of `images` in [0, 1]: resized to 299, scaled to [−1, 1], the trunk, then the
    /// global average of the requested block (64, 192, 768 or 2048 channels; 2048 is "pool3").
    public func fidFeatures(_ images: Variable, dimensions: Int = 2048) throws -> Variable {
        let last: Stage
        switch dimensions {
        case 64: last = .maxpool1
        case 192: last = .maxpool2
        case 768: last = .mixed6e
        case 2048: last = .mixed7c
        default: throw VisionError.invalidSetting("FID features: dimensions must be 64, 192, 768 or 2048, got \(dimensions)")
        }
        let x = try resizedInput(images).affine(scale: 2, shift: -1)
        return try trunk(x, through: last).mean(axes: [2, 3])
    }

    /// Loads weights from a `.pth` (torchvision / pytorch-fid files) or `.safetensors` file. Keys must match
    /// exactly; an `AuxLogits` the file lacks, or has while the model does not, is reported as an error.
    public func load(weights url: URL) throws {
        try loadWeights(from: url)
    }
}
