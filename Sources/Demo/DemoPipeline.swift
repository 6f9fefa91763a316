import S2IGANDatasets
import Foundation
import S2IGANGAN
import S2IGANMetrics
import S2IGANSEN
import S2IGANTensor
import S2IGANVision
import S2IGANFormats

/// The whole of S2IGAN on the built-in data, stage by stage, into one output folder:
///
/// | stage | writes |
/// |---|---|
/// | ``Stage/dataset`` | `data/` — the spoken-flowers dataset (images, espeak-ng speech, log-mel features, splits) |
/// | ``Stage/sen`` | `sen/` — the speech embedding network's run (`models/best_*_model.safetensors`, logs) |
/// | ``Stage/embeddings`` | `sen/speech_embeddings_{train,test}.{safetensors,pickle}` |
/// | ``Stage/gan`` | `gan/` — the RDG's run (`models/netG_<epoch>.safetensors`, snapshots, logs) |
/// | ``Stage/generate`` | `generated/<key>_<size>_sentence<i>.png` for every test caption and every stage (drawn from the caption's conditioning mean μ, as `s2igan say` does, with random noise z) |
/// | ``Stage/evaluate`` | `evaluation.json` (``DemoEvaluation``) |
/// | ``Stage/report`` | `report.html` with `report/` (plots and grids) |
///
/// `demo.json` records the configuration, the finished stages with their times, and the RDG's chosen epochs.
/// Running again on the same folder skips finished stages and resumes the trainers from their checkpoints, so
/// an interrupted demo continues rather than restarts.
public final class DemoPipeline: @unchecked Sendable {
    public enum Stage: String, Sendable, CaseIterable, Codable {
        case dataset, sen, embeddings, gan, generate, evaluate, report

        /// What the stage does, for progress lines.
        public var title: String {
            switch self {
            case .dataset: return "building the spoken-flowers dataset"
            case .sen: return "training the speech embedding network"
            case .embeddings: return "embedding every caption"
            case .gan: return "training the RDG"
            case .generate: return "generating images for the test captions"
            case .evaluate: return "evaluating"
            case .report: return "writing the report"
            }
        }
    }

    /// A finished stage.
    public struct StageRecord: Sendable, Equatable, Codable {
        public var seconds: Double
        /// Whether it had been interrupted and resumed (its seconds then count only the last run).
        public var resumed: Bool
    }

    /// The SEN's validation result, kept for the report.
    public struct SENSummary: Sendable, Equatable, Codable {
        public var metricName: String
        public var bestMetric: Double?
        public var bestEpoch: Int?
        public var chance: Double
    }

    /// `demo.json`.
    public struct State: Sendable, Equatable, Codable {
        public var configuration: DemoConfiguration
        public var stages: [String: StageRecord] = [:]
        public var started: [String] = []
        /// The RDG epochs the budget chose.
        public var ganPlan: DemoConfiguration.GANPlan?
        public var sen: SENSummary?

        enum CodingKeys: String, CodingKey { case configuration, stages, started, ganPlan = "gan_plan", sen }

        public func finished(_ stage: Stage) -> Bool { stages[stage.rawValue] != nil }
        /// Seconds of the finished stages.
        public var seconds: Double { stages.values.reduce(0) { $0 + $1.seconds } }
    }

    public static let stateFile = "demo.json"

    public let configuration: DemoConfiguration
    public let output: URL
    /// Progress lines.
    public var report: @Sendable (String) -> Void
    public private(set) var state: State
    /// When the running stage started.
    private var stageStart = Date()

    public var dataRoot: URL { output.appendingPathComponent("data") }
    public var senFolder: URL { output.appendingPathComponent("sen") }
    public var ganFolder: URL { output.appendingPathComponent("gan") }
    public var generatedFolder: URL { output.appendingPathComponent("generated") }
    public var evaluationFile: URL { output.appendingPathComponent("evaluation.json") }
    public var reportFile: URL { output.appendingPathComponent("report.html") }

