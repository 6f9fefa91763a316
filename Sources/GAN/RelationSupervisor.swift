import S2IGANAutograd
import S2IGANNN
import S2IGANSEN
import S2IGANTensor

/// The relation supervisor (`MD_NET`, spec 3.4): `[a, b]` → Linear → BatchNorm1d → ReLU → Linear to 4 relation
/// logits. It is always run in training mode (batch statistics), as in the reference; 263 044 parameters at the
/// reference sizes (`netMD.pth` loads directly).
public final class RelationSupervisor: Module {
    public let hidden: Linear
    public let logits: Linear
    public let b1: BatchNorm1d

    /// The reference's `MD_NET` names of the two linear layers.
    override public class var stateKeys: [String: String] { ["hidden": "L1", "logits": "L2"] }

    public static let relations = 4

    public init(embeddingSize: Int = 1024, hiddenSize: Int = 128) throws {
        hidden = try Linear(2 * embeddingSize, hiddenSize)
        logits = try Linear(hiddenSize, Self.relations)
        b1 = try BatchNorm1d(hiddenSize)
        super.init()
    }

    /// Relation logits `[B, 4]` of the pair (`a`, `b`), each `[B, embeddingSize]`.
    public func callAsFunction(_ a: Variable, _ b: Variable) throws -> Variable {
        try logits(b1(hidden(Variable.concatenate([a, b], axis: 1))).relu())
    }
}

/// φ of spec 3.4: the SEN's image encoder, frozen and in evaluation mode, applied to generator-range images
/// (`[B, 3, S, S]` in [−1, 1]) with gradients flowing through it to the images. For the Inception encoder
/// that is the bilinear resize to 299, the trunk, the projection and L2 normalisation; for the convolutional
/// encoder an area (box) reduction to its input size, then the encoder.
public struct RelationEmbedder: @unchecked Sendable {
    public let encoder: any SENImageEncoder

    public init(encoder: any SENImageEncoder) {
        encoder.eval()
        encoder.freeze()
        self.encoder = encoder
    }

    /// Unit embeddings `[B, D]`.
    public func callAsFunction(_ images: Variable) throws -> Variable {
        try encoder(encoder.prepareDifferentiably(images))
    }

    /// The embedding size.
    public var embeddingSize: Int { encoder.embeddingSize }
}
