import S2IGANAutograd
import S2IGANDatasets
import Foundation
import S2IGANNN
import S2IGANSEN
import S2IGANTensor
import S2IGANVision
import S2IGANFormats
import S2IGANTraining

/// The networks of an RDG run as one module, for checkpoints: `generator.…`, `discriminators.<i>.…`, `relation.…`.
public final class RDGNetworks: Module {
    public let generator: Generator
    public let discriminators: [Discriminator]
    public let relation: RelationSupervisor?

    public init(generator: Generator, discriminators: [Discriminator], relation: RelationSupervisor?) {
        (self.generator, self.discriminators, self.relation) = (generator, discriminators, relation)
        super.init()
    }

    /// Fresh networks for `architecture`, initialised as the reference's `weights_init` from `seed`.
    public convenience init(architecture a: RDGArchitecture, relation: Bool, seed: UInt64) throws {
        let (g, ds, rs) = try Initialization.seeded(seed) { () throws -> (Generator, [Discriminator], RelationSupervisor?) in
            let g = try Generator(a)
            let ds = try (0..<a.stages).map { try Discriminator.forStage($0, architecture: a) }
            let rs = relation ? try RelationSupervisor(embeddingSize: a.relationEmbeddingSize, hiddenSize: a.relationHiddenSize) : nil
            for m in [g as Module] + ds + (rs.map { [$0 as Module] } ?? []) { try RDGInitialization.apply(to: m) }
            return (g, ds, rs)
        }
        self.init(generator: g, discriminators: ds, relation: rs)
    }
}

/// The losses of one epoch (means over its iterations) and its timing.
public struct RDGEpochRecord: TrainingEpochRecord {
    /// Numbered from 0, as the reference's RDG epochs and the `netG_<epoch>` files.
    public var epoch: Int
    public var iterations: Int
    public var losses: RDGLosses
    public var seconds: Double
    public var imagesPerSecond: Double
    public var snapshot: Bool
    public var saved: Bool

    enum CodingKeys: String, CodingKey {
        case epoch, iterations, losses, seconds, imagesPerSecond = "images_per_second", snapshot, saved
    }
}

/// RDG training (spec 3.6): per epoch, batches of real/wrong/similar image pyramids and one caption embedding
/// per image, one ``RDGTrainingStep`` per batch; weights under `models/` every `save_every` epochs and after
/// the last, snapshot grids under `images/` every `snapshot_every` epochs. The run folder, the resume guards,
/// the logs, the ETA and the NaN stop are the shared ``TrainingRun``: after every epoch an atomic
/// `checkpoint.safetensors` holds every network, every optimiser's moments, the moving average and the log, so
/// that `run(resume: true)` continues exactly where an interrupted run stopped. Epochs are numbered from 0. All
/// randomness comes from (seed, epoch, item) streams.
public final class RDGTrainer: @unchecked Sendable {
    public let configuration: RDGTrainingConfiguration
    public let trainSet: SpokenImageDataset
    public let embeddings: [Tensor]
    public let networks: RDGNetworks
    public let step: RDGTrainingStep
    public let output: URL
    public var report: (String) -> Void
    /// The number of the first epoch a new run trains: 0, or the epoch after the weights it was initialised from.
    public private(set) var firstEpoch = 0
    /// Data-parallel training: this process trains on its shard of every global batch (``DataParallel``).
    public let parallel: DataParallel?
    /// A planted fault (`S2IGAN_FAULT`, a test hook) and the iterations this process has run.
    let fault: FaultInjection?
    var iterationsRun = 0

    public static let checkpointFile = TrainingRun<RDGTrainingConfiguration, RDGEpochRecord>.checkpointFile