    /// Opens `output` for `configuration`: a folder holding a demo of another configuration is refused (its
    /// finished stages would not match), naming the first difference. Opening an interrupted demo removes the
    /// temporary files that a killed atomic write left anywhere under `output`.
    public init(configuration: DemoConfiguration, output: URL, report: @escaping @Sendable (String) -> Void = { _ in }) throws {
        try configuration.validate()
        (self.configuration, self.output, self.report) = (configuration, output, report)
        let url = output.appendingPathComponent(Self.stateFile)
        if FileManager.default.fileExists(atPath: url.path) {
            let saved: State
            do { saved = try JSONDecoder().decode(State.self, from: Data(contentsOf: url)) } catch {
                throw DemoError.file(path: url.path, reason: "not a demo state file (\(readableDescription(of: error)))")
            }
            guard saved.configuration == configuration else {
                throw DemoError.file(path: url.path, reason: "this folder holds a demo of another configuration (\(Self.difference(saved.configuration, configuration))); "
                                       + "use another --output or --fresh")
            }
            state = saved
            // Resuming: what a killed atomic write left anywhere in the demo's folder goes first.
            for name in try removeStaleTemporaryFiles(in: output, includingSubfolders: true) {
                report("removed \(name), a temporary file left by an interrupted write")
            }
        } else {
            state = State(configuration: configuration)
        }
    }

    /// The first top-level key where two configurations differ.
    static func difference(_ a: DemoConfiguration, _ b: DemoConfiguration) -> String {
        if a.budgetMinutes != b.budgetMinutes { return "budget \(a.budgetMinutes) vs \(b.budgetMinutes) minutes" }
        if a.dataset != b.dataset { return "dataset options" }
        if a.sen != b.sen { return "SEN configuration" }
        if a.gan != b.gan { return "RDG configuration" }
        return "demo options"
    }

    func saveState() throws {
        try createFolder(output)
        try writeFileAtomically(try JSONEncoder.sorted.encode(state), to: output.appendingPathComponent(Self.stateFile))
    }

    /// Runs every unfinished stage (or those up to `last`) and returns the evaluation, when that stage has run.
    @discardableResult
    public func run(through last: Stage = .report) throws -> DemoEvaluation? {
        try createFolder(output)
        try saveState()
        let stages = Stage.allCases.prefix { $0 != last } + [last]
        for (number, stage) in stages.enumerated() {
            let prefix = "[\(number + 1)/\(Stage.allCases.count)] \(stage.title)"
            if let done = state.stages[stage.rawValue] {
                report("\(prefix): done earlier (\(Self.duration(done.seconds)))")
                continue
            }
            let resumed = state.started.contains(stage.rawValue)
            report(prefix + (resumed ? " (resuming)" : ""))
            if !resumed {
                state.started.append(stage.rawValue)
                try saveState()
            }
            let started = Date()
            stageStart = started
            try run(stage)
            let seconds = Date().timeIntervalSince(started)
            state.stages[stage.rawValue] = StageRecord(seconds: seconds, resumed: resumed)
            try saveState()
            report("\(prefix): finished in \(Self.duration(seconds)); \(Self.duration(state.seconds)) of the \(Self.duration(configuration.budgetMinutes * 60)) budget used")
        }
        return state.finished(.evaluate) ? try DemoEvaluation.read(from: evaluationFile) : nil
    }

    func run(_ stage: Stage) throws {
        switch stage {
        case .dataset: try buildDataset()
        case .sen: try trainSEN()
        case .embeddings: try extractEmbeddings()
        case .gan: try trainGAN()
        case .generate: try generate()
        case .evaluate: try evaluate()
        case .report: try DemoReport.write(pipeline: self)
        }
    }

    /// "1 min 05 s" or "42.0 s".
    public static func duration(_ seconds: Double) -> String {
        seconds < 60 ? String(format: "%.1f s", seconds) : String(format: "%d min %02d s", Int(seconds) / 60, Int(seconds) % 60)
    }

    // MARK: - Stages

    func buildDataset() throws {
        let progress = ProgressReporter(lines: report)
        let summary = try SpokenFlowers.build(configuration.dataset, root: dataRoot, workers: configuration.workers) { stage, done, total in
            progress.report("  \(stage.rawValue)", done, total)
        }
        report("  \(summary.trainImages) train / \(summary.testImages) test images, \(summary.captionsSpoken + summary.captionsKept) spoken captions")
    }

    func trainSEN() throws {
        let trainer = try SENTrainer(configuration: configuration.sen, root: dataRoot, output: senFolder) { [report] in report("  " + $0) }
        let checkpoint = senFolder.appendingPathComponent(SENTrainer.checkpointFile)
        let result = try trainer.run(resume: FileManager.default.fileExists(atPath: checkpoint.path))
        state.sen = SENSummary(metricName: result.metricName, bestMetric: result.bestMetric, bestEpoch: result.bestEpoch, chance: result.chance)
        try saveState()
    }

    func extractEmbeddings() throws {
        let encoder = try SpeechEncoder.load(from: senFolder)
        let progress = ProgressReporter(lines: report)
        try SpeechEmbeddings.extractSplits(encoder: encoder, kind: .spokenFlowers, root: dataRoot, folder: senFolder, workers: configuration.workers) {
            progress.report("  \($0.rawValue) captions", $1, $2)
        }
    }

