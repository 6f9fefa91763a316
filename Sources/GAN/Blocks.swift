import S2IGANAutograd
import S2IGANNN
import S2IGANTensor

// The building blocks of the RDG networks (spec 3.2–3.3). Each is a `Sequential` so that its layers are
// numbered as in the reference, parameter-free layers included (`upsample1.1.weight`, `upsample1.2.running_mean`).

enum RDGBlocks {
    /// Nearest ×2 upsampling, 3 × 3 convolution without bias to 2·`output` channels, BatchNorm, GLU (`upBlock`).
    static func up(_ input: Int, _ output: Int) throws -> Sequential {
        Sequential(UpsampleNearest(scale: 2), try conv3x3(input, 2 * output), try BatchNorm2d(2 * output), GLU())
    }

    /// 3 × 3 convolution without bias to 2·`output` channels, BatchNorm, GLU (`Block3x3_relu`, which uses GLU).
    static func joint(_ input: Int, _ output: Int) throws -> Sequential {
        Sequential(try conv3x3(input, 2 * output), try BatchNorm2d(2 * output), GLU())
    }

    /// 3 × 3 convolution without bias to 3 channels and tanh (`GET_IMAGE_G`).
    static func image(_ input: Int) throws -> Sequential {
        Sequential(try conv3x3(input, 3), Tanh())
    }

    /// 4 × 4 stride-2 convolution without bias, BatchNorm, LeakyReLU 0.2 (`downBlock`).
    static func down(_ input: Int, _ output: Int) throws -> Sequential {
        Sequential(try Conv2d(input, output, kernelSize: 4, stride: 2, padding: 1, bias: false), try BatchNorm2d(output),
                   LeakyReLU(negativeSlope: 0.2))
    }

    /// 3 × 3 convolution without bias, BatchNorm, LeakyReLU 0.2 (`Block3x3_leakRelu`).
    static func leaky3x3(_ input: Int, _ output: Int) throws -> Sequential {
        Sequential(try conv3x3(input, output), try BatchNorm2d(output), LeakyReLU(negativeSlope: 0.2))
    }

    /// The image encoder shared by the discriminators (`encode_image_by_16times`): four 4 × 4 stride-2
    /// convolutions without bias, 3 → w → 2w → 4w → 8w, BatchNorm after all but the first, LeakyReLU 0.2.
    static func encodeBy16(_ width: Int) throws -> Sequential {
        var layers: [any Layer] = [try Conv2d(3, width, kernelSize: 4, stride: 2, padding: 1, bias: false), LeakyReLU(negativeSlope: 0.2)]
        for (input, output) in [(width, 2 * width), (2 * width, 4 * width), (4 * width, 8 * width)] {
            layers += [try Conv2d(input, output, kernelSize: 4, stride: 2, padding: 1, bias: false), try BatchNorm2d(output),
                       LeakyReLU(negativeSlope: 0.2)]
        }
        return Sequential(layers)
    }

    /// A 4 × 4 stride-4 convolution with bias to one channel and a sigmoid (the two discriminator heads).
    static func logits(_ input: Int) throws -> Sequential {
        Sequential(try Conv2d(input, 1, kernelSize: 4, stride: 4, bias: true), Sigmoid())
    }

    static func conv3x3(_ input: Int, _ output: Int) throws -> Conv2d {
        try Conv2d(input, output, kernelSize: 3, stride: 1, padding: 1, bias: false)
    }

    /// `block` (a stride-1 convolution with "same" padding, then the rest of its layers) applied to
    /// `[condition tiled to x's size, x]` — the reference's `view` + `repeat` + `cat` — without tiling the
    /// condition: its channels are constant over the map, so ``Variable/conv2d(_:constantChannels:weight:bias:padding:)``
    /// convolves them over a 3 × 3 map (exact). In the 128-px refinement stage the tiled channels were 8/9 of
    /// the convolution's input.
    static func conditioned(_ block: Sequential, _ x: Variable, condition: Variable) throws -> Variable {
        guard let conv = block.layers.first as? Conv2d, conv.stride == 1, conv.padding.height == conv.padding.width,
              conv.dilation == 1, conv.groups == 1 else {
            throw GANError.invalidConfiguration("conditioned block: the first layer must be a stride-1 convolution with equal padding")
        }
        let joint = try Variable.conv2d(x, constantChannels: condition, weight: conv.weight, bias: conv.bias, padding: conv.padding.height)
        return try block.layers.dropFirst().reduce(joint) { try $1($0) }
    }
}

/// A residual block without activation after the sum: `x + BN(conv(GLU(BN(conv(x)))))` (`ResBlock`).
public final class ResidualBlock: Module, Layer {
    public let block: Sequential

    public init(channels: Int) throws {
        block = Sequential(try RDGBlocks.conv3x3(channels, 2 * channels), try BatchNorm2d(2 * channels), GLU(),
                           try RDGBlocks.conv3x3(channels, channels), try BatchNorm2d(channels))
        super.init()
    }

    public func callAsFunction(_ input: Variable) throws -> Variable { try input + block(input) }
}
