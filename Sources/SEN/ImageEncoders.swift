import S2IGANAutograd
import Foundation
import S2IGANNN
import S2IGANTensor
import S2IGANVision

/// The image side of the SEN, split where the gradient stops: a fixed ``prepare(_:)`` step that turns
/// augmented images into what the trainable part reads (Inception features, or small pixel tensors), and the
/// trainable part itself, which maps those inputs to unit embeddings. Because the fixed step has no
/// parameters that train, its outputs can be computed once per augmented view and cached
/// (``ImageViewCache``).
public protocol SENImageEncoder: Module {
    /// The shape of one prepared input (`[2048]` for Inception features, `[3, S, S]` for pixels).
    var inputShape: [Int] { get }
    /// Prepares a batch of augmented images (`imageSize` × `imageSize`), without recording gradients.
    func prepare(_ images: [RGBImage]) throws -> Tensor
    /// Unit embeddings `[B, D]` of prepared inputs `[B] + inputShape`.
    func callAsFunction(_ inputs: Variable) throws -> Variable
    /// The fixed step on image tensors `[B, 3, S, S]` in [−1, 1], recording gradients to the images (for the
    /// RDG's relation supervisor, which back-propagates through the frozen encoder into the generator).
    func prepareDifferentiably(_ images: Variable) throws -> Variable
    /// The size D of the embeddings.
    var embeddingSize: Int { get }
}

/// A frozen network held outside the module tree, so it is neither saved in nor loaded from the encoder's
/// state dict (the reference's `best_image_model.pth` holds only `L1`).
public struct FrozenBackbone: @unchecked Sendable {
    public let network: InceptionV3

    /// Loads torchvision's Inception-v3 weights (`inception_v3_google-0cc3c7bd.pth`, the older `-1a9a5a14.pth`, or a safetensors copy),
    /// in evaluation mode with every parameter frozen.
    public init(weights url: URL) throws {
        let model = try InceptionV3(variant: .torchvision, auxiliaryClassifier: nil)
        try model.load(weights: url)
        network = model.frozenForInference()
    }

    public init(network: InceptionV3) { self.network = network.frozenForInference() }
}

/// The reference's image encoder (IED, spec 2.2): the frozen Inception-v3 trunk in evaluation mode on images
/// in [−1, 1] resized to 299, mean-pooled to 2048, then the trainable `L1` Linear(2048 → 1024) and L2
/// normalisation. Its state dict is `L1.weight`, `L1.bias`, so `best_image_model.pth` loads directly.
public final class InceptionImageEncoder: Module, SENImageEncoder {
    public let projection: Linear

    override public class var stateKeys: [String: String] { ["projection": "L1"] }

    /// The trunk; needed only to prepare images (not when training from cached features).
    public var backbone: FrozenBackbone?

    public init(embeddingSize: Int = 1024, backbone: FrozenBackbone? = nil) throws {
        projection = try Linear(InceptionV3.featureWidth, embeddingSize)
        self.backbone = backbone
        super.init()
    }

    public var inputShape: [Int] { [InceptionV3.featureWidth] }

    public func prepare(_ images: [RGBImage]) throws -> Tensor {
        guard let trunk = backbone?.network else {
            throw SENError.invalidConfiguration("image encoder: preparing images needs the Inception-v3 weights (--inception-weights)")
        }
        let batch = try Tensor.batch(images, range: .signed)
        return try GradientMode.withoutGradient { try trunk.pooledFeatures(Variable(batch)).value }
    }

    public func callAsFunction(_ inputs: Variable) throws -> Variable {
        try projection(inputs).l2Normalized(axis: 1)
    }

    /// Bilinear resize to 299 and the trunk's pooled features (spec 3.4).
    public func prepareDifferentiably(_ images: Variable) throws -> Variable {
        guard let trunk = backbone?.network else {
            throw SENError.invalidConfiguration("image encoder: embedding images needs the Inception-v3 weights (--inception-weights)")
        }
        return try trunk.pooledFeatures(images)
    }

    public var embeddingSize: Int { projection.weight.shape[0] }
}

/// A convolutional image encoder that learns from scratch, for data without pretrained Inception weights
/// (the built-in spoken-flowers dataset): the augmented image is resized (Pillow bilinear, antialiased) to
/// `inputSize`, then four stride-2 4 × 4 convolutions with batch normalisation and ReLU (32, 64, 128, 256
/// channels by default), flattened, `L1` Linear to the embedding size and L2 normalisation. At 64 px one
/// training step costs about 0.16 GFLOP per image.
public final class ConvImageEncoder: Module, SENImageEncoder {
    public let features: Sequential
    public let projection: Linear
    public let inputSize: Int

    override public class var stateKeys: [String: String] { ["projection": "L1"] }

    public init(inputSize: Int = 64, channels: [Int] = [32, 64, 128, 256], embeddingSize: Int = 1024) throws {
        let downsampling = 1 << channels.count
        guard !channels.isEmpty, channels.allSatisfy({ $0 > 0 }), inputSize >= downsampling, inputSize % downsampling == 0 else {
            throw SENError.invalidConfiguration("ConvImageEncoder: input size \(inputSize) must be a multiple of \(downsampling) (2 per convolution)")
        }
        var layers: [any Layer] = []
        var previous = 3
        for width in channels {
            layers += [try Conv2d(previous, width, kernelSize: 4, stride: 2, padding: 1, bias: false), try BatchNorm2d(width), ReLU()]
            previous = width
        }
        features = Sequential(layers)
        let side = inputSize / downsampling
        projection = try Linear(previous * side * side, embeddingSize)
        self.inputSize = inputSize
        super.init()
    }

    public var inputShape: [Int] { [3, inputSize, inputSize] }

    public func prepare(_ images: [RGBImage]) throws -> Tensor {
        let resized = try images.map { $0.width == inputSize && $0.height == inputSize ? $0 : try $0.resized(width: inputSize, height: inputSize) }
        return try Tensor.batch(resized, range: .signed)
    }

    public func callAsFunction(_ inputs: Variable) throws -> Variable {
        try projection(features(inputs).flattened(from: 1)).l2Normalized(axis: 1)
    }

    /// An area (box) reduction to the input size when the images are an integer multiple of it (a bilinear
    /// resize otherwise); differentiable.
    public func prepareDifferentiably(_ images: Variable) throws -> Variable {
        guard images.rank == 4, images.shape[1] == 3, images.shape[2] == images.shape[3] else {
            throw SENError.shapeMismatch("image encoder: images \(images.shape), expected [B, 3, S, S]")
        }
        let size = images.shape[2]
        if size == inputSize { return images }
        if size % inputSize == 0 { return try images.avgPool2d(kernel: IntPair(size / inputSize, size / inputSize)) }
        return try images.resizedBilinear(height: inputSize, width: inputSize)
    }

    public var embeddingSize: Int { projection.weight.shape[0] }
}

/// The reference's shared classifier for the distinctive loss (spec 2.3): `L1` Linear(1024 → classes), weight
/// Xavier-uniform, bias PyTorch's default; `best_class_model.pth` loads directly.
public final class SENClassifier: Module {
    public let linear: Linear

    override public class var stateKeys: [String: String] { ["linear": "L1"] }

    public init(embeddingSize: Int = 1024, classes: Int) throws {
        guard classes > 0 else { throw SENError.invalidConfiguration("classifier: needs at least one class, got \(classes)") }
        linear = try Linear(embeddingSize, classes)
        super.init()
        linear.weight.value = try Initialization.xavierUniform(linear.weight.shape)
    }

    public func callAsFunction(_ embeddings: Variable) throws -> Variable { try linear(embeddings) }
}
