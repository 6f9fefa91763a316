import S2IGANAutograd
import S2IGANDatasets
import Foundation
import S2IGANMetrics
import S2IGANNN
import S2IGANTensor
import S2IGANVision
import S2IGANFormats

/// One epoch of SEN training as logged (`log.jsonl`, one JSON object per line).
public struct SENEpochRecord: Sendable, Equatable, Codable {
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
/// The output folder holds `config.yml` (the resolved configuration), `log.jsonl` and `log.txt` (every
/// epoch), `checkpoint.safetensors` (model, optimiser, epoch, the records so far; written atomically after
/// every epoch), `models/best_*_model.safetensors` and `cache/` (the image view caches).
///
/// Batches are prepared on background threads, which read the datasets, caches and (for live image
/// preparation) the frozen trunk — nothing they share is mutated while an epoch runs.
///
/// All randomness comes from streams keyed by `(seed, epoch, item)` — the epoch's order, each item's caption,
/// view or crop — so a run resumed from its checkpoint gives exactly the result of an uninterrupted one.
public final class SENTrainer: @unchecked Sendable {
    public let configuration: SENTrainingConfiguration
    public let trainSet: SpokenImageDataset
    public let testSet: SpokenImageDataset
    public let model: SENModel
    public let optimizer: Adam
    public let output: URL
    /// Receives one line per notable event (cache building, epochs).
    public var report: (String) -> Void

    let captionsPerImage: Int
    var trainViews: ImageViewCache?
    var testViews: ImageViewCache?

    public static let checkpointFile = "checkpoint.safetensors"

    /// Opens both splits of the dataset at `root` and builds a fresh model from `configuration`.
    public init(configuration c: SENTrainingConfiguration, root: URL, output: URL, report: @escaping (String) -> Void = { _ in }) throws {
        try c.validate()
        let kind = try c.datasetKind
        let options = DatasetOptions(captionsPerImage: c.captionsPerImage)
        trainSet = try SpokenImageDataset.open(kind: kind, root: root, split: .train, options: options)
        testSet = try SpokenImageDataset.open(kind: kind, root: root, split: .test, options: options)
        guard trainSet.count >= c.batchSize else {
            throw TensorError.invalidArgument("SEN: the train split has \(trainSet.count) images, fewer than one batch of \(c.batchSize)")
        }
        let minimum = c.speechEncoder.minimumFrames
        for item in trainSet.items + testSet.items {
            if let shortest = item.captionFrames.min(), shortest < minimum {
                throw TensorError.file(path: item.features.path, reason: "a caption has \(shortest) frames; the speech encoder needs at least \(minimum)")
            }
        }
        captionsPerImage = c.captionsPerImage ?? trainSet.captionsPerImage
        var backbone: FrozenBackbone?
        if c.imageEncoder == .inception {
            guard let weights = c.inceptionWeights else {
                throw TensorError.invalidArgument("SEN: the inception image encoder needs the torchvision Inception-v3 weights (inception_weights / --inception-weights); without them use image_encoder: convolutional")
            }
            backbone = try FrozenBackbone(weights: URL(fileURLWithPath: weights))
        }
        let classes = kind.hasClasses ? (trainSet.items.map(\.label).max() ?? 0) + 1 : nil
        model = try Initialization.seeded(c.seed) { try SENModel(configuration: c, trainingClasses: classes, backbone: backbone) }
        optimizer = try Adam(parameters: model.trainableParameters(), learningRate: c.learningRate, betas: (c.betas[0], c.betas[1]),
                             weightDecay: c.weightDecay)
        (configuration, self.output, self.report) = (c, output, report)
    }

    var metricName: String { testSet.kind.hasClasses ? "mAP" : "R@10" }

    /// Trains until the configured epoch count, or until `stopAfter` epochs have run in this call. With
    /// `resume`, continues from the output folder's checkpoint (removing temporary files that an interrupted write
    /// left there) and throws if there is none; without it the folder must not hold a run.
    /// A run that fails before its first checkpoint (a full disk, an unreadable dataset) removes the output folder
    /// if it created it; once a checkpoint is written the folder is kept, to be resumed.
    @discardableResult
    public func run(resume: Bool = false, stopAfter: Int? = nil) throws -> SENTrainingResult {
        try removingOutputOnFailure(output, keepingIfItHolds: Self.checkpointFile) { try train(resume: resume, stopAfter: stopAfter) }
    }

