import S2IGANDatasets
import Foundation
import S2IGANGAN
import S2IGANSEN
import S2IGANTensor

/// What `s2igan demo` builds and trains: the built-in spoken-flowers data, a SEN and an RDG sized to finish
/// within a time budget on the machine at hand.
///
/// The RDG's epochs are not fixed in advance. Before training, the pipeline times one iteration with 1, 2, …
/// stages training and plans as many epochs as fit in what is left of ``budgetMinutes`` (keeping
/// ``reserveSeconds`` for generation, evaluation and the report): with ``stageShares`` a progressive schedule
/// whose phases take those shares of the time, otherwise all stages throughout. The plan (``GANPlan``) is stored
/// in the output folder, so a resumed demo trains the same epochs.
public struct DemoConfiguration: Sendable, Equatable, Codable {
    /// Wall-time target for the whole demo, in minutes.
    public var budgetMinutes: Double
    /// The built-in dataset.
    public var dataset: SpokenFlowersOptions
    /// SEN training (the spoken-flowers defaults with fewer epochs).
    public var sen: SENTrainingConfiguration
    /// RDG training; its `epochs` is the most the budget may choose, and its `stage_start_epochs` is replaced
    /// by the plan.
    public var gan: RDGTrainingConfiguration
    public var ganMinimumEpochs: Int
    /// The shares of the RDG's time spent with the first 1, 2, … stages training (one per stage, summing to 1),
    /// or `nil` to train every stage from the first epoch. Each later phase gets at least one epoch.
    public var stageShares: [Double]?
    /// Seconds kept back for the stages after training.
    public var reserveSeconds: Double
    /// Test captions shown in the report (spread over the test images).
    public var reportSamples: Int
    /// Threads for the dataset build and the embedding extraction.
    public var workers: Int

    enum CodingKeys: String, CodingKey {
        case budgetMinutes = "budget_minutes", dataset, sen, gan, ganMinimumEpochs = "gan_minimum_epochs", stageShares = "stage_shares"
        case reserveSeconds = "reserve_seconds", reportSamples = "report_samples", workers
    }

    /// The RDG epochs a budget chose: how many in all, and when each stage starts (`nil`: all at once).
    public struct GANPlan: Sendable, Equatable, Codable {
        public var epochs: Int
        public var stageStartEpochs: [Int]?

        enum CodingKeys: String, CodingKey { case epochs, stageStartEpochs = "stage_start_epochs" }

        public init(epochs: Int, stageStartEpochs: [Int]?) { (self.epochs, self.stageStartEpochs) = (epochs, stageStartEpochs) }

        /// Epochs trained with 1, 2, … stages.
        public var phaseEpochs: [Int] {
            guard let starts = stageStartEpochs else { return [epochs] }
            return zip(starts, starts.dropFirst() + [epochs]).map { $1 - $0 }
        }
    }

    /// The most RDG epochs the budget may choose.
    public var ganMaximumEpochs: Int { gan.epochs }

    /// The default demo for a budget (15 minutes: about 2½ for the data and the SEN, 10 for the RDG).
    ///
    /// - dataset: the spoken-flowers defaults (20 classes of petal colour × count, 16 for training with 384
    ///   images, 4 held out with 96, 5 spoken captions per image);
    /// - SEN: the spoken-flowers configuration with 24 epochs, keeping the last (its validation mAP reaches 1.0 at
    ///   about epoch 14, but the captions' colours keep separating: at epoch 14 orange and red captions still overlap,
    ///   and an RDG conditioned on them draws orange as red or yellow);
    /// - RDG: all three stages (64, 128 and 256 px) at widths 16, each refinement stage drawing on top of the
    ///   previous stage's image (``RDGArchitecture/residualImages``) and held to its colours by StackGAN-v2's
    ///   colour-consistency term (coefficient 50), batch 16, embeddings scaled by √512, a
    ///   moving-average decay of 0.98 (a window of about 50 iterations, suited to a run of a few hundred), at
    ///   most 400 epochs, trained progressively: half of its time on the 64-px stage alone (an iteration there
    ///   costs 1/7 of a three-stage one, and that is where the condition is learned), 5 % with two stages, the
    ///   rest with all three (the later stages start from the earlier stages' pictures, so they need fewer
    ///   epochs; `Docs/results.md` compares the splits).
    public static func standard(budgetMinutes: Double = 15, workers: Int = Parallel.coreCount) -> DemoConfiguration {
        var sen = SENTrainingConfiguration.defaults(for: .spokenFlowers)
        sen.epochs = 24
        sen.workers = workers
        var gan = RDGTrainingConfiguration.defaults(for: .spokenFlowers)
        gan.architecture.stages = 3
        gan.architecture.generatorWidth = 16
        gan.architecture.discriminatorWidth = 16
        gan.architecture.residualImages = true
        gan.losses.colourConsistency = 50
        gan.epochs = 400
        gan.saveEvery = 1000
        gan.snapshotEvery = 2
        gan.averageDecay = 0.98
        gan.workers = workers
        return DemoConfiguration(budgetMinutes: budgetMinutes, dataset: SpokenFlowersOptions(), sen: sen, gan: gan,
                                 ganMinimumEpochs: 1, stageShares: [0.5, 0.05, 0.45], reserveSeconds: 75, reportSamples: 8, workers: workers)
    }

