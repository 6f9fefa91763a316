import S2IGANAutograd
import S2IGANTensor

/// `max(x, 0)`.
public final class ReLU: Module, Layer {
    override public init() { super.init() }
    public func callAsFunction(_ input: Variable) throws -> Variable { input.relu() }
}

/// `x` for positive `x`, else `negativeSlope · x` (S2IGAN's discriminators use 0.2).
public final class LeakyReLU: Module, Layer {
    public let negativeSlope: Float
    public init(negativeSlope: Float = 0.01) {
        self.negativeSlope = negativeSlope
        super.init()
    }
    public func callAsFunction(_ input: Variable) throws -> Variable { input.leakyRelu(negativeSlope: negativeSlope) }
}

public final class Tanh: Module, Layer {
    override public init() { super.init() }
    public func callAsFunction(_ input: Variable) throws -> Variable { input.tanh() }
}

public final class Sigmoid: Module, Layer {
    override public init() { super.init() }
    public func callAsFunction(_ input: Variable) throws -> Variable { input.sigmoid() }
}

/// Gated linear unit (`F.glu`): splits `axis` (channels by default) into halves `a`, `b` and returns
/// `a · sigmoid(b)`.
public final class GLU: Module, Layer {
    public let axis: Int
    public init(axis: Int = 1) {
        self.axis = axis
        super.init()
    }
    public func callAsFunction(_ input: Variable) throws -> Variable { try Variable.glu(input, axis: axis) }
}

extension Variable {
    /// Gated linear unit: the first half of `axis` times the sigmoid of the second half.
    public static func glu(_ input: Variable, axis: Int = 1) throws -> Variable {
        let a = axis < 0 ? axis + input.rank : axis
        guard a >= 0, a < input.rank, input.shape[a] % 2 == 0 else {
            throw NNError.shapeMismatch("GLU: axis \(axis) of input \(input.shape) must have an even length")
        }
        let half = input.shape[a] / 2
        return try input.slice(axis: a, end: half) * input.slice(axis: a, start: half).sigmoid()
    }
}

/// Zeroes each element with probability `p` in training mode and scales the rest by `1/(1 − p)`; the
/// identity in evaluation mode. Masks come from the shared generator of ``Initialization``.
public final class Dropout: Module, Layer {
    public let probability: Float
    public init(probability: Float = 0.5) throws {
        guard probability >= 0 && probability < 1 else {
            throw NNError.invalidConfiguration("Dropout: probability \(probability) must be in [0, 1)")
        }
        self.probability = probability
        super.init()
    }
    public func callAsFunction(_ input: Variable) throws -> Variable {
        guard isTraining && probability > 0 else { return input }
        let keep = 1 - probability
        let mask = try Initialization.withGenerator { rng in try Tensor.bernoulli(input.shape, probability: keep, using: &rng) }
        return try input * Variable(mask * (1 / keep))
    }
}