    private func train(resume: Bool, stopAfter: Int?) throws -> SENTrainingResult {
        let fm = FileManager.default
        let checkpoint = output.appendingPathComponent(Self.checkpointFile)
        if resume {
            for name in try TrainingCheckpoint.prepareResume(from: checkpoint, run: "SEN training run") {
                report("removed \(name), a temporary file left by an interrupted write")
            }
        }
        try createFolder(output)
        var records: [SENEpochRecord] = []
        var bestMetric: Double?, bestEpoch: Int?
        var firstEpoch = 1
        if fm.fileExists(atPath: checkpoint.path) {
            guard resume else {
                throw TensorError.file(path: output.path, reason: "already holds a SEN training run (checkpoint.safetensors); resume it or choose another folder")
            }
            let metadata = try TrainingCheckpoint.load(from: checkpoint, model: model, optimizers: ["adam": optimizer])
            try checkResumable(metadata, file: checkpoint)
            records = try decodeFile("checkpoint metadata 'records'", checkpoint) { try JSONDecoder().decode([SENEpochRecord].self, from: Data((metadata["records"] ?? "[]").utf8)) }
            firstEpoch = (records.last?.epoch ?? 0) + 1
            let best = records.filter(\.best).last
            (bestEpoch, bestMetric) = (best?.epoch, best?.metric)
            report("resuming after epoch \(firstEpoch - 1) of \(configuration.epochs)")
        }
        try writeFileAtomically(Data(try configuration.yaml().utf8), to: output.appendingPathComponent("config.yml"))
        try prepareImageViews()
        let chance = testSet.kind.hasClasses ? Retrieval.chanceMAP(classIDs: testSet.items.map(\.classID)) : min(1, 10 / Double(testSet.count))
        let order = EpochOrder(count: trainSet.count, batchSize: configuration.batchSize, shuffle: true, dropLast: true, seed: configuration.seed)
        var ran = 0
        var epoch = firstEpoch
        if epoch <= configuration.epochs { report(Self.tableHeader(metricName: metricName)) }
        while epoch <= configuration.epochs, ran < (stopAfter ?? Int.max) {
            let started = Date()
            optimizer.learningRate = configuration.learningRate(epoch: epoch)
            var record = try trainEpoch(epoch, order: order)
            if epoch % configuration.validateEvery == 0 {
                let (metric, recall) = try validate(epoch: epoch)
                record.metric = metric
                record.recall = recall
                if configuration.isNewBest(metric, over: bestMetric) {
                    (bestMetric, bestEpoch, record.best) = (metric, epoch, true)
                    try model.saveParts(to: output.appendingPathComponent("models"),
                                        metadata: ["epoch": "\(epoch)", metricName: "\(metric)", "dataset": configuration.dataset])
                }
            }
            record.seconds = Date().timeIntervalSince(started)
            records.append(record)
            try saveCheckpoint(to: checkpoint, records: records)
            try writeLogs(records)
            report(Self.tableRow(record, metricName: metricName))
            epoch += 1
            ran += 1
        }
        return SENTrainingResult(records: records, bestEpoch: bestEpoch, bestMetric: bestMetric, metricName: metricName,
                                 chance: chance, finished: epoch > configuration.epochs)
    }

    // MARK: - Epochs

    struct Batch: Sendable {
        var captions: Tensor
        var lengths: [Int]
        var classIDs: [Int]
        var labels: [Int]
        var imageInputs: Tensor
    }

    func trainEpoch(_ epoch: Int, order: EpochOrder) throws -> SENEpochRecord {
        model.train()
        let batches = order.batches(epoch: epoch)
        let loader = BatchLoader(count: batches.count, workers: configuration.workers, prefetch: 2 * configuration.workers) { [self] b in
            try trainingBatch(batches[b], epoch: epoch)
        }
        defer { loader.cancel() }
        var totals = (loss: 0.0, matching: 0.0, distinctive: 0.0)
        var step = 0
        while let batch = try loader.next() {
            optimizer.zeroGrad()
            let speech = try model.speech(Variable(batch.captions), lengths: batch.lengths)
            let image = try model.image(Variable(batch.imageInputs))
            let matching = try SENLosses.matching(image: image, speech: speech, classIDs: batch.classIDs, gamma: configuration.gamma)
            var loss = matching
            var distinctive: Float = 0
            if let classifier = model.classifier {
                let d = try SENLosses.distinctive(classifier: classifier.linear, image: image, speech: speech, labels: batch.labels)
                distinctive = d.value.scalars[0]
                loss = try loss + d
            }
            let value = loss.value.scalars[0]
            guard value.isFinite else {
                throw TensorError.invalidArgument("SEN training: the loss became \(value) at epoch \(epoch), step \(step + 1); try a lower learning rate")
            }
            try loss.backward()
            try optimizer.step()
            totals.loss += Double(value)
            totals.matching += Double(matching.value.scalars[0])
            totals.distinctive += Double(distinctive)
            step += 1
        }
        let n = Double(max(step, 1))
        return SENEpochRecord(epoch: epoch, learningRate: optimizer.learningRate, steps: step, loss: totals.loss / n,
                              matchingLoss: totals.matching / n, distinctiveLoss: model.classifier == nil ? nil : totals.distinctive / n,
                              metric: nil, recall: nil, best: false, seconds: 0)
    }