    /// A demo small enough for a test: 4 classes of 4 images with 2 captions, one SEN epoch, two RDG epochs of
    /// 2 stages at widths 8 (the first trains the 64-px stage alone).
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
        c.gan.epochs = 2
        c.stageShares = [0.5, 0.5]
        c.gan.snapshotEvery = 1
        c.reserveSeconds = 0
        c.reportSamples = 3
        return c
    }

    /// Checks the parts; throws naming the first bad value.
    public func validate() throws {
        guard budgetMinutes > 0, budgetMinutes.isFinite else { throw DemoError.invalidConfiguration("demo: the budget must be a positive number of minutes") }
        guard ganMinimumEpochs >= 1, ganMinimumEpochs <= gan.epochs else {
            throw DemoError.invalidConfiguration("demo: gan_minimum_epochs must be between 1 and the RDG's epochs (\(gan.epochs))")
        }
        if let shares = stageShares {
            guard shares.count == gan.architecture.stages, shares.allSatisfy({ $0 >= 0 && $0.isFinite }),
                  abs(shares.reduce(0, +) - 1) < 1e-6 else {
                throw DemoError.invalidConfiguration("demo: stage_shares must give one non-negative share per RDG stage (\(gan.architecture.stages)) summing to 1, got \(shares)")
            }
        }
        guard reportSamples >= 1, workers >= 1, reserveSeconds >= 0 else {
            throw DemoError.invalidConfiguration("demo: report_samples and workers must be at least 1, reserve_seconds not negative")
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

    /// The RDG plan for `secondsLeft` when an epoch with 1, 2, … stages training takes `epochSeconds[k]`. Without
    /// ``stageShares``: ``ganEpochs(secondsLeft:epochSeconds:)`` epochs of every stage. With them, each later
    /// phase gets its share of the time (at least one epoch) and the first phase the rest (at least
    /// ``ganMinimumEpochs``); a plan over ``ganMaximumEpochs`` shrinks every phase in proportion (each keeps one).
    public func ganPlan(secondsLeft: Double, epochSeconds: [Double]) -> GANPlan {
        let stages = gan.architecture.stages
        guard let shares = stageShares, stages > 1, epochSeconds.count == stages else {
            return GANPlan(epochs: ganEpochs(secondsLeft: secondsLeft, epochSeconds: epochSeconds.last ?? 0), stageStartEpochs: nil)
        }
        let budget = max(0, secondsLeft)
        var phases = [Int](repeating: 1, count: stages)
        for k in 1..<stages where epochSeconds[k] > 0 {
            phases[k] = max(1, Int((shares[k] * budget / epochSeconds[k]).rounded(.down)))
        }
        let later = zip(phases, epochSeconds).dropFirst().reduce(0) { $0 + Double($1.0) * $1.1 }
        let first = epochSeconds[0] > 0 ? Int(((budget - later) / epochSeconds[0]).rounded(.down)) : ganMinimumEpochs
        phases[0] = max(ganMinimumEpochs, first)
        let total = phases.reduce(0, +)
        if total > gan.epochs {
            // Over the most epochs allowed: every phase shrinks in proportion.
            phases = phases.map { max(1, Int((Double($0) * Double(gan.epochs) / Double(total)).rounded(.down))) }
        }
        let starts = phases.indices.map { k in phases.prefix(k).reduce(0, +) }
        return GANPlan(epochs: phases.reduce(0, +), stageStartEpochs: starts)
    }
}
