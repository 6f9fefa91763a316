import S2IGANAutograd
import S2IGANDatasets
import Foundation
import S2IGANNN
import S2IGANSEN
import S2IGANTensor
import S2IGANVision
import S2IGANFormats

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
public struct RDGEpochRecord: Sendable, Equatable, Codable {
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
/// the last, snapshot grids under `images/` every `snapshot_every` epochs, and after every epoch an atomic
/// `checkpoint.safetensors` with every network, every optimiser's moments, the moving average and the log, so
/// that `run(resume: true)` continues exactly where an interrupted run stopped. All randomness comes from
/// (seed, epoch, item) streams.
public final class RDGTrainer: @unchecked Sendable {
    public let configuration: RDGTrainingConfiguration
    public let trainSet: SpokenImageDataset
    public let embeddings: [Tensor]
    public let networks: RDGNetworks
    public let step: RDGTrainingStep
    public let output: URL
    public var report: (String) -> Void

    public static let checkpointFile = "checkpoint.safetensors"

    /// `embeddings`: the folder with `speech_embeddings_train.safetensors` (or the reference's `.pickle`);
    /// `senRun`: the SEN run whose image encoder embeds images for the relation supervisor (needed when the
    /// relation loss is on).
    public init(configuration c: RDGTrainingConfiguration, root: URL, embeddings folder: URL, senRun: URL?, inceptionWeights: URL?,
                output: URL, report: @escaping (String) -> Void = { _ in }) throws {
        try c.validate()
        let kind = try c.datasetKind
        trainSet = try SpokenImageDataset.open(kind: kind, root: root, split: .train, options: DatasetOptions(captionsPerImage: c.captionsPerImage))
        embeddings = try SpeechEmbeddings.read(split: "train", in: folder)
        guard embeddings.count == trainSet.count else {
            throw TensorError.file(path: folder.path, reason: "holds embeddings of \(embeddings.count) images, the train split has \(trainSet.count)")
        }
        guard embeddings[0].shape[1] == c.architecture.speechEmbeddingSize else {
            throw TensorError.file(path: folder.path, reason: "embeddings are \(embeddings[0].shape[1])-d, the configuration expects speech_embedding_size \(c.architecture.speechEmbeddingSize)")
        }
        guard trainSet.count >= c.batchSize else {
            throw TensorError.invalidArgument("RDG: the train split has \(trainSet.count) images, fewer than one batch of \(c.batchSize)")
        }
        let relation = c.losses.relation > 0
        var embedder: RelationEmbedder?
        if relation {
            guard let senRun else {
                throw TensorError.invalidArgument("RDG: the relation supervisor embeds images with the SEN's image encoder: give the SEN run (--sen), or set losses.relation: 0")
            }
            let encoder = try SENModel.loadImageEncoder(fromRun: senRun, inceptionWeights: inceptionWeights,
                                                        randomProjection: c.relationProjection == .random)
            guard encoder.embeddingSize == c.architecture.relationEmbeddingSize else {
                throw TensorError.file(path: senRun.path, reason: "its image encoder gives \(encoder.embeddingSize)-d embeddings, the configuration expects relation_embedding_size \(c.architecture.relationEmbeddingSize)")
            }
            embedder = RelationEmbedder(encoder: encoder)
        }
        networks = try RDGNetworks(architecture: c.architecture, relation: relation, seed: c.seed)
        step = try RDGTrainingStep(generator: networks.generator, discriminators: networks.discriminators, relationSupervisor: networks.relation,
                                   embedder: embedder, losses: c.losses, learningRate: c.generatorLearningRate,
                                   discriminatorLearningRate: c.discriminatorLearningRate, betas: (c.betas[0], c.betas[1]),
                                   averageDecay: c.averageDecay ?? 0.999)
        (configuration, self.output, self.report) = (c, output, report)
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
        try removingOutputOnFailure(output, keepingIfItHolds: Self.checkpointFile) { try train(resume: resume, stopAfter: stopAfter) }
    }

