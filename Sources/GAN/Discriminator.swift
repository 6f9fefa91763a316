import S2IGANAutograd
import S2IGANNN
import S2IGANTensor

/// A stage discriminator (`D_NET64/128/256`, spec 3.3): the image is encoded to `[B, 8w, 4, 4]`; the
/// conditional head reads `[μ tiled, code]` through a joint 3 × 3 block, the unconditional head the code alone;
/// both end in a 4 × 4 stride-4 convolution and a sigmoid. State-dict names follow the reference (`img_code_s16`,
/// `img_code_s32`, `img_code_s32_1`, `img_code_s64`, `img_code_s64_1`, `img_code_s64_2`, `logits`, `jointConv`,
/// `uncond_logits`; ``stateKeys`` maps the Swift names to them), so `netD0/1/2.pth` load directly.
public class Discriminator: Module {
    public let imageCode16: Sequential
    public let imageCode32: Sequential?
    public let imageCode64: Sequential?
    public let imageCode32Reduce: Sequential?
    public let imageCode64Reduce1: Sequential?
    public let imageCode64Reduce2: Sequential?
    public let logits: Sequential
    public let jointConv: Sequential
    public let unconditionalLogits: Sequential
    /// The input size: 64, 128 or 256.
    public let imageSize: Int

    /// The reference's `D_NET` names of the encoder blocks and the unconditional head.
    override public class var stateKeys: [String: String] {
        ["imageCode16": "img_code_s16", "imageCode32": "img_code_s32", "imageCode64": "img_code_s64",
         "imageCode32Reduce": "img_code_s32_1", "imageCode64Reduce1": "img_code_s64_1", "imageCode64Reduce2": "img_code_s64_2",
         "unconditionalLogits": "uncond_logits"]
    }

    public init(imageSize: Int, width: Int = 64, conditionSize: Int = 128) throws {
        guard [64, 128, 256].contains(imageSize), width > 0, conditionSize > 0 else {
            throw GANError.invalidConfiguration("discriminator: image size must be 64, 128 or 256 (got \(imageSize)) and widths positive")
        }
        let w = width
        imageCode16 = try RDGBlocks.encodeBy16(w)
        imageCode32 = imageSize >= 128 ? try RDGBlocks.down(8 * w, 16 * w) : nil
        imageCode64 = imageSize >= 256 ? try RDGBlocks.down(16 * w, 32 * w) : nil
        imageCode32Reduce = imageSize == 128 ? try RDGBlocks.leaky3x3(16 * w, 8 * w) : nil
        imageCode64Reduce1 = imageSize == 256 ? try RDGBlocks.leaky3x3(32 * w, 16 * w) : nil
        imageCode64Reduce2 = imageSize == 256 ? try RDGBlocks.leaky3x3(16 * w, 8 * w) : nil
        logits = try RDGBlocks.logits(8 * w)
        jointConv = try RDGBlocks.leaky3x3(8 * w + conditionSize, 8 * w)
        unconditionalLogits = try RDGBlocks.logits(8 * w)
        self.imageSize = imageSize
        super.init()
    }

    /// The `[B, 8w, 4, 4]` image code.
    public func code(_ images: Variable) throws -> Variable {
        guard images.rank == 4, images.shape[1] == 3, images.shape[2] == imageSize, images.shape[3] == imageSize else {
            throw GANError.shapeMismatch("discriminator \(imageSize): images \(images.shape), expected [B, 3, \(imageSize), \(imageSize)]")
        }
        var x = try imageCode16(images)
        for block in [imageCode32, imageCode64, imageCode32Reduce, imageCode64Reduce1, imageCode64Reduce2] {
            if let block { x = try block(x) }
        }
        return x
    }

    /// The conditional and unconditional probabilities `[B]` that `images` are real (for `condition` μ `[B, C]`).
    public func callAsFunction(_ images: Variable, condition: Variable) throws -> (conditional: Variable, unconditional: Variable) {
        let x = try code(images)
        let batch = x.shape[0]
        guard condition.rank == 2, condition.shape[0] == batch else {
            throw GANError.shapeMismatch("discriminator \(imageSize): condition \(condition.shape) for \(batch) images")
        }
        let joint = try RDGBlocks.conditioned(jointConv, x, condition: condition)
        return (try logits(joint).reshaped([batch]), try unconditionalLogits(x).reshaped([batch]))
    }
}

/// `D_NET64`: 5 723 906 parameters at the reference widths.
public final class Discriminator64: Discriminator {
    public init(width: Int = 64, conditionSize: Int = 128) throws { try super.init(imageSize: 64, width: width, conditionSize: conditionSize) }
}

/// `D_NET128`: 18 834 178 parameters at the reference widths.
public final class Discriminator128: Discriminator {
    public init(width: Int = 64, conditionSize: Int = 128) throws { try super.init(imageSize: 128, width: width, conditionSize: conditionSize) }
}

/// `D_NET256`: 71 269 122 parameters at the reference widths.
public final class Discriminator256: Discriminator {
    public init(width: Int = 64, conditionSize: Int = 128) throws { try super.init(imageSize: 256, width: width, conditionSize: conditionSize) }
}

extension Discriminator {
    /// The discriminator for stage `index` (0, 1, 2 → 64, 128, 256 px).
    public static func forStage(_ index: Int, architecture: RDGArchitecture) throws -> Discriminator {
        let (w, c) = (architecture.discriminatorWidth, architecture.conditionSize)
        switch index {
        case 0: return try Discriminator64(width: w, conditionSize: c)
        case 1: return try Discriminator128(width: w, conditionSize: c)
        case 2: return try Discriminator256(width: w, conditionSize: c)
        default: throw GANError.invalidInput("discriminator: there is no stage \(index)")
        }
    }
}
