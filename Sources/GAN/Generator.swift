import S2IGANAutograd
import S2IGANNN
import S2IGANTensor

/// The first generator stage (`INIT_STAGE_G`): `[c, z]` → Linear without bias → BatchNorm1d → GLU → a
/// `[B, 16w, 4, 4]` map → four up-blocks → `[B, w, 64, 64]`.
public final class InitialStage: Module {
    public let fc: Sequential
    public let upsample1: Sequential, upsample2: Sequential, upsample3: Sequential, upsample4: Sequential
    let width: Int

    public init(inputSize: Int, width: Int) throws {
        fc = Sequential(try Linear(inputSize, width * 4 * 4 * 2, bias: false), try BatchNorm1d(width * 4 * 4 * 2), GLU())
        upsample1 = try RDGBlocks.up(width, width / 2)
        upsample2 = try RDGBlocks.up(width / 2, width / 4)
        upsample3 = try RDGBlocks.up(width / 4, width / 8)
        upsample4 = try RDGBlocks.up(width / 8, width / 16)
        self.width = width
        super.init()
    }

    public func callAsFunction(condition: Variable, noise: Variable) throws -> Variable {
        let code = try fc(Variable.concatenate([condition, noise], axis: 1)).reshaped([condition.shape[0], width, 4, 4])
        return try upsample4(upsample3(upsample2(upsample1(code))))
    }
}

/// A refinement stage (`NEXT_STAGE_G`) with the dense connection: `[c, h]` → joint block → residual blocks →
/// `[out, h]` → up-block to half the width at twice the size.
public final class NextStage: Module {
    public let jointConv: Sequential
    public let residual: Sequential
    public let upsample: Sequential

    public init(width: Int, conditionSize: Int, residualBlocks: Int) throws {
        jointConv = try RDGBlocks.joint(conditionSize + width, width)
        residual = Sequential(try (0..<residualBlocks).map { _ in try ResidualBlock(channels: width) })
        upsample = try RDGBlocks.up(2 * width, width / 2)
        super.init()
    }

    public func callAsFunction(_ h: Variable, condition: Variable) throws -> Variable {
        let out = try residual(RDGBlocks.conditioned(jointConv, h, condition: condition))
        return try upsample(Variable.concatenate([out, h], axis: 1))
    }
}

/// A 3 × 3 convolution to RGB and tanh (`GET_IMAGE_G`); its layers are `img.0`, `img.1`.
public final class ImageHead: Module {
    public let img: Sequential

    public init(width: Int) throws {
        img = try RDGBlocks.image(width)
        super.init()
    }

    public func callAsFunction(_ h: Variable) throws -> Variable { try img(h) }

    /// The image before its tanh (the convolution's output), plus `previous` (a pre-tanh image of half the
    /// size, upsampled ×2 nearest) when given; returns the sum and its tanh.
    func drawing(_ h: Variable, over previous: Variable?) throws -> (preActivation: Variable, image: Variable) {
        guard let convolution = img.layers.first else { throw GANError.invalidConfiguration("image head without layers") }
        var pre = try convolution(h)
        if let previous { pre = try pre + previous.upsampledNearest(scale: 2) }
        return (pre, pre.tanh())
    }
}

/// The densely stacked generator (`G_NET`, spec 3.2) with its conditioning augmentation. Its state dict has
/// the reference's names through ``stateKeys`` (`ca_net.fc.weight`, `h_net1.fc.0.weight`, …,
/// `img_net3.img.0.weight`), so `netG_<N>.pth` loads directly; at ``RDGArchitecture/reference`` it has 21 285 776
/// parameters.
public final class Generator: Module {
    public let conditioning: ConditioningAugmentation
    public let stage1: InitialStage
    public let imageHead1: ImageHead
    public let stage2: NextStage?
    public let imageHead2: ImageHead?
    public let stage3: NextStage?
    public let imageHead3: ImageHead?
    public let architecture: RDGArchitecture

    /// The reference's `G_NET` names of the stages.
    override public class var stateKeys: [String: String] {
        ["conditioning": "ca_net", "stage1": "h_net1", "imageHead1": "img_net1", "stage2": "h_net2", "imageHead2": "img_net2",
         "stage3": "h_net3", "imageHead3": "img_net3"]
    }

    /// What one forward pass returns: the images of every stage (64, 128, 256 px; values in [−1, 1]), the
    /// conditioning distribution, and the condition the stages were given (μ itself without conditioning noise).
    public struct Output {
        public var images: [Variable]
        public var mu: Variable
        public var logVariance: Variable
        public var condition: Variable
    }

    public init(_ architecture: RDGArchitecture = .reference) throws {
        try architecture.validate()
        let a = architecture, w = a.generatorWidth
        conditioning = try ConditioningAugmentation(speechEmbeddingSize: a.speechEmbeddingSize, conditionSize: a.conditionSize)
        stage1 = try InitialStage(inputSize: a.conditionSize + a.noiseSize, width: 16 * w)
        imageHead1 = try ImageHead(width: w)
        stage2 = a.stages >= 2 ? try NextStage(width: w, conditionSize: a.conditionSize, residualBlocks: a.residualBlocks) : nil
        imageHead2 = a.stages >= 2 ? try ImageHead(width: w / 2) : nil
        stage3 = a.stages >= 3 ? try NextStage(width: w / 2, conditionSize: a.conditionSize, residualBlocks: a.residualBlocks) : nil
        imageHead3 = a.stages >= 3 ? try ImageHead(width: w / 4) : nil
        self.architecture = architecture
        super.init()
    }

    /// Images for `noise` `[B, noiseSize]` and speech `embedding` `[B, speechEmbeddingSize]`. `epsilon` is the
    /// conditioning noise `[B, conditionSize]` (sampled by the caller); `nil` conditions on μ (deterministic).
    /// `stages` runs only the first stages (1 … ``RDGArchitecture/stages``; `nil`: all), as a progressive
    /// schedule trains them.
    public func callAsFunction(noise: Variable, embedding: Variable, epsilon: Tensor?, stages: Int? = nil) throws -> Output {
        let a = architecture
        let active = stages ?? a.stages
        guard (1...a.stages).contains(active) else {
            throw GANError.invalidInput("generator: cannot run \(active) of its \(a.stages) stages")
        }
        guard noise.rank == 2, noise.shape[1] == a.noiseSize, embedding.rank == 2, embedding.shape[1] == a.speechEmbeddingSize,
              noise.shape[0] == embedding.shape[0] else {
            throw GANError.shapeMismatch("generator: noise \(noise.shape) and embedding \(embedding.shape), expected [B, \(a.noiseSize)] and [B, \(a.speechEmbeddingSize)]")
        }
        let (c, mu, logVariance) = try conditioning(a.embeddingScale == 1 ? embedding : embedding * a.embeddingScale, epsilon: epsilon)
        var h = try stage1(condition: c, noise: noise)
        // With residualImages each refinement stage adds to the previous stage's pre-tanh image.
        var drawn = try imageHead1.drawing(h, over: nil)
        var images = [drawn.image]
        for (stage, head) in [(stage2, imageHead2), (stage3, imageHead3)].prefix(active - 1) {
            guard let stage, let head else { break }
            h = try stage(h, condition: c)
            drawn = try head.drawing(h, over: a.residualImages ? drawn.preActivation : nil)
            images.append(drawn.image)
        }
        return Output(images: images, mu: mu, logVariance: logVariance, condition: c)
    }
}
