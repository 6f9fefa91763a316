import S2IGANAutograd
import S2IGANTensor

/// `y = x Wᵀ + b` (`torch.nn.Linear`), with PyTorch's default initialisation: weight Kaiming-uniform
/// with a = √5 (bound 1/√in), bias uniform in ±1/√in.
public final class Linear: Module, Layer {
    public let weight: Variable
    public let bias: Variable?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) throws {
        guard inFeatures > 0 && outFeatures > 0 else {
            throw NNError.invalidConfiguration("Linear: feature counts must be positive, got \(inFeatures) → \(outFeatures)")
        }
        weight = .parameter(try Initialization.kaimingUniform([outFeatures, inFeatures], a: Float(5).squareRoot()))
        self.bias = bias ? .parameter(try Initialization.uniform([outFeatures], bound: 1 / Float(inFeatures).squareRoot())) : nil
        super.init()
    }

    public func callAsFunction(_ input: Variable) throws -> Variable {
        guard input.shape.last == weight.shape[1] else {
            throw NNError.shapeMismatch("Linear: input \(input.shape) must end in \(weight.shape[1]) features")
        }
        return try Variable.linear(input, weight: weight, bias: bias)
    }
}