    /// A training batch: for each item a random caption and a random cached view (or a fresh augmentation),
    /// drawn from the item's own stream; sorted by caption length, longest first, as the reference's collate.
    func trainingBatch(_ indices: [Int], epoch: Int) throws -> Batch {
        var captions: [Tensor] = [], views: [Int] = [], images: [RGBImage] = []
        for i in indices {
            var rng = RandomStreams.generator(seed: configuration.seed &+ 1, epoch: epoch, index: i)
            let item = trainSet.items[i]
            let choice = rng.nextInt(below: captionsPerImage)
            let all = try trainSet.captions(of: item)
            guard choice < all.count else {
                throw TensorError.file(path: item.features.path, reason: "caption \(choice) requested, the file holds \(all.count)")
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

    /// The metric on the test split: caption 0 of every image, the speech side in batches of the training
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
                    var rng = RandomStreams.generator(seed: configuration.seed &+ 2, epoch: epoch, index: i)
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
                                                    workers: configuration.workers)
        let center = configuration.validationImages == .center
        testViews = try ImageViewCache.loadOrBuild(at: folder.appendingPathComponent("test-views.safetensors"), dataset: testSet, encoder: encoder,
                                                   settings: settings(testSet, views: center ? 1 : configuration.imageViews, mode: center ? .center : .augmented,
                                                                      seed: configuration.seed &+ 4),
                                                   workers: configuration.workers)
        report(String(format: "image views: %d train × %d, %d test (%.1f s)", trainSet.count, configuration.imageViews, testSet.count,
                      Date().timeIntervalSince(started)))
    }

    // MARK: - Files

    func saveCheckpoint(to url: URL, records: [SENEpochRecord]) throws {
        let json = String(decoding: try JSONEncoder.sorted.encode(records), as: UTF8.self)
        let config = String(decoding: try JSONEncoder.sorted.encode(configuration), as: UTF8.self)
        try TrainingCheckpoint.save(to: url, model: model, optimizers: ["adam": optimizer],
                                    metadata: ["records": json, "config": config, "epoch": "\(records.last?.epoch ?? 0)"])
    }

    /// A checkpoint resumes only under the configuration it was made with (the worker count aside).
    func checkResumable(_ metadata: [String: String], file: URL) throws {
        guard let json = metadata["config"], var stored = try? JSONDecoder().decode(SENTrainingConfiguration.self, from: Data(json.utf8)) else {
            throw TensorError.file(path: file.path, reason: "checkpoint: no readable configuration")
        }
        stored.workers = configuration.workers
        guard stored == configuration else {
            throw TensorError.file(path: file.path, reason: "checkpoint was made with another configuration; resume with the same settings (see config.yml beside it)")
        }
    }

    func writeLogs(_ records: [SENEpochRecord]) throws {
        let lines = try records.map { String(decoding: try JSONEncoder.sorted.encode($0), as: UTF8.self) }
        try writeFileAtomically(Data((lines.joined(separator: "\n") + "\n").utf8), to: output.appendingPathComponent("log.jsonl"))
        let table = [Self.tableHeader(metricName: metricName)] + records.map { Self.tableRow($0, metricName: metricName) }
        try writeFileAtomically(Data((table.joined(separator: "\n") + "\n").utf8), to: output.appendingPathComponent("log.txt"))
    }

    /// The header of the readable log.
    public static func tableHeader(metricName: String) -> String {
        "epoch  lr        loss     matching  distinctive  " + pad(metricName, 7) + "  best  seconds"
    }

    /// One epoch as a line of the readable log.
    public static func tableRow(_ r: SENEpochRecord, metricName: String) -> String {
        String(format: "%5d  %.2e  %7.4f  %8.4f  ", r.epoch, r.learningRate, r.loss, r.matchingLoss)
            + pad(r.distinctiveLoss.map { String(format: "%.4f", $0) } ?? "-", 11, right: true) + "  "
            + pad(r.metric.map { String(format: "%.4f", $0) } ?? "-", 7, right: true) + "  "
            + pad(r.best ? "*" : "", 4) + String(format: "  %7.1f", r.seconds)
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }
}
