import S2IGANAutograd
import S2IGANNN
import S2IGANTensor

/// Conditioning augmentation (`CA_NET`, spec 3.1): `GLU(fc(e))` split into μ and log σ², and
/// `c = μ + ε ⊙ exp(½ log σ²)`.
public final class ConditioningAugmentation: Module {
    public let fc: Linear
    public let conditionSize: Int

    public init(speechEmbeddingSize: Int = 1024, conditionSize: Int = 128) throws {
        fc = try Linear(speechEmbeddingSize, 4 * conditionSize)
        self.conditionSize = conditionSize
        super.init()
    }

    /// μ and log σ² of `embedding` `[B, speechEmbeddingSize]`, each `[B, conditionSize]`.
    public func distribution(_ embedding: Variable) throws -> (mu: Variable, logVariance: Variable) {
        let x = try Variable.glu(fc(embedding), axis: 1)
        return (try x.slice(axis: 1, start: 0, end: conditionSize), try x.slice(axis: 1, start: conditionSize, end: 2 * conditionSize))
    }

    /// The condition with μ and log σ². `epsilon` `[B, conditionSize]` is the standard normal noise; `nil` uses
    /// μ itself (a deterministic path the reference does not have).
    public func callAsFunction(_ embedding: Variable, epsilon: Tensor?) throws -> (condition: Variable, mu: Variable, logVariance: Variable) {
        let (mu, logVariance) = try distribution(embedding)
        guard let epsilon else { return (mu, mu, logVariance) }
        guard epsilon.shape == mu.shape else {
            throw GANError.shapeMismatch("conditioning augmentation: noise \(epsilon.shape), expected \(mu.shape)")
        }
        return (try mu + (logVariance * 0.5).exp() * Variable(epsilon), mu, logVariance)
    }
}