    /// `embeddings`: the folder with `speech_embeddings_train.safetensors` (or the reference's `.pickle`);
    /// `senRun`: the SEN run whose image encoder embeds images for the relation supervisor (needed when the
    /// relation loss is on).
    ///
    /// `initFrom` starts the networks from trained weights (see ``initialize(from:epoch:)``); `initEpoch` chooses
    /// its `netG_<N>` (default: the newest).
    public init(configuration c: RDGTrainingConfiguration, root: URL, embeddings folder: URL, senRun: URL?, inceptionWeights: URL?,
                output: URL, initFrom: URL? = nil, initEpoch: Int? = nil, parallel: DataParallel? = nil,
                report: @escaping (String) -> Void = { _ in }) throws {
        try c.validate()
        try parallel?.checkDivides(globalBatch: c.batchSize)
        self.parallel = parallel
        fault = try FaultInjection.fromEnvironment()
        let kind = try c.datasetKind
        trainSet = try SpokenImageDataset.open(kind: kind, root: root, split: .train, options: DatasetOptions(captionsPerImage: c.captionsPerImage))
        embeddings = try SpeechEmbeddings.read(split: "train", in: folder)
        guard embeddings.count == trainSet.count else {
            throw GANError.file(path: folder.path, reason: "holds embeddings of \(embeddings.count) images, the train split has \(trainSet.count)")
        }
        guard embeddings[0].shape[1] == c.architecture.speechEmbeddingSize else {
            throw GANError.file(path: folder.path, reason: "embeddings are \(embeddings[0].shape[1])-d, the configuration expects speech_embedding_size \(c.architecture.speechEmbeddingSize)")
        }
        guard trainSet.count >= c.batchSize else {
            throw GANError.invalidInput("RDG: the train split has \(trainSet.count) images, fewer than one batch of \(c.batchSize)")
        }
        let relation = c.losses.relation > 0
        var embedder: RelationEmbedder?
        if relation {
            guard let senRun else {
                throw GANError.invalidConfiguration("RDG: the relation supervisor embeds images with the SEN's image encoder: give the SEN run (--sen), or set losses.relation: 0")
            }
            let encoder = try SENModel.loadImageEncoder(fromRun: senRun, inceptionWeights: inceptionWeights,
                                                        randomProjection: c.relationProjection == .random)
            guard encoder.embeddingSize == c.architecture.relationEmbeddingSize else {
                throw GANError.file(path: senRun.path, reason: "its image encoder gives \(encoder.embeddingSize)-d embeddings, the configuration expects relation_embedding_size \(c.architecture.relationEmbeddingSize)")
            }
            embedder = RelationEmbedder(encoder: encoder)
        }
        networks = try RDGNetworks(architecture: c.architecture, relation: relation, seed: c.seed)
        // The reference's weights go in before the optimisers and the moving average are made, which start from them.
        let checkpoint = initFrom.map { $0.appendingPathComponent(Self.checkpointFile) }
        var referenceFolder: RDGModelFolder?
        if let initFrom, let checkpoint, !FileManager.default.fileExists(atPath: checkpoint.path) {
            let weights = try RDGModelFolder(initFrom, epoch: initEpoch)
            try weights.load(into: networks, freshRelation: true)
            referenceFolder = weights
        }
        step = try RDGTrainingStep(generator: networks.generator, discriminators: networks.discriminators, relationSupervisor: networks.relation,
                                   embedder: embedder, losses: c.losses, learningRate: c.generatorLearningRate,
                                   discriminatorLearningRate: c.discriminatorLearningRate, betas: (c.betas[0], c.betas[1]),
                                   averageDecay: c.averageDecay ?? 0.999)
        (configuration, self.output, self.report) = (c, output, report)
        parallel?.prepare(networks)
        step.parallel = parallel
        if let weights = referenceFolder {
            firstEpoch = weights.epoch + 1
            let names = ([weights.generator] + weights.discriminators.prefix(networks.discriminators.count)).map(\.lastPathComponent)
                + (networks.relation == nil ? [] : [weights.relation?.lastPathComponent ?? "a fresh relation supervisor (no netMD)"])
            report("initialised from \(weights.folder.path): \(names.joined(separator: ", ")); optimisers fresh; training starts at epoch \(firstEpoch)")
        } else if let checkpoint, initEpoch == nil {
            let metadata = try TrainingCheckpoint.load(from: checkpoint, model: networks, optimizers: optimizers, average: step.average)
            guard let epoch = metadata["epoch"].flatMap(Int.init), epoch >= 0 else {
                throw GANError.file(path: checkpoint.path, reason: "checkpoint: no finished epoch recorded")
            }
            firstEpoch = epoch + 1
            report("initialised from \(checkpoint.path) (after epoch \(epoch)): networks, optimisers and moving average; training starts at epoch \(firstEpoch)")
        } else if let checkpoint {
            throw GANError.file(path: checkpoint.path, reason: "a run folder with a checkpoint continues from its last epoch; give its models/ folder to choose netG_\(initEpoch ?? 0)")
        }
        guard firstEpoch < c.epochs else {
            throw GANError.invalidConfiguration("RDG: the weights are from epoch \(firstEpoch - 1) and the configuration ends at epoch \(c.epochs - 1): nothing to train (raise --epochs)")
        }
    }

