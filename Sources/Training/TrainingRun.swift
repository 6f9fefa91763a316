import Foundation
import S2IGANFormats
import S2IGANNN
import S2IGANTensor

/// One training run in its folder: what the SEN and the RDG trainers share. It owns
/// - the folder: `config.yml` (the resolved configuration), `checkpoint.safetensors`, `log.jsonl` and `log.txt`;
/// - the guards: a resume needs a run (``ResumeGuard``) made with the same configuration (up to
///   ``TrainingRunConfiguration/adoptingResumableSettings(of:)``), and a new run needs a folder without one;
/// - the epoch loop: epochs numbered from 0, `stopAfter` epochs per call, after each epoch an atomic checkpoint
///   (model, optimisers, moving average, the records so far, the configuration), both logs and a table line
///   with the ``RemainingTime``;
/// - the NaN stop: a ``NonFiniteLoss`` thrown by an epoch stops the run naming the epoch and the iteration, and
///   the checkpoint of the last finished epoch is kept.
///
/// A run that fails before its first checkpoint removes its folder if it created it; once a checkpoint is written
/// the folder is kept, to be resumed.
///
/// Checkpoints record their epoch numbering (`epoch_numbering: from 0`). One without it was written before the
/// trainers shared this harness; its records are renumbered from ``legacyFirstEpoch`` to 0 when it resumes (the
/// SEN numbered its epochs from 1 then), so such runs continue where they stopped.
public final class TrainingRun<Configuration: TrainingRunConfiguration, Record: TrainingEpochRecord> {
    public static var checkpointFile: String { "checkpoint.safetensors" }
    public static var configurationFile: String { "config.yml" }
    static var numberingKey: String { "epoch_numbering" }
    static var numbering: String { "from 0" }

    public let folder: URL
    /// What trains, for messages: "SEN training", "RDG training".
    public let name: String
    /// "a" or "an", for "already holds an RDG training run".
    public let article: String
    public let configuration: Configuration
    public let model: Module
    public let optimizers: [String: any Optimizer]
    public let average: ExponentialMovingAverage?
    public let log: TrainingLog<Record>
    /// Folders created below ``folder`` before training (`models`, `images`).
    public let subfolders: [String]
    /// The number of the first epoch in checkpoints that do not record their numbering.
    public let legacyFirstEpoch: Int
    /// The phase of an epoch, for the remaining time (see ``RemainingTime``).
    public var phase: (Int) -> Int
    /// Receives one line per notable event.
    public var report: (String) -> Void
    /// The finished epochs, in order.
    public private(set) var records: [Record] = []
    /// A data-parallel run's replicas: replica 0 alone touches the folder (it reads the checkpoint at a resume and
    /// sends the state to the others) and reports; after every epoch the replicas take replica 0's buffers and check
    /// that their weights agree.
    public var parallel: DataParallel?

    public init(folder: URL, name: String, article: String, configuration: Configuration, model: Module,
                optimizers: [String: any Optimizer], average: ExponentialMovingAverage? = nil, log: TrainingLog<Record>,
                subfolders: [String] = [], legacyFirstEpoch: Int = 0, phase: @escaping (Int) -> Int = { _ in 0 },
                report: @escaping (String) -> Void) {
        (self.folder, self.name, self.article, self.configuration, self.model) = (folder, name, article, configuration, model)
        (self.optimizers, self.average, self.log, self.subfolders) = (optimizers, average, log, subfolders)
        (self.legacyFirstEpoch, self.phase, self.report) = (legacyFirstEpoch, phase, report)
    }

    public var checkpoint: URL { folder.appendingPathComponent(Self.checkpointFile) }

    /// Opens the run (a new one, or with `resume` the one in the folder), calls `prepare` with the finished
    /// epochs, then trains `epoch` by epoch until the configured count, or until `stopAfter` epochs have run in
    /// this call. `epoch` gets the epoch's number and progress and returns its record. Returns every record.
    /// A new run starts at epoch `firstEpoch` (a run initialised from weights trained that far); a resumed one
    /// after its last record.
    @discardableResult
    public func run(resume: Bool, stopAfter: Int? = nil, firstEpoch: Int = 0, prepare: ([Record]) throws -> Void = { _ in },
                    epoch train: (Int, EpochProgress) throws -> Record) throws -> [Record] {
        guard let parallel, !parallel.isRoot else {
            return try removingOutputOnFailure(folder, keepingIfItHolds: Self.checkpointFile) {
                try open(resume: resume)
                try shareState()
                try prepare(records)
                return try loop(stopAfter: stopAfter, firstEpoch: firstEpoch, train)
            }
        }
        try shareState()
        try prepare(records)
        return try loop(stopAfter: stopAfter, firstEpoch: firstEpoch, train)
    }

