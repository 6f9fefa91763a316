import S2IGANAutograd
import S2IGANDatasets
import Foundation
import S2IGANMetrics
import S2IGANNN
import S2IGANTensor
import S2IGANVision
import S2IGANFormats
import S2IGANTraining

/// One epoch of SEN training as logged (`log.jsonl`, one JSON object per line).
public struct SENEpochRecord: TrainingEpochRecord {
    /// Numbered from 0 (logs written before the training harness numbered from 1; they are renumbered on resume).
    public var epoch: Int
    public var learningRate: Float
    public var steps: Int
    /// Means over the epoch's steps.
    public var loss: Double
    public var matchingLoss: Double
    public var distinctiveLoss: Double?
    /// The validation metric when this epoch was validated: speech → image mAP (class datasets) or the mean
    /// of the two R@10 (the others).
    public var metric: Double?
    public var recall: Retrieval.Recall?
    /// Whether this epoch's model became the best so far (and was saved).
    public var best: Bool
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case epoch, learningRate = "lr", steps, loss, matchingLoss = "matching_loss", distinctiveLoss = "distinctive_loss"
        case metric, recall, best, seconds
    }
}

/// The outcome of ``SENTrainer/run(resume:stopAfter:)``.
public struct SENTrainingResult: Sendable {
    public var records: [SENEpochRecord]
    public var bestEpoch: Int?
    public var bestMetric: Double?
    /// "mAP" or "R@10".
    public var metricName: String
    /// The metric of a random ranking of the same test split.
    public var chance: Double
    /// Whether every configured epoch has run.
    public var finished: Bool
}

/// SEN training (the reference's step 01, spec 2.4–2.7): Adam with coupled weight decay, the step decay of
/// the learning rate, the matching loss plus (class datasets) the distinctive loss, validation on the test
/// split every few epochs with the reference's metric, the best model saved under the reference's names.
///
/// The run folder, its checkpoint, the resume guards, the logs and the NaN stop are the shared ``TrainingRun``:
/// the folder holds `config.yml` (the resolved configuration), `log.jsonl` and `log.txt` (every epoch),
/// `checkpoint.safetensors` (model, optimiser, the records so far; written atomically after every epoch),
/// `models/best_*_model.safetensors` and `cache/` (the image view caches). Epochs are numbered from 0; epoch `e`
/// validates when `e + 1` is a multiple of `validate_every`, as the reference's epochs 5, 10, … did.
///
/// Batches are prepared on background threads, which read the datasets, caches and (for live image
/// preparation) the frozen trunk — nothing they share is mutated while an epoch runs.
///
/// All randomness comes from streams keyed by `(seed, e + 1, item)` — the epoch's order, each item's caption,
/// view or crop — so a run resumed from its checkpoint gives exactly the result of an uninterrupted one. (The
/// key is `e + 1`, the number this epoch had when the SEN counted from 1, so runs started then continue unchanged.)
public final class SENTrainer: @unchecked Sendable {
    public let configuration: SENTrainingConfiguration
    public let trainSet: SpokenImageDataset
    public let testSet: SpokenImageDataset
    public let model: SENModel
    public let step: SENTrainingStep
    public var optimizer: Adam { step.optimizer }
    public let output: URL
    /// Receives one line per notable event (cache building, epochs).
    public var report: (String) -> Void

    let captionsPerImage: Int
    /// Data-parallel training: this process trains on its shard of every global batch (``DataParallel``); rank 0
    /// validates and writes.
    public let parallel: DataParallel?
    /// A planted fault (`S2IGAN_FAULT`, a test hook) and the iterations this process has run.
    let fault: FaultInjection?
    var iterationsRun = 0
    var trainViews: ImageViewCache?
    var testViews: ImageViewCache?

    public static let checkpointFile = TrainingRun<SENTrainingConfiguration, SENEpochRecord>.checkpointFile