    var optimizers: [String: any Optimizer] {
        var result: [String: any Optimizer] = ["g": step.generatorOptimizer]
        for (i, o) in step.discriminatorOptimizers.enumerated() { result["d\(i)"] = o }
        if let o = step.relationOptimizer { result["rs"] = o }
        return result
    }

    /// The noise of the snapshot grids, drawn once from the seed (the reference's fixed noise).
    public var fixedNoise: Tensor {
        get throws {
            var rng = RandomGenerator(seed: configuration.seed &+ 0x5EED)
            return try Tensor.normal([configuration.batchSize, configuration.architecture.noiseSize], using: &rng)
        }
    }

    /// Trains until the configured epoch count, or until `stopAfter` epochs have run in this call. With `resume`,
    /// continues from the output folder's checkpoint (removing temporary files that an interrupted write left there)
    /// and throws if there is none; without it the folder must not hold a run.
    /// A run that fails before its first checkpoint (a full disk, an unreadable dataset) removes the output folder
    /// if it created it; once a checkpoint is written the folder is kept, to be resumed.
    @discardableResult
    public func run(resume: Bool = false, stopAfter: Int? = nil) throws -> [RDGEpochRecord] {
        let c = configuration
        let log = TrainingLog<RDGEpochRecord>(header: Self.tableHeader(stages: c.architecture.stages)) { record, eta in
            Self.tableRow(record, eta: eta?.seconds, etaIsLowerBound: eta?.lowerBound ?? false)
        }
        let run = TrainingRun(folder: output, name: "RDG training", article: "an", configuration: c, model: networks,
                              optimizers: optimizers, average: step.average, log: log, subfolders: ["models", "images"],
                              phase: { c.activeStages(epoch: $0) }, report: report)
        run.parallel = parallel
        let order = EpochOrder(count: trainSet.count, batchSize: c.batchSize, shuffle: true, dropLast: true, seed: c.seed)
        return try run.run(resume: resume, stopAfter: stopAfter, firstEpoch: firstEpoch) { epoch, progress in
            var record = try trainEpoch(epoch, order: order, progress: progress)
            if epoch % c.saveEvery == 0 || epoch == c.epochs - 1 {
                if parallel?.isRoot ?? true {
                    try saveModels(epoch: epoch)
                } else if c.averageIntoGenerator {
                    // Rank 0's save puts the average into its generator; every replica does, to stay identical.
                    step.loadAverageIntoGenerator()
                }
                record.saved = true
            }
            return record
        }
    }

    /// The time left after `records` (``RemainingTime``): the phases are the numbers of training stages, so under
    /// a progressive schedule the epochs of a phase not reached yet count at the latest phase's rate, a lower bound.
    static func eta(_ records: [RDGEpochRecord], configuration c: RDGTrainingConfiguration) -> (seconds: Double, lowerBound: Bool) {
        let left = RemainingTime.estimate(after: records, epochs: c.epochs) { c.activeStages(epoch: $0) }
        return (left.seconds, left.lowerBound)
    }

