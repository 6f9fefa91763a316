import Datasets
import Foundation
import GAN
import SEN
import Tensor

/// What `s2igan demo` builds and trains: the built-in spoken-flowers data, a SEN and an RDG sized to finish
/// within a time budget on the machine at hand.
///
/// The RDG's epochs are not fixed in advance: after its first epoch the pipeline measures how long one took
/// and runs as many as fit in what is left of ``budgetMinutes`` (keeping ``reserveSeconds`` for generation,
/// evaluation and the report), between ``ganMinimumEpochs`` and ``ganMaximumEpochs``. The choice is stored in
/// the output folder, so a resumed demo trains the same number of epochs.
public struct DemoConfiguration: Sendable, Equatable, Codable {
    /// Wall-time target for the whole demo, in minutes.
    public var budgetMinutes: Double
    /// The built-in dataset.
    public var dataset: SpokenFlowersOptions
    /// SEN training (the spoken-flowers defaults with fewer epochs).
    public var sen: SENTrainingConfiguration
    /// RDG training; its `epochs` is the most the budget may choose.
    public var gan: RDGTrainingConfiguration
    public var ganMinimumEpochs: Int
    /// Seconds kept back for the stages after training.
    public var reserveSeconds: Double
    /// Test captions shown in the report (spread over the test images).
    public var reportSamples: Int
    /// Threads for the dataset build and the embedding extraction.
    public var workers: Int

    enum CodingKeys: String, CodingKey {
        case budgetMinutes = "budget_minutes", dataset, sen, gan, ganMinimumEpochs = "gan_minimum_epochs"
        case reserveSeconds = "reserve_seconds", reportSamples = "report_samples", workers
    }

    /// The most RDG epochs the budget may choose.
    public var ganMaximumEpochs: Int { gan.epochs }

    /// The default demo for a budget (15 minutes: about 2½ for the data and the SEN, 10 for the RDG).
    ///
    /// - dataset: the spoken-flowers defaults (20 classes of petal colour × count, 16 for training with 384
    ///   images, 4 held out with 96, 5 spoken captions per image);
    /// - SEN: the spoken-flowers configuration with 16 epochs (its validation mAP reaches 1.0 at epoch 14);
    /// - RDG: all three stages (64, 128 and 256 px) at widths 16, batch 16, a moving-average decay of 0.98 (a
    ///   window of about 50 iterations, suited to a run of a few hundred), at most 60 epochs.
    public static func standard(budgetMinutes: Double = 15, workers: Int = Parallel.coreCount) -> DemoConfiguration {
        var sen = SENTrainingConfiguration.defaults(for: .spokenFlowers)
        sen.epochs = 16
        sen.workers = workers
        var gan = RDGTrainingConfiguration.defaults(for: .spokenFlowers)
        gan.architecture.stages = 3
        gan.architecture.generatorWidth = 16
        gan.architecture.discriminatorWidth = 16
        gan.epochs = 60
        gan.saveEvery = 1000
        gan.snapshotEvery = 2
        gan.averageDecay = 0.98
        gan.workers = workers
        return DemoConfiguration(budgetMinutes: budgetMinutes, dataset: SpokenFlowersOptions(), sen: sen, gan: gan,
                                 ganMinimumEpochs: 1, reserveSeconds: 75, reportSamples: 8, workers: workers)
    }

    /// A demo small enough for a test: 4 classes of 4 images with 2 captions, one SEN epoch, one RDG epoch of
    /// 2 stages at widths 8.
    public static func tiny(workers: Int = Parallel.coreCount) -> DemoConfiguration {
        var c = standard(budgetMinutes: 1, workers: workers)
        c.dataset.classes = 4
        c.dataset.imagesPerClass = 4
        c.dataset.captionsPerImage = 2
        c.dataset.imageSize = 128
        c.dataset.voices = ["en-us"]
        c.sen.epochs = 1
        c.sen.batchSize = 4
        c.sen.imageViews = 1
        c.sen.validateEvery = 1
        c.gan.architecture.stages = 2
        c.gan.architecture.generatorWidth = 8
        c.gan.architecture.discriminatorWidth = 8
        c.gan.batchSize = 4
        c.gan.epochs = 1
        c.gan.snapshotEvery = 1
        c.reserveSeconds = 0
        c.reportSamples = 3
        return c
    }

    /// Checks the parts; throws naming the first bad value.
    public func validate() throws {
        guard budgetMinutes > 0, budgetMinutes.isFinite else { throw TensorError.invalidArgument("demo: the budget must be a positive number of minutes") }
        guard ganMinimumEpochs >= 1, ganMinimumEpochs <= gan.epochs else {
            throw TensorError.invalidArgument("demo: gan_minimum_epochs must be between 1 and the RDG's epochs (\(gan.epochs))")
        }
        guard reportSamples >= 1, workers >= 1, reserveSeconds >= 0 else {
            throw TensorError.invalidArgument("demo: report_samples and workers must be at least 1, reserve_seconds not negative")
        }
        try sen.validate()
        try gan.validate()
        _ = try SpokenFlowers.plan(dataset)
    }

    /// RDG epochs for `secondsLeft` of budget when one epoch takes `epochSeconds` (the first epoch included).
    public func ganEpochs(secondsLeft: Double, epochSeconds: Double) -> Int {
        guard epochSeconds > 0 else { return gan.epochs }
        let fit = Int((secondsLeft / epochSeconds).rounded(.down))
        return min(gan.epochs, max(ganMinimumEpochs, fit))
    }
}
