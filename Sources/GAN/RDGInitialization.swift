import S2IGANNN
import S2IGANTensor

/// The reference's `weights_init` (spec 3.6), applied to the generator, every discriminator and the relation
/// supervisor: every convolution weight orthogonal (gain 1; convolution biases keep PyTorch's default),
/// every BatchNorm scale N(1, 0.02) and shift 0, every Linear weight orthogonal and bias 0. Draws from
/// ``Initialization``'s generator, so wrap construction and this call in ``Initialization/seeded(_:_:)``.
public enum RDGInitialization {
    public static func apply(to module: Module) throws {
        for m in module.modules() {
            if let conv = m as? Conv2d {
                conv.weight.value = try Initialization.orthogonal(conv.weight.shape)
            } else if let linear = m as? Linear {
                linear.weight.value = try Initialization.orthogonal(linear.weight.shape)
                if let bias = linear.bias { bias.value = try Tensor.zeros(bias.shape) }
            } else if let norm = m as? BatchNorm {
                if let weight = norm.weight { weight.value = try Initialization.normal(weight.shape, mean: 1, std: 0.02) }
                if let bias = norm.bias { bias.value = try Tensor.zeros(bias.shape) }
            }
        }
    }
}