    /// The noise of one iteration: z and the conditioning ε, from their own stream.
    func iterationNoise(epoch: Int, iteration: Int, batch: Int) throws -> (z: Tensor, epsilon: Tensor) {
        var rng = RandomStreams.generator(seed: configuration.seed ^ 0x9A11_0000_0000, epoch: epoch, index: iteration)
        let z = try Tensor.normal([batch, configuration.architecture.noiseSize], using: &rng)
        let epsilon = try Tensor.normal([batch, configuration.architecture.conditionSize], using: &rng)
        return (z, epsilon)
    }

    /// The batch of `indices` in `epoch` at `sizes`: each item from its own (seed, epoch, index) stream.
    func batch(_ indices: [Int], epoch: Int, sizes: [Int]) throws -> GANBatch {
        try GANBatch.collate(indices.map { index -> GANItem in
            var rng = RandomStreams.generator(seed: configuration.seed, epoch: epoch, index: index)
            return try trainSet.ganItem(at: index, embeddings: embeddings, sizes: sizes, using: &rng)
        })
    }

    /// Seconds one training iteration takes on this machine when the first `stages` stages train: `iterations`
    /// timed iterations after one warm-up, on networks built for the purpose (the run's own, its optimisers and
    /// its random streams are untouched), with the run's first batch. A budget can plan a progressive schedule
    /// from it before training starts.
    public func secondsPerIteration(stages: Int, iterations: Int = 2) throws -> Double {
        let c = configuration
        guard (1...c.architecture.stages).contains(stages), iterations >= 1 else {
            throw GANError.invalidConfiguration("RDG: cannot time \(iterations) iterations of \(stages) of \(c.architecture.stages) stages")
        }
        let probe = try RDGNetworks(architecture: c.architecture, relation: networks.relation != nil, seed: c.seed &+ 1)
        let timed = try RDGTrainingStep(generator: probe.generator, discriminators: probe.discriminators, relationSupervisor: probe.relation,
                                        embedder: step.embedder, losses: c.losses, learningRate: c.generatorLearningRate,
                                        discriminatorLearningRate: c.discriminatorLearningRate, betas: (c.betas[0], c.betas[1]))
        let order = EpochOrder(count: trainSet.count, batchSize: c.batchSize, shuffle: true, dropLast: true, seed: c.seed)
        let b = try batch(order.batches(epoch: 0)[0], epoch: 0, sizes: Array(c.architecture.imageSizes.prefix(stages)))
        let input = RDGBatch(real: b.images, wrong: b.wrongImages, similar: b.similarImages, embeddings: b.embeddings)
        let (z, epsilon) = try iterationNoise(epoch: 0, iteration: 0, batch: b.keys.count)
        try timed.run(input, noise: z, epsilon: epsilon)
        let started = Date()
        for _ in 0..<iterations { try timed.run(input, noise: z, epsilon: epsilon) }
        return Date().timeIntervalSince(started) / Double(iterations)
    }