    /// Opens both splits of the dataset at `root` and builds a fresh model from `configuration`.
    public init(configuration c: SENTrainingConfiguration, root: URL, output: URL, parallel: DataParallel? = nil,
                report: @escaping (String) -> Void = { _ in }) throws {
        try c.validate()
        try parallel?.checkDivides(globalBatch: c.batchSize)
        self.parallel = parallel
        fault = try FaultInjection.fromEnvironment()
        let kind = try c.datasetKind
        let options = DatasetOptions(captionsPerImage: c.captionsPerImage)
        trainSet = try SpokenImageDataset.open(kind: kind, root: root, split: .train, options: options)
        testSet = try SpokenImageDataset.open(kind: kind, root: root, split: .test, options: options)
        guard trainSet.count >= c.batchSize else {
            throw SENError.invalidInput("SEN: the train split has \(trainSet.count) images, fewer than one batch of \(c.batchSize)")
        }
        let minimum = c.speechEncoder.minimumFrames
        for item in trainSet.items + testSet.items {
            if let shortest = item.captionFrames.min(), shortest < minimum {
                throw SENError.file(path: item.features.path, reason: "a caption has \(shortest) frames; the speech encoder needs at least \(minimum)")
            }
        }
        captionsPerImage = c.captionsPerImage ?? trainSet.captionsPerImage
        var backbone: FrozenBackbone?
        if c.imageEncoder == .inception {
            guard let weights = c.inceptionWeights else {
                throw SENError.invalidConfiguration("SEN: the inception image encoder needs the torchvision Inception-v3 weights (inception_weights / --inception-weights); without them use image_encoder: convolutional")
            }
            backbone = try FrozenBackbone(weights: URL(fileURLWithPath: weights))
        }
        let classes = kind.hasClasses ? (trainSet.items.map(\.label).max() ?? 0) + 1 : nil
        model = try Initialization.seeded(c.seed) { try SENModel(configuration: c, trainingClasses: classes, backbone: backbone) }
        step = try SENTrainingStep(model: model, configuration: c)
        (configuration, self.output, self.report) = (c, output, report)
        parallel?.prepare(model)
        step.parallel = parallel
    }

    var metricName: String { testSet.kind.hasClasses ? "mAP" : "R@10" }

    /// Trains until the configured epoch count, or until `stopAfter` epochs have run in this call. With
    /// `resume`, continues from the output folder's checkpoint (removing temporary files that an interrupted write
    /// left there) and throws if there is none; without it the folder must not hold a run.
    /// A run that fails before its first checkpoint (a full disk, an unreadable dataset) removes the output folder
    /// if it created it; once a checkpoint is written the folder is kept, to be resumed.
    @discardableResult
    public func run(resume: Bool = false, stopAfter: Int? = nil) throws -> SENTrainingResult {
        let metricName = metricName
        let log = TrainingLog<SENEpochRecord>(header: Self.tableHeader(metricName: metricName)) { record, eta in
            Self.tableRow(record, metricName: metricName, eta: eta)
        }
        let run = TrainingRun(folder: output, name: "SEN training", article: "a", configuration: configuration, model: model,
                              optimizers: ["adam": optimizer], log: log, legacyFirstEpoch: 1, report: report)
        run.parallel = parallel
        let root = parallel?.isRoot ?? true
        var bestMetric: Double?, bestEpoch: Int?
        let order = EpochOrder(count: trainSet.count, batchSize: configuration.batchSize, shuffle: true, dropLast: true, seed: configuration.seed)
        let records = try run.run(resume: resume, stopAfter: stopAfter, prepare: { records in
            let best = records.filter(\.best).last
            (bestEpoch, bestMetric) = (best?.epoch, best?.metric)
            try prepareImageViews()
        }, epoch: { epoch, progress in
            optimizer.learningRate = configuration.learningRate(epoch: epoch)
            var record = try trainEpoch(epoch, order: order, progress: progress)
            if (epoch + 1) % configuration.validateEvery == 0 && root {
                let (metric, recall) = try validate(epoch: epoch)
                record.metric = metric
                record.recall = recall
                if configuration.isNewBest(metric, over: bestMetric) {
                    (bestMetric, bestEpoch, record.best) = (metric, epoch, true)
                    try model.saveParts(to: output.appendingPathComponent("models"),
                                        metadata: ["epoch": "\(epoch)", metricName: "\(metric)", "dataset": configuration.dataset])
                }
            }
            record.seconds = progress.seconds
            return record
        })
        let chance = testSet.kind.hasClasses ? Retrieval.chanceMAP(classIDs: testSet.items.map(\.classID)) : min(1, 10 / Double(testSet.count))
        return SENTrainingResult(records: records, bestEpoch: bestEpoch, bestMetric: bestMetric, metricName: metricName,
                                 chance: chance, finished: (records.last?.epoch ?? -1) + 1 >= configuration.epochs)
    }

    // MARK: - Epochs

    struct Batch: Sendable {
        var captions: Tensor
        var lengths: [Int]
        var classIDs: [Int]
        var labels: [Int]
        var imageInputs: Tensor
    }

