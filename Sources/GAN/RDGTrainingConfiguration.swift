import S2IGANDatasets
import Foundation
import S2IGANTensor
import Yams
import S2IGANFormats
import S2IGANTraining

/// Everything an RDG training run is set up from (spec 3.6, 5.3 and 8). ``defaults(for:)`` gives the reference's
/// values per dataset, and `Configs/gan/<dataset>.yml` spells the same values out. A YAML file given to
/// ``load(yaml:base:source:)`` overrides only the keys it names (nested keys too). Keys are snake_case.
public struct RDGTrainingConfiguration: TrainingRunConfiguration {
    /// Which network embeds images for the relation supervisor: the SEN's image encoder of the run whose
    /// embeddings are used (``sen``), or, for parity with the reference on Flickr8k and Places, a randomly
    /// initialised frozen projection on top of the same trunk (``random``, spec 8.3).
    public enum RelationProjection: String, Sendable, Codable, CaseIterable { case sen, random }

    public var dataset: String
    public var architecture: RDGArchitecture
    public var losses: RDGLossSettings
    public var batchSize: Int
    /// Epochs, numbered 0 … epochs − 1.
    public var epochs: Int
    public var generatorLearningRate: Float
    /// Also the relation supervisor's (`DISCRIMINATOR_LR`).
    public var discriminatorLearningRate: Float
    public var betas: [Float]
    public var seed: UInt64
    /// Weights are saved after epochs where `epoch % save_every == 0`, and after the last.
    public var saveEvery: Int
    /// Grids of the fixed noise are drawn after epochs where `epoch % snapshot_every == 0`.
    public var snapshotEvery: Int
    /// The reference copies the averaged generator into the live one at every save and trains on from it
    /// (spec 8.4; `true`, parity). `false` keeps training the live weights and saves the average beside them.
    public var averageIntoGenerator: Bool
    public var relationProjection: RelationProjection
    /// Captions per image drawn from (`nil`: the dataset's count).
    public var captionsPerImage: Int?
    /// Threads preparing batches in the background.
    public var workers: Int
    /// Decay of the generator's moving average (`nil`: the reference's 0.999). A short run wants a shorter
    /// window: after n iterations the initial weights still carry decayⁿ of the average.
    public var averageDecay: Float?
    /// A progressive schedule (`nil`: every stage trains from epoch 0, as the reference does): the epoch at
    /// which each stage starts training, one per stage, the first 0. Before its epoch a stage's generator
    /// layers and discriminator are left alone and the relation supervisor sees the last training stage, the
    /// way StackGAN trained its first stage before the second. A short run learns the condition at 64 px
    /// for a fraction of the cost of all stages.
    public var stageStartEpochs: [Int]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dataset, architecture, losses, batchSize = "batch_size", epochs, generatorLearningRate = "generator_learning_rate"
        case discriminatorLearningRate = "discriminator_learning_rate", betas, seed, saveEvery = "save_every"
        case snapshotEvery = "snapshot_every", averageIntoGenerator = "average_into_generator"
        case relationProjection = "relation_projection", captionsPerImage = "captions_per_image", workers
        case averageDecay = "average_decay", stageStartEpochs = "stage_start_epochs"
    }

    /// The reference's configuration for `kind` (`cfg/<ds>_3stages.yml`), and for spoken-flowers one sized for
    /// a two-core machine (2 stages of narrower networks, 64 and 128 px, embeddings scaled by √512).
    public static func defaults(for kind: DatasetKind) -> RDGTrainingConfiguration {
        var c = RDGTrainingConfiguration(
            dataset: kind.rawValue, architecture: .reference,
            losses: RDGLossSettings(identicalPair: kind.hasClasses), batchSize: 24, epochs: 600,
            generatorLearningRate: 2e-4, discriminatorLearningRate: 2e-4, betas: [0.5, 0.999], seed: 200, saveEvery: 50,
            snapshotEvery: 5, averageIntoGenerator: true, relationProjection: .sen, captionsPerImage: nil, workers: 2, averageDecay: nil,
            stageStartEpochs: nil)
        switch kind {
        case .places: c.epochs = 301
        case .spokenFlowers:
            c.architecture = RDGArchitecture(stages: 2, generatorWidth: 32, discriminatorWidth: 32, speechEmbeddingSize: 512,
                                            relationEmbeddingSize: 512, embeddingScale: 22.627417)
            c.batchSize = 16
            c.epochs = 40
            c.saveEvery = 10
            c.averageIntoGenerator = false
        default: break
        }
        return c
    }

    /// The dataset this configuration names.
    public var datasetKind: DatasetKind {
        get throws {
            guard let kind = DatasetKind(name: dataset) else { throw GANError.invalidConfiguration("config: unknown dataset '\(dataset)'") }
            return kind
        }
    }

    /// Checks ranges; throws naming the first bad value.
    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws { if !ok { throw GANError.invalidConfiguration("config: \(message)") } }
        _ = try datasetKind
        try architecture.validate()
        try check(batchSize >= 2 && batchSize <= 65_536, "batch_size must be between 2 (BatchNorm needs a batch) and 65536, got \(batchSize)")
        try check(epochs >= 1 && epochs <= 1_000_000, "epochs must be between 1 and 1000000, got \(epochs)")
        for (name, rate) in [("generator_learning_rate", generatorLearningRate), ("discriminator_learning_rate", discriminatorLearningRate)] {
            try check(rate > 0 && rate.isFinite, "\(name) must be positive, got \(rate)")
        }
        try check(betas.count == 2 && betas.allSatisfy { (0..<1).contains($0) }, "betas must be two values in [0, 1), got \(betas)")
        try check(saveEvery >= 1 && snapshotEvery >= 1, "save_every and snapshot_every must be at least 1")
        try check(losses.kl >= 0 && losses.unconditional >= 0 && losses.relation >= 0, "loss coefficients must not be negative")
        try check(captionsPerImage.map { $0 >= 1 && $0 <= 1000 } ?? true, "captions_per_image must be between 1 and 1000")
        try check(workers >= 1 && workers <= 256, "workers must be between 1 and 256, got \(workers)")
        try check(averageDecay.map { (0..<1).contains($0) } ?? true, "average_decay must be in [0, 1), got \(averageDecay ?? 0)")
        if let starts = stageStartEpochs {
            try check(starts.count == architecture.stages && starts.first == 0 && zip(starts, starts.dropFirst()).allSatisfy { $0 <= $1 },
                      "stage_start_epochs must give one epoch per stage (\(architecture.stages)), start at 0 and not decrease, got \(starts)")
        }
    }

    /// The stages that train in `epoch` (all of them without a schedule).
    public func activeStages(epoch: Int) -> Int {
        guard let starts = stageStartEpochs else { return architecture.stages }
        return max(1, starts.filter { $0 <= epoch }.count)
    }

    /// Keys absent from an encoded configuration when their value is `nil`, which a file may still set.
    static let optionalKeys: Set<String> = [CodingKeys.captionsPerImage.rawValue, CodingKeys.averageDecay.rawValue,
                                            CodingKeys.stageStartEpochs.rawValue]

    /// Parses YAML over `base` (``ConfigurationOverlay``); unknown keys are errors that name the file.
    public static func load(yaml text: String, base: RDGTrainingConfiguration, source: String = "<yaml>") throws -> RDGTrainingConfiguration {
        try ConfigurationOverlay.apply(text, over: base, source: source, optionalKeys: optionalKeys) { try $0.validate() }
    }

    /// Reads a YAML file over `base`.
    public static func load(file url: URL, base: RDGTrainingConfiguration) throws -> RDGTrainingConfiguration {
        try ConfigurationOverlay.apply(file: url, over: base, optionalKeys: optionalKeys) { try $0.validate() }
    }

    /// A resumed run may use another number of worker threads and may be extended (or shortened) by `epochs`;
    /// everything else must match.
    public func adoptingResumableSettings(of current: RDGTrainingConfiguration) -> RDGTrainingConfiguration {
        var c = self
        (c.workers, c.epochs) = (current.workers, current.epochs)
        return c
    }

    /// The configuration as YAML (every key).
    public func yaml() throws -> String { try YAMLEncoder().encode(self) }

    /// The batches per epoch: the reference drops the last incomplete one.
    public func iterationsPerEpoch(images: Int) -> Int { images / batchSize }
}