    private func train(resume: Bool, stopAfter: Int?) throws -> [RDGEpochRecord] {
        let fm = FileManager.default
        let checkpoint = output.appendingPathComponent(Self.checkpointFile)
        if resume {
            for name in try TrainingCheckpoint.prepareResume(from: checkpoint, run: "RDG training run") {
                report("removed \(name), a temporary file left by an interrupted write")
            }
        }
        try createFolder(output.appendingPathComponent("models"))
        try createFolder(output.appendingPathComponent("images"))
        var records: [RDGEpochRecord] = []
        if fm.fileExists(atPath: checkpoint.path) {
            guard resume else {
                throw TensorError.file(path: output.path, reason: "already holds an RDG training run (checkpoint.safetensors); resume it or choose another folder")
            }
            let metadata = try TrainingCheckpoint.load(from: checkpoint, model: networks, optimizers: optimizers, average: step.average)
            guard let json = metadata["config"], let stored = try? JSONDecoder().decode(RDGTrainingConfiguration.self, from: Data(json.utf8)),
                  stored.resumable(as: configuration) else {
                throw TensorError.file(path: checkpoint.path, reason: "checkpoint was made with another configuration; resume with the same settings (see config.yml beside it)")
            }
            records = try decodeFile("checkpoint metadata 'records'", checkpoint) { try JSONDecoder().decode([RDGEpochRecord].self, from: Data((metadata["records"] ?? "[]").utf8)) }
            report("resuming after epoch \(records.last?.epoch ?? -1) of \(configuration.epochs - 1)")
        }
        try writeFileAtomically(Data(try configuration.yaml().utf8), to: output.appendingPathComponent("config.yml"))
        let order = EpochOrder(count: trainSet.count, batchSize: configuration.batchSize, shuffle: true, dropLast: true, seed: configuration.seed)
        var epoch = (records.last?.epoch ?? -1) + 1
        var ran = 0
        if epoch < configuration.epochs { report(Self.tableHeader(stages: configuration.architecture.stages)) }
        while epoch < configuration.epochs, ran < (stopAfter ?? Int.max) {
            var record = try trainEpoch(epoch, order: order, completed: records)
            if epoch % configuration.saveEvery == 0 || epoch == configuration.epochs - 1 {
                try saveModels(epoch: epoch)
                record.saved = true
            }
            records.append(record)
            try saveCheckpoint(to: checkpoint, records: records)
            try writeLogs(records)
            let left = eta(records)
            report(Self.tableRow(record, eta: left.seconds, etaIsLowerBound: left.lowerBound))
            epoch += 1
            ran += 1
        }
        return records
    }

    func eta(_ records: [RDGEpochRecord]) -> (seconds: Double, lowerBound: Bool) { Self.eta(records, configuration: configuration) }