    /// The iterations of `epoch` (0-based), one ``SENTrainingStep`` per batch.
    func trainEpoch(_ epoch: Int, order: EpochOrder, progress: EpochProgress) throws -> SENEpochRecord {
        model.train()
        let batches = order.batches(epoch: epoch + 1)
        // Data-parallel: each rank loads and trains its rows of every global batch.
        let rows = parallel?.shard(of: configuration.batchSize) ?? 0..<configuration.batchSize
        let loader = BatchLoader(count: batches.count, workers: configuration.workers, prefetch: 2 * configuration.workers) { [self] b in
            try trainingBatch(parallel == nil ? batches[b] : Array(batches[b][rows]), epoch: epoch)
        }
        defer { loader.cancel() }
        var totals = (loss: 0.0, matching: 0.0, distinctive: 0.0)
        while var batch = try loader.next() {
            if let parallel {
                // Padded to the global batch's longest caption, so BatchNorm sees the padding one process would.
                var lengths = [Double](repeating: 0, count: parallel.count)
                lengths[parallel.rank] = Double(batch.captions.shape[1])
                let longest = Int(try parallel.sum(lengths).max() ?? 0)
                if longest > batch.captions.shape[1] {
                    batch.captions = try batch.captions.padded([(0, 0), (0, longest - batch.captions.shape[1]), (0, 0)])
                }
            }
            if let fault, fault.strikes(rank: parallel?.rank ?? 0, iteration: iterationsRun) {
                batch.captions = try Tensor.full(batch.captions.shape, value: .nan)
            }
            iterationsRun += 1
            let losses = try step.run(captions: batch.captions, lengths: batch.lengths, imageInputs: batch.imageInputs,
                                      classIDs: batch.classIDs, labels: batch.labels)
            totals.loss += Double(losses.total)
            totals.matching += Double(losses.matching)
            totals.distinctive += Double(losses.distinctive ?? 0)
            progress.finishIteration(of: batches.count)
        }
        if let parallel {
            // The epoch's losses over the whole global batches: the mean of the ranks' means.
            let sums = try parallel.sum([totals.loss, totals.matching, totals.distinctive]).map { $0 / Double(parallel.count) }
            totals = (sums[0], sums[1], sums[2])
        }
        let n = Double(max(progress.iteration, 1))
        return SENEpochRecord(epoch: epoch, learningRate: optimizer.learningRate, steps: progress.iteration, loss: totals.loss / n,
                              matchingLoss: totals.matching / n, distinctiveLoss: model.classifier == nil ? nil : totals.distinctive / n,
                              metric: nil, recall: nil, best: false, seconds: 0)
    }

    /// A training batch of the 0-based `epoch`: for each item a random caption and a random cached view (or a fresh augmentation),
    /// drawn from the item's own stream; sorted by caption length, longest first, as the reference's collate.
    func trainingBatch(_ indices: [Int], epoch: Int) throws -> Batch {
        var captions: [Tensor] = [], views: [Int] = [], images: [RGBImage] = []
        for i in indices {
            var rng = RandomStreams.generator(seed: configuration.seed &+ 1, epoch: epoch + 1, index: i)
            let item = trainSet.items[i]
            let choice = rng.nextInt(below: captionsPerImage)
            let all = try trainSet.captions(of: item)
            guard choice < all.count else {
                throw SENError.file(path: item.features.path, reason: "caption \(choice) requested, the file holds \(all.count)")
            }
            captions.append(all[choice])
            if let cache = trainViews {
                views.append(rng.nextInt(below: cache.views))
            } else {
                images.append(try trainSet.transformed(item, imageSize: configuration.imageSize, augment: true, using: &rng))
            }
        }
        return try collate(indices: indices, captions: captions, dataset: trainSet, imageInputs: {
            if let cache = trainViews { return try cache.batch(images: indices, views: views) }
            return try model.image.prepare(images)
        })
    }

    func collate(indices: [Int], captions: [Tensor], dataset: SpokenImageDataset, imageInputs: () throws -> Tensor) throws -> Batch {
        let order = SENBatch.longestFirst(captions.map { $0.shape[0] })
        let (padded, lengths) = try SENBatch.padCaptions(order.map { captions[$0] })
        let inputs = try imageInputs()
        return Batch(captions: padded, lengths: lengths, classIDs: order.map { dataset.items[indices[$0]].classID },
                     labels: order.map { dataset.items[indices[$0]].label },
                     imageInputs: try inputs.indexSelect(axis: 0, indices: order))
    }

    // MARK: - Validation

