import Foundation
import S2IGANNN
import S2IGANTensor

/// The sizes of the RDG networks (spec 3, `cfg/<ds>_3stages.yml`). ``reference`` is the reference's
/// configuration; smaller widths and fewer stages fit a small machine. Keys are snake_case in YAML.
public struct RDGArchitecture: Sendable, Equatable, Codable {
    /// Generator stages (`TREE.BRANCH_NUM`, 1–3): images of 64, 128 and 256 pixels.
    public var stages: Int
    /// `GAN.GF_DIM`: the generator's width (the first stage starts at 16× this, the last ends at ¼ of it).
    public var generatorWidth: Int
    /// `GAN.DF_DIM`: the discriminators' first width.
    public var discriminatorWidth: Int
    /// `GAN.Z_DIM`.
    public var noiseSize: Int
    /// `GAN.EMBEDDING_DIM`: the conditioning vector.
    public var conditionSize: Int
    /// `SPEECH.DIMENSION`: the SEN embedding that conditions the generator.
    public var speechEmbeddingSize: Int
    /// `GAN.R_NUM`: residual blocks per refinement stage.
    public var residualBlocks: Int
    /// The relation supervisor's image embedding size (the SEN image encoder's output) and hidden width.
    public var relationEmbeddingSize: Int
    public var relationHiddenSize: Int
    /// A factor applied to the speech embedding before conditioning augmentation (the reference: 1). The SEN's
    /// embeddings are unit vectors, so at 1 each of the CA's inputs is about 1/√d and, with the orthogonal
    /// initialisation, μ differs between captions by a small fraction of the unit CA noise: the condition
    /// reaches the generator only after the CA layer has grown by itself, which takes far longer than a short
    /// run. √d (22.6 for 512) gives inputs of unit size from the first iteration. Stored with the weights.
    public var embeddingScale: Float
    /// Whether a refinement stage draws its image on top of the previous stage's (not in the reference, which
    /// draws every stage's image from its hidden map alone): the stage's pre-tanh image is its head's output plus
    /// the previous stage's pre-tanh image upsampled ×2 (nearest). A new stage then starts from the colours
    /// and layout its predecessor already draws and learns what to add at twice the size, instead of learning
    /// to draw from scratch — with few channels at 256 px (the demo's widths) the reference's last stage draws
    /// washed-out colours for hundreds of iterations. Stored with the weights; the layers and their names
    /// are the reference's either way.
    public var residualImages: Bool

    enum CodingKeys: String, CodingKey, CaseIterable {
        case stages, generatorWidth = "generator_width", discriminatorWidth = "discriminator_width", noiseSize = "noise_size"
        case conditionSize = "condition_size", speechEmbeddingSize = "speech_embedding_size", residualBlocks = "residual_blocks"
        case relationEmbeddingSize = "relation_embedding_size", relationHiddenSize = "relation_hidden_size"
        case embeddingScale = "embedding_scale", residualImages = "residual_images"
    }

    public init(stages: Int = 3, generatorWidth: Int = 64, discriminatorWidth: Int = 64, noiseSize: Int = 100,
                conditionSize: Int = 128, speechEmbeddingSize: Int = 1024, residualBlocks: Int = 2,
                relationEmbeddingSize: Int = 1024, relationHiddenSize: Int = 128, embeddingScale: Float = 1, residualImages: Bool = false) {
        (self.stages, self.generatorWidth, self.discriminatorWidth, self.noiseSize) = (stages, generatorWidth, discriminatorWidth, noiseSize)
        (self.conditionSize, self.speechEmbeddingSize, self.residualBlocks) = (conditionSize, speechEmbeddingSize, residualBlocks)
        (self.relationEmbeddingSize, self.relationHiddenSize) = (relationEmbeddingSize, relationHiddenSize)
        (self.embeddingScale, self.residualImages) = (embeddingScale, residualImages)
    }