    /// In a data-parallel run, replica 0's state (fresh, initialised or resumed) and records on every replica.
    func shareState() throws {
        guard let parallel else { return }
        let json = parallel.isRoot ? String(decoding: try JSONEncoder.sorted.encode(records), as: UTF8.self) : ""
        let metadata = try parallel.broadcastState(model: model, optimizers: optimizers, average: average, metadata: ["records": json])
        if !parallel.isRoot {
            records = try JSONDecoder().decode([Record].self, from: Data((metadata["records"] ?? "[]").utf8))
        }
    }

    /// Whether this process writes the run's files: always, except on the other replicas of a data-parallel run.
    var writes: Bool { parallel?.isRoot ?? true }

    /// The guards, the folders, the checkpoint's state and records when resuming, and `config.yml`.
    func open(resume: Bool) throws {
        if resume {
            for file in try ResumeGuard.prepareResume(from: checkpoint, run: "\(name) run") {
                report("removed \(file), a temporary file left by an interrupted write")
            }
        } else {
            try ResumeGuard.requireNoRun(at: checkpoint, run: "\(article) \(name) run")
        }
        try createFolder(folder)
        for sub in subfolders { try createFolder(folder.appendingPathComponent(sub)) }
        records = []
        if resume {
            let metadata = try TrainingCheckpoint.load(from: checkpoint, model: model, optimizers: optimizers, average: average)
            try checkResumable(metadata)
            records = try decodeFile("checkpoint metadata 'records'", checkpoint) {
                try JSONDecoder().decode([Record].self, from: Data((metadata["records"] ?? "[]").utf8))
            }
            if metadata[Self.numberingKey] == nil {
                for i in records.indices { records[i].epoch -= legacyFirstEpoch }
            }
            let last = records.last.map { "\($0.epoch)" } ?? "none"
            report("resuming after epoch \(last): \(records.count) of \(configuration.epochs) epochs done")
        }
        try writeFileAtomically(Data(try configuration.yaml().utf8), to: folder.appendingPathComponent(Self.configurationFile))
    }

    /// A checkpoint resumes only under the configuration it was made with, up to the settings a resume may change.
    func checkResumable(_ metadata: [String: String]) throws {
        guard let json = metadata["config"], let stored = try? JSONDecoder().decode(Configuration.self, from: Data(json.utf8)) else {
            throw TrainingError.file(path: checkpoint.path, reason: "checkpoint: no readable configuration")
        }
        guard stored.adoptingResumableSettings(of: configuration) == configuration else {
            throw TrainingError.file(path: checkpoint.path, reason: "checkpoint was made with another configuration; resume with the same settings (see \(Self.configurationFile) beside it)")
        }
    }

    func loop(stopAfter: Int?, firstEpoch: Int = 0, _ train: (Int, EpochProgress) throws -> Record) throws -> [Record] {
        var epoch = records.last.map { $0.epoch + 1 } ?? firstEpoch
        try parallel?.startTraining()
        if writes, epoch < configuration.epochs, stopAfter ?? 1 > 0 { report(log.header) }
        var ran = 0
        while epoch < configuration.epochs, ran < (stopAfter ?? Int.max) {
            let progress = EpochProgress(epoch: epoch, report: report)
            var record: Record
            do {
                record = try train(epoch, progress)
            } catch let error as NonFiniteLoss {
                let kept = records.last.map { "the checkpoint of epoch \($0.epoch) is kept" } ?? "no epoch had finished, so there is no checkpoint"
                throw TrainingError.stopped("\(name) stopped at epoch \(epoch), iteration \(progress.iteration): \(error); \(kept); a lower learning rate may help")
            }
            record.epoch = epoch
            records.append(record)
            try parallel?.synchroniseBuffers(of: model, after: epoch)
            if writes {
                try saveCheckpoint()
                try log.write(records, to: folder)
                report(log.row(record, RemainingTime.estimate(after: records, epochs: configuration.epochs, phase: phase)))
            }
            epoch += 1
            ran += 1
        }
        return records
    }

    func saveCheckpoint() throws {
        let json = String(decoding: try JSONEncoder.sorted.encode(records), as: UTF8.self)
        let config = String(decoding: try JSONEncoder.sorted.encode(configuration), as: UTF8.self)
        try TrainingCheckpoint.save(to: checkpoint, model: model, optimizers: optimizers, average: average,
                                    metadata: ["records": json, "config": config, "epoch": "\(records.last?.epoch ?? -1)",
                                               Self.numberingKey: Self.numbering])
    }
}