    /// The RDG's configuration with the chosen epochs.
    func ganConfiguration(_ plan: DemoConfiguration.GANPlan) -> RDGTrainingConfiguration {
        var c = configuration.gan
        (c.epochs, c.stageStartEpochs) = (plan.epochs, plan.stageStartEpochs)
        return c
    }

    func trainGAN() throws {
        let checkpoint = ganFolder.appendingPathComponent(RDGTrainer.checkpointFile)
        func trainer(_ plan: DemoConfiguration.GANPlan) throws -> RDGTrainer {
            try RDGTrainer(configuration: ganConfiguration(plan), root: dataRoot, embeddings: senFolder, senRun: senFolder,
                           inceptionWeights: nil, output: ganFolder) { [report] in report("  " + $0) }
        }
        if state.ganPlan == nil {
            // Time an iteration of each phase on this machine, then let the budget decide.
            let stages = configuration.gan.architecture.stages
            let probe = try trainer(DemoConfiguration.GANPlan(epochs: configuration.ganMaximumEpochs, stageStartEpochs: nil))
            let phases = configuration.stageShares == nil ? [stages] : Array(1...stages)
            let iterations = Double(configuration.gan.iterationsPerEpoch(images: probe.trainSet.count))
            var epochSeconds = [Double](repeating: 0, count: stages)
            for k in phases {
                epochSeconds[k - 1] = try probe.secondsPerIteration(stages: k) * iterations * Self.epochOverhead
            }
            let used = state.seconds + Date().timeIntervalSince(stageStart)
            let left = configuration.budgetMinutes * 60 - configuration.reserveSeconds - used
            let plan = configuration.ganPlan(secondsLeft: left, epochSeconds: epochSeconds)
            state.ganPlan = plan
            try saveState()
            let timing = phases.map { String(format: "%.1f s with %d stage%@", epochSeconds[$0 - 1], $0, $0 == 1 ? "" : "s") }.joined(separator: ", ")
            report("  an epoch takes about \(timing); \(Self.duration(max(0, left))) of the budget left: \(Self.describe(plan))")
        }
        let plan = state.ganPlan ?? DemoConfiguration.GANPlan(epochs: configuration.ganMinimumEpochs, stageStartEpochs: nil)
        _ = try trainer(plan).run(resume: FileManager.default.fileExists(atPath: checkpoint.path))
    }

    /// A margin on the timed iterations for what else an epoch does (data loading beside training, snapshots).
    /// In the default run of `Docs/results.md` the epochs took 0.94–1.07 × their timed iterations (1.15 for
    /// the last, which saves the models), and the RDG used 652 s of the 674 s it planned.
    static let epochOverhead = 1.1

    /// "29 epochs with 1 stage training, 1 epoch with 2 stages training, 9 epochs with 3 stages training".
    static func describe(_ plan: DemoConfiguration.GANPlan) -> String {
        let phases = plan.phaseEpochs
        guard phases.count > 1 else { return "\(plan.epochs) epochs of every stage" }
        return phases.enumerated().map { k, n in "\(n) epoch\(n == 1 ? "" : "s") with \(k + 1) stage\(k == 0 ? "" : "s") training" }
            .joined(separator: ", ")
    }

    /// The generator the demo evaluates: the last saved `netG_<epoch>`.
    public func generatorFile() throws -> URL {
        try Self.latestGenerator(in: ganFolder.appendingPathComponent("models"))
    }

    /// The `netG_<N>.safetensors` (or `.pth`) with the largest N in `folder`.
    public static func latestGenerator(in folder: URL) throws -> URL {
        try RDGGeneration.generatorFiles(in: folder).last!.url
    }

    func generate() throws {
        let test = try SpokenImageDataset.open(kind: .spokenFlowers, root: dataRoot, split: .test)
        let embeddings = try SpeechEmbeddings.read(split: DatasetSplit.test.rawValue, in: senFolder)
        let generator = try Generator.load(from: try generatorFile())
        let progress = ProgressReporter(lines: report)
        let count = try RDGGeneration.generateSplit(generator: generator, keys: test.items.map(\.key), embeddings: embeddings,
                                                    folder: generatedFolder, deterministic: true, stages: .all, dropLast: false) {
            progress.report("  images", $0, $1)
        }
        report("  \(count) images for \(test.count) test images")
    }

    func evaluate() throws {
        let evaluation = try DemoEvaluation.compute(pipeline: self)
        try evaluation.write(to: evaluationFile)
        for line in evaluation.summaryLines() { report("  " + line) }
    }
}