    /// Decodes every key; `embedding_scale` and `residual_images` may be absent (files written before they
    /// existed), meaning 1 and false.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(stages: try c.decode(Int.self, forKey: .stages), generatorWidth: try c.decode(Int.self, forKey: .generatorWidth),
                  discriminatorWidth: try c.decode(Int.self, forKey: .discriminatorWidth), noiseSize: try c.decode(Int.self, forKey: .noiseSize),
                  conditionSize: try c.decode(Int.self, forKey: .conditionSize),
                  speechEmbeddingSize: try c.decode(Int.self, forKey: .speechEmbeddingSize),
                  residualBlocks: try c.decode(Int.self, forKey: .residualBlocks),
                  relationEmbeddingSize: try c.decode(Int.self, forKey: .relationEmbeddingSize),
                  relationHiddenSize: try c.decode(Int.self, forKey: .relationHiddenSize),
                  embeddingScale: try c.decodeIfPresent(Float.self, forKey: .embeddingScale) ?? 1,
                  residualImages: try c.decodeIfPresent(Bool.self, forKey: .residualImages) ?? false)
    }

    /// The reference's networks: 3 stages, widths 64, z 100, condition 128, speech 1024, 2 residual blocks.
    public static let reference = RDGArchitecture()

    /// The image sizes of the stages: 64, 128, 256 for three.
    public var imageSizes: [Int] { (0..<stages).map { 64 << $0 } }

    /// The integer sizes with their keys.
    var sizes: [(key: CodingKeys, value: Int)] {
        [(.generatorWidth, generatorWidth), (.discriminatorWidth, discriminatorWidth), (.noiseSize, noiseSize), (.conditionSize, conditionSize),
         (.speechEmbeddingSize, speechEmbeddingSize), (.residualBlocks, residualBlocks), (.relationEmbeddingSize, relationEmbeddingSize),
         (.relationHiddenSize, relationHiddenSize)]
    }

    /// The largest value each size may take: four times the reference's widths (whose generator has 21 M
    /// weights and discriminators 96 M; four times the width is sixteen times the weights) and far more for the
    /// vector sizes. A mistyped or hostile size is then an error before anything is allocated, not a crash.
    public static let limits: [String: Int] = [
        "generator_width": 256, "discriminator_width": 256, "noise_size": 4096, "condition_size": 4096,
        "speech_embedding_size": 8192, "residual_blocks": 16, "relation_embedding_size": 8192, "relation_hidden_size": 8192,
    ]

    /// The generator's sizes (those its weights decide) that differ between this architecture and `other`, as
    /// "key value (weights: other value)".
    public func generatorDifferences(from weights: RDGArchitecture) -> [String] {
        let keys: [CodingKeys] = [.generatorWidth, .noiseSize, .conditionSize, .speechEmbeddingSize, .residualBlocks]
        var differences = stages == weights.stages ? [] : ["stages \(stages) (weights: \(weights.stages))"]
        let own = Dictionary(uniqueKeysWithValues: sizes.map { ($0.key.rawValue, $0.value) })
        let theirs = Dictionary(uniqueKeysWithValues: weights.sizes.map { ($0.key.rawValue, $0.value) })
        for key in keys where own[key.rawValue] != theirs[key.rawValue] && (key != .residualBlocks || stages > 1) {
            differences.append("\(key.rawValue) \(own[key.rawValue] ?? 0) (weights: \(theirs[key.rawValue] ?? 0))")
        }
        return differences
    }

    /// Throws a message naming the first unusable value.
    public func validate() throws {
        func fail(_ message: String) -> GANError { GANError.invalidConfiguration("RDG architecture: \(message)") }
        guard (1...3).contains(stages) else { throw fail("stages must be 1, 2 or 3, got \(stages)") }
        for (key, value) in sizes {
            let limit = Self.limits[key.rawValue] ?? Int.max
            guard value >= (key == .residualBlocks ? 0 : 1), value <= limit else {
                throw fail("\(key.rawValue) must be between \(key == .residualBlocks ? 0 : 1) and \(limit), got \(value)")
            }
        }
        guard generatorWidth % 4 == 0 else {
            throw fail("generator_width must be a positive multiple of 4 (the last stage has a quarter of it), got \(generatorWidth)")
        }
        guard embeddingScale > 0, embeddingScale.isFinite else { throw fail("embedding_scale must be positive, got \(embeddingScale)") }
    }
}

extension RDGArchitecture {
    /// The parameter counts of the networks that synchronise separately in data-parallel training, counted on
    /// networks built for the purpose: the generator, each discriminator and (with `relation`) the supervisor.
    public func parameterCounts(relation: Bool = true) throws -> [(network: String, parameters: Int)] {
        func count(_ m: Module) -> Int { m.parameters().reduce(0) { $0 + $1.value.count } }
        var counts = [("netG", count(try Generator(self)))]
        for i in 0..<stages { counts.append(("netD\(i)", count(try Discriminator.forStage(i, architecture: self)))) }
        if relation { counts.append(("netMD", count(try RelationSupervisor(embeddingSize: relationEmbeddingSize, hiddenSize: relationHiddenSize)))) }
        return counts
    }
}