    /// The time left after `records`: each remaining epoch at the mean time of the last (up to three) epochs that
    /// trained as many stages. Under a progressive schedule a phase not reached yet has no such epochs; its epochs
    /// count at the rate of the latest phase, which more stages never undercut, so the estimate is then a lower
    /// bound (`lowerBound`, printed with "≥").
    static func eta(_ records: [RDGEpochRecord], configuration c: RDGTrainingConfiguration) -> (seconds: Double, lowerBound: Bool) {
        guard let last = records.last else { return (0, false) }
        var rates: [Int: Double] = [:]
        for stages in Set(records.map { c.activeStages(epoch: $0.epoch) }) {
            let recent = records.filter { c.activeStages(epoch: $0.epoch) == stages }.suffix(3)
            rates[stages] = recent.map(\.seconds).reduce(0, +) / Double(recent.count)
        }
        let latest = rates[c.activeStages(epoch: last.epoch)] ?? last.seconds
        var seconds = 0.0, lowerBound = false
        for epoch in (last.epoch + 1)..<max(last.epoch + 1, c.epochs) {
            if let rate = rates[c.activeStages(epoch: epoch)] {
                seconds += rate
            } else {
                seconds += latest
                lowerBound = true
            }
        }
        return (seconds, lowerBound)
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
            throw TensorError.invalidArgument("RDG: cannot time \(iterations) iterations of \(stages) of \(c.architecture.stages) stages")
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

    func trainEpoch(_ epoch: Int, order: EpochOrder, completed: [RDGEpochRecord]) throws -> RDGEpochRecord {
        let started = Date()
        let batches = order.batches(epoch: epoch)
        let sizes = Array(configuration.architecture.imageSizes.prefix(configuration.activeStages(epoch: epoch)))
        let loader = BatchLoader<GANBatch>(count: batches.count, workers: configuration.workers) { [self] b in
            try batch(batches[b], epoch: epoch, sizes: sizes)
        }
        defer { loader.cancel() }
        var sums: RDGLosses?
        var last: GANBatch?
        var iteration = 0
        while let batch = try loader.next() {
            let (z, epsilon) = try iterationNoise(epoch: epoch, iteration: iteration, batch: batch.keys.count)
            let losses: RDGLosses
            do {
                losses = try step.run(RDGBatch(real: batch.images, wrong: batch.wrongImages, similar: batch.similarImages,
                                               embeddings: batch.embeddings), noise: z, epsilon: epsilon)
            } catch let error as RDGTrainingError {
                throw TensorError.invalidArgument("RDG training stopped at epoch \(epoch), iteration \(iteration): \(readableDescription(of: error)); the last checkpoint (epoch \(completed.last.map { "\($0.epoch)" } ?? "none")) is kept")
            }
            sums = sums.map { $0.adding(losses) } ?? losses
            last = batch
            iteration += 1
            if iteration % 50 == 0 {
                report(String(format: "  epoch %d: %d/%d iterations, %.2f s/iteration", epoch, iteration, batches.count,
                              Date().timeIntervalSince(started) / Double(iteration)))
            }
        }
        var snapshot = false
        if epoch % configuration.snapshotEvery == 0, let last {
            try writeSnapshot(epoch: epoch, batch: last, stages: sizes.count)
            snapshot = true
        }
        let seconds = Date().timeIntervalSince(started)
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

    func saveCheckpoint(to url: URL, records: [RDGEpochRecord]) throws {
        let json = String(decoding: try JSONEncoder.sorted.encode(records), as: UTF8.self)
        let config = String(decoding: try JSONEncoder.sorted.encode(configuration), as: UTF8.self)
        try TrainingCheckpoint.save(to: url, model: networks, optimizers: optimizers, average: step.average,
                                    metadata: ["records": json, "config": config, "epoch": "\(records.last?.epoch ?? -1)"])
    }

    func writeLogs(_ records: [RDGEpochRecord]) throws {
        let lines = try records.map { String(decoding: try JSONEncoder.sorted.encode($0), as: UTF8.self) }
        try writeFileAtomically(Data((lines.joined(separator: "\n") + "\n").utf8), to: output.appendingPathComponent("log.jsonl"))
        var table = [Self.tableHeader(stages: configuration.architecture.stages)]
        for r in records { table.append(Self.tableRow(r, eta: nil)) }
        try writeFileAtomically(Data((table.joined(separator: "\n") + "\n").utf8), to: output.appendingPathComponent("log.txt"))
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
        if let eta { line += (etaIsLowerBound ? " ≥" : "  ") + Self.duration(eta) }
        return line + (r.saved ? "  saved" : "") + (r.snapshot ? "  snapshot" : "")
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) : String(format: "%dm%02ds", s / 60, s % 60)
    }
}

extension RDGTrainingConfiguration {
    /// A checkpoint resumes under the same configuration, except for the worker count and the number of epochs
    /// (a run may be extended).
    func resumable(as other: RDGTrainingConfiguration) -> Bool {
        var c = self
        (c.workers, c.epochs) = (other.workers, other.epochs)
        return c == other
    }
}

extension RDGLosses {
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
