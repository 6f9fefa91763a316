import Foundation
import S2IGANNN
import S2IGANTraining

/// Everything one ``RDGTrainingStep`` iteration computed, term by term, under the names of the reference's
/// `steps/trainer.py`: each criterion's value before its coefficient, each loss as its optimiser stepped on it, and
/// the L2 norm of every parameter's gradient at that step. `gan step --dump` writes it, so that one iteration can be
/// compared with the reference's line by line.
public final class RDGStepTrace: Codable {
    /// `train_Dnet`: `errD_real`, `errD_wrong`, `errD_fake` and their unconditional parts, and `errD`.
    public struct DiscriminatorTerms: Codable, Equatable, Sendable {
        public var realConditional, realUnconditional, wrongConditional, wrongUnconditional, fakeConditional, fakeUnconditional: Float
        /// The loss the discriminator stepped on.
        public var total: Float

        enum CodingKeys: String, CodingKey {
            case realConditional = "real_conditional", realUnconditional = "real_unconditional"
            case wrongConditional = "wrong_conditional", wrongUnconditional = "wrong_unconditional"
            case fakeConditional = "fake_conditional", fakeUnconditional = "fake_unconditional", total
        }
    }

    /// `train_MDnet`: the cross-entropies of the (I, I), (I, I_s), (I, G), (I, I_w) pairs and `errMD`.
    public struct RelationTerms: Codable, Equatable, Sendable {
        /// Absent where the (I, I) pair is left out of the loss (Flickr8k, Places).
        public var identical: Float?
        public var similar, generated, wrong: Float
        public var total: Float
    }

    /// `train_Gnet`: per stage the conditional and unconditional BCE, the relation term `errMG`, the KL term (before
    /// `TRAIN.COEFF.KL`), the colour-consistency sum (before its coefficient) and `errG_total`.
    public struct GeneratorTerms: Codable, Equatable, Sendable {
        public var conditional: [Float]
        public var unconditional: [Float]
        /// Absent when the relation supervisor is off.
        public var relation: Float?
        public var kl: Float
        public var colour: Float
        public var total: Float
    }

    public var discriminators: [DiscriminatorTerms] = []
    public var relation: RelationTerms?
    public var generator: GeneratorTerms?
    /// In the order of the optimiser steps, each network's parameters in state-dict order.
    public var gradientNorms: [GradientNorm] = []

    public init() {}

    /// The norms of one network, by parameter name.
    public func gradientNorms(of network: String) -> [String: Float] {
        Dictionary(gradientNorms.filter { $0.network == network }.map { ($0.parameter, $0.norm) }, uniquingKeysWith: { $1 })
    }

    func recordGradients(of module: Module, as network: String) {
        gradientNorms += GradientNorm.of(module, as: network)
    }

    enum CodingKeys: String, CodingKey {
        case discriminators, relation, generator, gradientNorms = "gradient_norms"
    }
}
