import S2IGANDatasets
import Foundation
import S2IGANTensor
import Yams
import S2IGANFormats
import S2IGANTraining

/// Everything a SEN training run is set up from (spec 2.4–2.7). ``defaults(for:)`` gives the reference's
/// values per dataset; the YAML files in `Configs/sen/` spell the same values out, and a YAML file given to
/// ``load(yaml:base:)`` overrides only the keys it names. Keys are snake_case.
public struct SENTrainingConfiguration: TrainingRunConfiguration {
    /// How the image side is encoded.
    public enum ImageEncoderKind: String, Sendable, Codable, CaseIterable {
        /// The reference's frozen Inception-v3 trunk and trainable Linear(2048 → 1024); needs the torchvision
        /// weights.
        case inception
        /// ``ConvImageEncoder``, learned from scratch.
        case convolutional
    }

    /// Which images validation sees.
    public enum ValidationImages: String, Sendable, Codable, CaseIterable {
        /// A random crop and flip, as the reference (so model selection is stochastic).
        case random
        /// The centre crop (deterministic selection).
        case center
    }

    /// Which validation keeps its models when its metric ties the best so far.
    public enum TiedBest: String, Sendable, Codable, CaseIterable {
        /// The earliest: only a strictly higher metric replaces the saved models (the reference).
        case first
        /// The latest: an equal metric replaces them too, so a run whose metric saturates (spoken-flowers reaches
        /// mAP 1.0 on its four held-out classes long before its embeddings stop improving) keeps its last models.
        case last
    }