    func trainEpoch(_ epoch: Int, order: EpochOrder, progress: EpochProgress) throws -> RDGEpochRecord {
        let batches = order.batches(epoch: epoch)
        let sizes = Array(configuration.architecture.imageSizes.prefix(configuration.activeStages(epoch: epoch)))
        // Data-parallel: each rank loads and trains its rows of every global batch, with its rows of the global noise.
        let rows = parallel?.shard(of: configuration.batchSize) ?? 0..<configuration.batchSize
        let loader = BatchLoader<GANBatch>(count: batches.count, workers: configuration.workers) { [self] b in
            try batch(parallel == nil ? batches[b] : Array(batches[b][rows]), epoch: epoch, sizes: sizes)
        }
        defer { loader.cancel() }
        var sums: RDGLosses?
        var last: GANBatch?
        while let batch = try loader.next() {
            var (z, epsilon) = try iterationNoise(epoch: epoch, iteration: progress.iteration, batch: configuration.batchSize)
            if parallel != nil {
                (z, epsilon) = (try z.slice(axis: 0, start: rows.lowerBound, end: rows.upperBound),
                                try epsilon.slice(axis: 0, start: rows.lowerBound, end: rows.upperBound))
            }
            var embeddings = batch.embeddings
            if let fault, fault.strikes(rank: parallel?.rank ?? 0, iteration: iterationsRun) {
                embeddings = try Tensor.full(embeddings.shape, value: .nan)
            }
            iterationsRun += 1
            let losses = try step.run(RDGBatch(real: batch.images, wrong: batch.wrongImages, similar: batch.similarImages,
                                               embeddings: embeddings), noise: z, epsilon: epsilon)
            sums = sums.map { $0.adding(losses) } ?? losses
            last = batch
            progress.finishIteration(of: batches.count)
        }
        let iteration = progress.iteration
        if let parallel, let local = sums {
            // The epoch's losses over the whole global batches: the mean of the ranks' means.
            let totals = try parallel.sum(local.all.map(Double.init)).map { Float($0 / Double(parallel.count)) }
            sums = RDGLosses(flattened: totals, stages: configuration.architecture.stages)
        }
        var snapshot = false
        if epoch % configuration.snapshotEvery == 0, var last, parallel?.isRoot ?? true {
            // Rank 0 draws the snapshot from the whole last global batch, as one process does.
            if parallel != nil, let whole = batches.last { last = try batch(whole, epoch: epoch, sizes: sizes) }
            if let parallel {
                try parallel.alone(networks) { try writeSnapshot(epoch: epoch, batch: last, stages: sizes.count) }
            } else {
                try writeSnapshot(epoch: epoch, batch: last, stages: sizes.count)
            }
            snapshot = true
        }
        let seconds = progress.seconds
        return RDGEpochRecord(epoch: epoch, iterations: iteration, losses: (sums ?? .zero(stages: configuration.architecture.stages)).scaled(by: 1 / Float(max(iteration, 1))),
                              seconds: seconds, imagesPerSecond: Double(iteration * configuration.batchSize) / max(seconds, 1e-9),
                              snapshot: snapshot, saved: false)
    }

    /// Grids of the real 256 (or largest) images of the last batch and of each training stage's images generated
    /// from the fixed noise and that batch's embeddings with the averaged generator (min–max normalised over the grid).
    func writeSnapshot(epoch: Int, batch: GANBatch, stages: Int) throws {
        let folder = output.appendingPathComponent("images")
        let noise = try fixedNoise
        let n = min(noise.shape[0], batch.keys.count)
        let images = try step.withAveragedGenerator { g in
            try GradientMode.withoutGradient {
                try g(noise: Variable(noise.slice(axis: 0, start: 0, end: n)), embedding: Variable(batch.embeddings.slice(axis: 0, start: 0, end: n)),
                      epsilon: nil, stages: stages).images.map(\.value)
            }
        }
        let columns = Int(Double(n).squareRoot().rounded(.up))
        try ImageGrid.save(Self.minMaxNormalised(batch.images[batch.images.count - 1].slice(axis: 0, start: 0, end: n)),
                           to: folder.appendingPathComponent(String(format: "epoch_%04d_real_samples.png", epoch)), columns: columns)
        for (k, image) in images.enumerated() {
            try ImageGrid.save(Self.minMaxNormalised(image), to: folder.appendingPathComponent(String(format: "epoch_%04d_fake_samples%d.png", epoch, k)),
                               columns: columns)
        }
    }

    static func minMaxNormalised(_ x: Tensor) throws -> Tensor {
        let values = x.scalars
        guard let low = values.min(), let high = values.max(), high > low else { return try Tensor.zeros(x.shape) }
        return (x - low) * (1 / (high - low))
    }