    /// The metric on the test split after the 0-based `epoch`: caption 0 of every image, the speech side in batches of the training
    /// batch size (padded within the batch, as the reference's loader), the models in evaluation mode.
    public func validate(epoch: Int) throws -> (metric: Double, recall: Retrieval.Recall?) {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        let (speech, image) = try GradientMode.withoutGradient { () throws -> (Tensor, Tensor) in
            var speechRows = [Tensor](repeating: try Tensor.zeros([1]), count: testSet.count)
            var imageRows: [Tensor] = []
            for start in stride(from: 0, to: testSet.count, by: configuration.batchSize) {
                let indices = Array(start..<min(start + configuration.batchSize, testSet.count))
                var captions: [Tensor] = [], views: [Int] = [], images: [RGBImage] = []
                for i in indices {
                    var rng = RandomStreams.generator(seed: configuration.seed &+ 2, epoch: epoch + 1, index: i)
                    captions.append(try testSet.captions(of: testSet.items[i])[0])
                    if let cache = testViews {
                        views.append(rng.nextInt(below: cache.views))
                    } else {
                        let augment = configuration.validationImages == .random
                        images.append(try testSet.transformed(testSet.items[i], imageSize: configuration.imageSize, augment: augment, using: &rng))
                    }
                }
                let order = SENBatch.longestFirst(captions.map { $0.shape[0] })
                let (padded, lengths) = try SENBatch.padCaptions(order.map { captions[$0] })
                let embedded = try model.speech(Variable(padded), lengths: lengths).value
                for (row, k) in order.enumerated() { speechRows[indices[k]] = try embedded.slice(axis: 0, start: row, end: row + 1) }
                let inputs = try testViews.map { try $0.batch(images: indices, views: views) } ?? model.image.prepare(images)
                imageRows.append(try model.image(Variable(inputs)).value)
            }
            return (try Tensor.concatenate(speechRows, axis: 0), try Tensor.concatenate(imageRows, axis: 0))
        }
        if testSet.kind.hasClasses {
            return (try Retrieval.speechToImageMAP(speech: speech, image: image, classIDs: testSet.items.map(\.classID)), nil)
        }
        let recall = try Retrieval.recall(speech: speech, image: image, ks: [1, 5, 10])
        return (recall.meanRecall(at: 10) ?? 0, recall)
    }

    // MARK: - Image views

    /// Builds or reuses the image view caches (none when `image_views` is 0).
    func prepareImageViews() throws {
        guard configuration.imageViews > 0, trainViews == nil else { return }
        let encoder = model.image
        let kind = configuration.imageEncoder == .inception ? "inception-v3-pool" : "pixels"
        func settings(_ dataset: SpokenImageDataset, views: Int, mode: ImageViewCache.Mode, seed: UInt64) -> ImageViewCache.Settings {
            ImageViewCache.Settings(encoder: kind, inputShape: encoder.inputShape, views: views, mode: mode,
                                    imageSize: configuration.imageSize, seed: seed, keys: ImageViewCache.fingerprint(dataset))
        }
        let folder = output.appendingPathComponent("cache")
        let started = Date()
        trainViews = try ImageViewCache.loadOrBuild(at: folder.appendingPathComponent("train-views.safetensors"), dataset: trainSet,
                                                    encoder: encoder, settings: settings(trainSet, views: configuration.imageViews, mode: .augmented, seed: configuration.seed &+ 3),
                                                    workers: configuration.workers, replicas: parallel?.replicas)
        let center = configuration.validationImages == .center
        // Only rank 0 validates, so the other ranks of a data-parallel run need no test views.
        if parallel?.isRoot ?? true {
            testViews = try ImageViewCache.loadOrBuild(at: folder.appendingPathComponent("test-views.safetensors"), dataset: testSet, encoder: encoder,
                                                   settings: settings(testSet, views: center ? 1 : configuration.imageViews, mode: center ? .center : .augmented,
                                                                      seed: configuration.seed &+ 4),
                                                   workers: configuration.workers)
        }
        report(String(format: "image views: %d train × %d, %d test (%.1f s)", trainSet.count, configuration.imageViews, testSet.count,
                      Date().timeIntervalSince(started)))
    }

    // MARK: - Log

    /// The header of the readable log.
    public static func tableHeader(metricName: String) -> String {
        "epoch  lr        loss     matching  distinctive  " + pad(metricName, 7) + "  best  seconds  ETA"
    }

    /// One epoch as a line of the readable log; the printed line also shows the remaining time (`eta`).
    public static func tableRow(_ r: SENEpochRecord, metricName: String, eta: RemainingTime? = nil) -> String {
        String(format: "%5d  %.2e  %7.4f  %8.4f  ", r.epoch, r.learningRate, r.loss, r.matchingLoss)
            + pad(r.distinctiveLoss.map { String(format: "%.4f", $0) } ?? "-", 11, right: true) + "  "
            + pad(r.metric.map { String(format: "%.4f", $0) } ?? "-", 7, right: true) + "  "
            + pad(r.best ? "*" : "", 4) + String(format: "  %7.1f", r.seconds) + (eta?.cell ?? "")
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        TrainingLog<SENEpochRecord>.pad(text, width, right: right)
    }
}