    public var dataset: String
    public var batchSize: Int
    public var learningRate: Float
    /// Epochs actually run, numbered 0 … epochs − 1 (the reference runs `TRAIN.MAX_EPOCH + 1`: 151 or 121, which it
    /// numbers 1 … 151).
    public var epochs: Int
    /// `lr(e) = learningRate · decayFactor^⌊(e + 1) / decayEvery⌋` for the 0-based epoch `e` (the reference's
    /// schedule of its 1-based epoch e + 1).
    public var learningRateDecayEvery: Int
    public var learningRateDecayFactor: Float
    public var betas: [Float]
    /// Classic (coupled) L2 weight decay added to the gradient, as the reference's Adam.
    public var weightDecay: Float
    /// γ3 of the matching loss.
    public var gamma: Float
    /// Epoch `e` validates when `e + 1` is a multiple (the reference's epochs 5, 10, …).
    public var validateEvery: Int
    /// `nil` (configurations written before the key existed) reads as ``TiedBest/first``.
    public var tiedBest: TiedBest?
    public var seed: UInt64
    /// The distinctive (classification) loss; the reference uses it for the class datasets only.
    public var distinctiveLoss: Bool
    public var validationImages: ValidationImages
    /// Captions per image drawn from (`SPEECH.CAPTIONS_PER_IMAGE`); `nil` takes the dataset's count.
    public var captionsPerImage: Int?
    public var imageSize: Int
    public var imageEncoder: ImageEncoderKind
    /// Augmented views per image whose prepared inputs are computed once and cached; each visit picks one at
    /// random. 0 augments afresh at every visit (the reference), running the frozen trunk each time.
    public var imageViews: Int
    /// ``ConvImageEncoder`` input size and widths.
    public var convolutionalInputSize: Int
    public var convolutionalChannels: [Int]
    /// The torchvision Inception-v3 weights (`inception_v3_google-0cc3c7bd.pth` or the older `-1a9a5a14.pth`), for `inception`.
    public var inceptionWeights: String?
    public var speechEncoder: SpeechEncoderConfiguration
    /// Threads preparing batches in the background.
    public var workers: Int

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dataset, batchSize = "batch_size", learningRate = "learning_rate", epochs
        case learningRateDecayEvery = "lr_decay_every", learningRateDecayFactor = "lr_decay_factor", betas
        case weightDecay = "weight_decay", gamma, validateEvery = "validate_every", tiedBest = "tied_best", seed
        case distinctiveLoss = "distinctive_loss", validationImages = "validation_images"
        case captionsPerImage = "captions_per_image", imageSize = "image_size", imageEncoder = "image_encoder"
        case imageViews = "image_views", convolutionalInputSize = "conv_input_size", convolutionalChannels = "conv_channels"
        case inceptionWeights = "inception_weights", speechEncoder = "speech_encoder", workers
    }

    /// The reference's configuration for `kind` (spec 2.6; `cfg/Pretrain/*.yml`), and for spoken-flowers a
    /// configuration sized to train in minutes on two cores.
    public static func defaults(for kind: DatasetKind) -> SENTrainingConfiguration {
        var c = SENTrainingConfiguration(
            dataset: kind.rawValue, batchSize: 128, learningRate: 1e-3, epochs: 151, learningRateDecayEvery: 50,
            learningRateDecayFactor: 0.1, betas: [0.95, 0.999], weightDecay: 1e-3, gamma: 10, validateEvery: 5, tiedBest: .first, seed: 200,
            distinctiveLoss: kind.hasClasses, validationImages: .random, captionsPerImage: nil, imageSize: 256,
            imageEncoder: .inception, imageViews: 8, convolutionalInputSize: 64, convolutionalChannels: [32, 64, 128, 256],
            inceptionWeights: nil, speechEncoder: SpeechEncoderConfiguration(), workers: 2)
        switch kind {
        case .cub, .oxford: break
        case .flickr8k, .places:
            (c.batchSize, c.learningRate, c.epochs) = (32, 1e-4, 121)
        case .spokenFlowers:
            c.batchSize = 32
            c.epochs = 40
            c.learningRateDecayEvery = 30
            c.validateEvery = 2
            c.tiedBest = .last
            c.validationImages = .center
            c.imageEncoder = .convolutional
            c.imageViews = 6
            c.speechEncoder.hiddenSize = 256
            c.seed = 0
        }
        return c
    }

    /// Keys absent from an encoded configuration when their value is `nil`, which a file may still set.
    static let optionalKeys: Set<String> = [CodingKeys.tiedBest.rawValue, CodingKeys.captionsPerImage.rawValue, CodingKeys.inceptionWeights.rawValue]

    /// Parses YAML over `base` (``ConfigurationOverlay``): keys present replace the base's values, nested ones key by
    /// key. Unknown keys are errors (a typo must not silently train with a default); every error names `source`.
    public static func load(yaml text: String, base: SENTrainingConfiguration, source: String = "<yaml>") throws -> SENTrainingConfiguration {
        try ConfigurationOverlay.apply(text, over: base, source: source, optionalKeys: optionalKeys) { try $0.validate() }
    }

    /// Reads a YAML file over `base`.
    public static func load(file url: URL, base: SENTrainingConfiguration) throws -> SENTrainingConfiguration {
        try ConfigurationOverlay.apply(file: url, over: base, optionalKeys: optionalKeys) { try $0.validate() }
    }

    /// The configuration as YAML (every key).
    public func yaml() throws -> String { try YAMLEncoder().encode(self) }

    /// A resumed run may use another number of worker threads; everything else must match.
    public func adoptingResumableSettings(of current: SENTrainingConfiguration) -> SENTrainingConfiguration {
        var c = self
        c.workers = current.workers
        return c
    }

    /// The dataset this configuration names.
    public var datasetKind: DatasetKind {
        get throws {
            guard let kind = DatasetKind(name: dataset) else { throw SENError.invalidConfiguration("config: unknown dataset '\(dataset)'") }
            return kind
        }
    }

    /// Whether a validation `metric` replaces the saved models, `best` being the best so far (`nil`: none yet).
    public func isNewBest(_ metric: Double, over best: Double?) -> Bool {
        guard let best else { return true }
        return (tiedBest ?? .first) == .last ? metric >= best : metric > best
    }

    /// The learning rate of the 0-based epoch `e`.
    public func learningRate(epoch e: Int) -> Float {
        learningRate * Float(Foundation.pow(Double(learningRateDecayFactor), Double((e + 1) / learningRateDecayEvery)))
    }

    /// Checks ranges; throws naming the first bad value.
    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws { if !ok { throw SENError.invalidConfiguration("config: \(message)") } }
        _ = try datasetKind
        try check(batchSize >= 2, "batch_size must be at least 2 (the matching loss contrasts pairs), got \(batchSize)")
        try check(learningRate > 0 && learningRate.isFinite, "learning_rate must be positive, got \(learningRate)")
        try check(epochs >= 1, "epochs must be at least 1, got \(epochs)")
        try check(learningRateDecayEvery >= 1, "lr_decay_every must be at least 1, got \(learningRateDecayEvery)")
        try check(learningRateDecayFactor > 0 && learningRateDecayFactor <= 1, "lr_decay_factor must be in (0, 1], got \(learningRateDecayFactor)")
        try check(betas.count == 2 && betas.allSatisfy { (0..<1).contains($0) }, "betas must be two values in [0, 1), got \(betas)")
        try check(weightDecay >= 0, "weight_decay must not be negative, got \(weightDecay)")
        try check(gamma > 0, "gamma must be positive, got \(gamma)")
        try check(validateEvery >= 1, "validate_every must be at least 1, got \(validateEvery)")
        try check(captionsPerImage.map { $0 >= 1 } ?? true, "captions_per_image must be at least 1")
        try check(imageSize >= 8, "image_size must be at least 8, got \(imageSize)")
        // Upper bounds far above any real run, so that a mistyped size is an error and not a crash while allocating.
        try check(batchSize <= 65_536, "batch_size must be at most 65536, got \(batchSize)")
        try check(epochs <= 1_000_000, "epochs must be at most 1000000, got \(epochs)")
        try check(captionsPerImage.map { $0 <= 1000 } ?? true, "captions_per_image must be at most 1000")
        try check(imageSize <= 2048, "image_size must be at most 2048, got \(imageSize)")
        try check(imageViews >= 0 && imageViews <= 64, "image_views must be between 0 and 64, got \(imageViews)")
        try check(workers >= 1 && workers <= 256, "workers must be between 1 and 256, got \(workers)")
        try check((8...1024).contains(convolutionalInputSize), "conv_input_size must be between 8 and 1024, got \(convolutionalInputSize)")
        try check(!convolutionalChannels.isEmpty && convolutionalChannels.count <= 16 && convolutionalChannels.allSatisfy { (1...8192).contains($0) },
                  "conv_channels must be 1 to 16 widths between 1 and 8192, got \(convolutionalChannels)")
        do { try speechEncoder.validate() } catch { throw SENError.invalidConfiguration("config: \(readableDescription(of: error))") }
    }
}