    /// `models/netG_<epoch>.safetensors` (state dict with BatchNorm buffers), `netD<i>.safetensors`, `netMD.safetensors`.
    func saveModels(epoch: Int) throws {
        let folder = output.appendingPathComponent("models")
        let metadata = ["epoch": "\(epoch)", "dataset": configuration.dataset,
                        "architecture": String(decoding: try JSONEncoder.sorted.encode(configuration.architecture), as: UTF8.self)]
        if configuration.averageIntoGenerator {
            step.loadAverageIntoGenerator()
            try networks.generator.save(to: folder.appendingPathComponent("netG_\(epoch).safetensors"), metadata: metadata)
        } else {
            try step.withAveragedGenerator { g in try g.save(to: folder.appendingPathComponent("netG_\(epoch).safetensors"), metadata: metadata) }
        }
        for (i, d) in networks.discriminators.enumerated() { try d.save(to: folder.appendingPathComponent("netD\(i).safetensors"), metadata: metadata) }
        if let rs = networks.relation { try rs.save(to: folder.appendingPathComponent("netMD.safetensors"), metadata: metadata) }
    }

    /// The header of the readable log.
    public static func tableHeader(stages: Int) -> String {
        "epoch  " + (0..<stages).map { "D\($0)     " }.joined(separator: " ") + "  RS      G       G_adv    G_RS    KL      colour  img/s   seconds  ETA"
    }

    /// One epoch as a line of the readable log.
    public static func tableRow(_ r: RDGEpochRecord, eta: Double?, etaIsLowerBound: Bool = false) -> String {
        let l = r.losses
        var line = String(format: "%5d  ", r.epoch) + l.discriminators.map { String(format: "%7.4f", $0) }.joined(separator: " ")
        line += String(format: "  %6.4f  %6.4f  %7.4f  %6.4f  %6.4f  %6.4f  %6.2f  %7.1f", l.relation, l.generator,
                       l.generatorAdversarial.reduce(0, +), l.generatorRelation, l.kl, l.colourConsistency, r.imagesPerSecond, r.seconds)
        if let eta { line += RemainingTime(seconds: eta, lowerBound: etaIsLowerBound).cell }
        return line + (r.saved ? "  saved" : "") + (r.snapshot ? "  snapshot" : "")
    }
}

extension RDGLosses {
    /// The losses from the values of ``all``, in its order.
    init(flattened v: [Float], stages: Int) {
        self.init(discriminators: Array(v[0..<stages]), relation: v[2 * stages], generatorAdversarial: Array(v[stages..<2 * stages]),
                  generatorRelation: v[2 * stages + 1], kl: v[2 * stages + 2], colourConsistency: v[2 * stages + 3], generator: v[2 * stages + 4])
    }

    static func zero(stages: Int) -> RDGLosses {
        RDGLosses(discriminators: Array(repeating: 0, count: stages), relation: 0, generatorAdversarial: Array(repeating: 0, count: stages),
                  generatorRelation: 0, kl: 0, colourConsistency: 0, generator: 0)
    }

    func adding(_ o: RDGLosses) -> RDGLosses {
        RDGLosses(discriminators: zip(discriminators, o.discriminators).map(+), relation: relation + o.relation,
                  generatorAdversarial: zip(generatorAdversarial, o.generatorAdversarial).map(+), generatorRelation: generatorRelation + o.generatorRelation,
                  kl: kl + o.kl, colourConsistency: colourConsistency + o.colourConsistency, generator: generator + o.generator)
    }

    func scaled(by f: Float) -> RDGLosses {
        RDGLosses(discriminators: discriminators.map { $0 * f }, relation: relation * f, generatorAdversarial: generatorAdversarial.map { $0 * f },
                  generatorRelation: generatorRelation * f, kl: kl * f, colourConsistency: colourConsistency * f, generator: generator * f)
    }
}
