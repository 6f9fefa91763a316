import ArgumentParser
import S2IGANDatasets
import S2IGANDistributed
import Foundation
import S2IGANSEN
import S2IGANTensor
import S2IGANFormats

struct SENCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sen",
        abstract: "The speech embedding network: train it (step 01), extract embeddings (step 02), embed recordings.",
        subcommands: [SENTrain.self, SENExtract.self, SENEmbed.self, SENStep.self]
    )
}

struct SENTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the speech and image encoders jointly (the reference's step 01).",
        discussion: """
        The defaults are the reference's for the dataset (Configs/sen/<dataset>.yml spells them out); --config reads a
        YAML file over them and the options below override both. cub/oxford/flickr8k/places use the frozen Inception-v3
        trunk, which needs --inception-weights (torchvision's inception_v3_google-0cc3c7bd.pth, or the older -1a9a5a14.pth); spoken-flowers trains
        a small convolutional image encoder from scratch. The output folder gets config.yml, log.jsonl, log.txt,
        checkpoint.safetensors (after every epoch) and models/best_{audio,image,class}_model.safetensors. Epochs are
        numbered from 0. An interrupted run (or one stopped with --stop-after) continues with --resume and ends exactly
        as an uninterrupted one.
        """
    )

    @Option(help: "cub, oxford, flickr8k, places or spoken-flowers.", transform: datasetKind) var dataset: DatasetKind
    @Option(help: "Dataset root.") var root: String
    @Option(help: "Output folder.") var output: String
    @Option(help: "YAML configuration read over the dataset's defaults.") var config: String?
    @Option(help: "Epochs to run.") var epochs: Int?
    @Option(help: "Batch size.") var batchSize: Int?
    @Option(name: .customLong("lr"), help: "Base learning rate.") var learningRate: Float?
    @Option(help: "Validate every N epochs.") var validateEvery: Int?
    @Option(help: "Seed.") var seed: UInt64?
    @Option(help: "The image encoder.") var imageEncoder: SENTrainingConfiguration.ImageEncoderKind?
    @Option(help: "Cached augmented views per image (0: augment at every visit).") var imageViews: Int?
    @Option(help: "Crops of the validation images (random: the reference).") var validationImages: SENTrainingConfiguration.ValidationImages?
    @Option(help: "torchvision Inception-v3 weights (.pth or .safetensors).") var inceptionWeights: String?
    @Option(help: "Background threads preparing batches.") var workers: Int?
    @Option(help: "Stop after this many epochs in this call (resume later).") var stopAfter: Int?
    @Flag(help: "Continue the run in --output from its checkpoint (refused when there is none).") var resume = false
    @OptionGroup var dataParallel: DataParallelOptions

    func run() throws {
        let kind = dataset
        var c = SENTrainingConfiguration.defaults(for: kind)
        if let config { c = try SENTrainingConfiguration.load(file: URL(fileURLWithPath: config), base: c) }
        c.dataset = kind.rawValue
        if let epochs { c.epochs = epochs }
        if let batchSize { c.batchSize = batchSize }
        if let learningRate { c.learningRate = learningRate }
        if let validateEvery { c.validateEvery = validateEvery }
        if let seed { c.seed = seed }
        if let imageEncoder { c.imageEncoder = imageEncoder }
        if let imageViews { c.imageViews = imageViews }
        if let validationImages { c.validationImages = validationImages }
        if let inceptionWeights { c.inceptionWeights = inceptionWeights }
        if let workers { c.workers = workers }
        let started = Date()
        let job = try dataParallel.start(configuration: try c.yaml() + "\n" + CommandLine.arguments.dropFirst().joined(separator: " "))
        try onEveryRank(job?.group) {
            let root = job?.group.isRoot ?? true
            let say: (String) -> Void = { if root { print($0) } }
            let trainer = try SENTrainer(configuration: c, root: URL(fileURLWithPath: self.root), output: URL(fileURLWithPath: output),
                                         parallel: job?.parallel, report: say)
            let ranks = job.map { " over \($0.group.size) ranks (\(c.batchSize / $0.group.size) pairs each\($0.parallel.synchroniseBatchNorm ? ", SyncBatchNorm" : ""))" } ?? ""
            say("SEN on \(kind): \(trainer.trainSet.count) train / \(trainer.testSet.count) test images, batch \(c.batchSize)\(ranks), \(c.epochs) epochs")
            let result = try trainer.run(resume: resume, stopAfter: stopAfter)
            let best = result.bestMetric.map { String(format: "%.4f at epoch %d", $0, result.bestEpoch ?? 0) } ?? "none (no validation ran)"
            say("best \(result.metricName): \(best); chance \(String(format: "%.4f", result.chance)); "
                + "\(String(format: "%.1f", Date().timeIntervalSince(started))) s; models in \(output)/models")
        }
    }
}

struct SENExtract: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Embed every caption of both splits (the reference's step 02).",
        discussion: """
        Writes speech_embeddings_train.pickle and speech_embeddings_test.pickle (a list of float32 (captions, D) arrays
        per image in filenames.pickle order, protocol 3: the reference's GAN code reads them) and the same as
        speech_embeddings_<split>.safetensors (tensors "0", "1", ..., image keys in the metadata). --model is a
        sen train output folder, the reference's outputs/pre_train/<ds> folder, or a best_audio_model file
        (.safetensors or the reference's .pth).
        """
    )

    @Option(help: "cub, oxford, flickr8k, places or spoken-flowers.", transform: datasetKind) var dataset: DatasetKind
    @Option(help: "Dataset root.") var root: String
    @Option(help: "Trained speech encoder: folder or file.") var model: String
    @Option(help: "Output folder.") var output: String
    @Option(help: "Parallel threads.") var jobs: Int?
    @Flag(help: "Split the images over the ranks of an MPI job (mpirun -np N s2igan sen extract … --distributed); rank 0 writes the files.")
    var distributed = false

    func run() throws {
        let group = distributed ? try ProcessGroup.world() : nil
        try onEveryRank(group) { try extract(group: group) }
    }

    func extract(group: ProcessGroup?) throws {
        let encoder = try SpeechEncoder.load(from: URL(fileURLWithPath: model))
        let progress = ProgressReporter.standardError()
        let root = group?.isRoot ?? true
        let started = Date()
        let summary = try SpeechEmbeddings.extractSplits(encoder: encoder, kind: dataset, root: URL(fileURLWithPath: self.root), folder: URL(fileURLWithPath: output),
                                                         workers: jobs ?? Parallel.coreCount, group: group) { split, done, total in
            if root { progress.report("\(split.rawValue) embeddings", done, total) }
        }
        guard root else { return }
        for s in summary {
            if s.captionCounts.count > 1 { print("warning: \(s.split.rawValue) images have different caption counts \(s.captionCounts)") }
            print("\(s.split.rawValue): \(s.images) images, \(s.captions) captions")
        }
        print(String(format: "both splits in %.1f s", Date().timeIntervalSince(started)))
    }
}

struct SENEmbed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed recordings or log-mel feature files with a trained speech encoder into an (N, D) .npy file.",
        discussion: """
        --wav files are read in any format libsndfile knows, resampled to 22 050 Hz and turned into the reference's
        log-mel features; --mel files are .npy feature files (every caption in them, in order). Rows follow the
        order of the arguments (--wav first). --model is as for sen extract.
        """
    )

    @Option(help: "Trained speech encoder: folder or file.") var model: String
    @Option(parsing: .upToNextOption, help: "Recordings.") var wav: [String] = []
    @Option(parsing: .upToNextOption, help: "Log-mel feature files (.npy).") var mel: [String] = []
    @Option(help: "Output .npy file.") var output: String

    func run() throws {
        guard !wav.isEmpty || !mel.isEmpty else { throw ValidationError("give --wav or --mel files") }
        let encoder = try SpeechEncoder.load(from: URL(fileURLWithPath: model))
        let embeddings = try SpeechEmbeddings.embed(encoder: encoder, recordings: wav.map { URL(fileURLWithPath: $0) },
                                                    featureFiles: mel.map { URL(fileURLWithPath: $0) })
        try NPY.write(embeddings, to: URL(fileURLWithPath: output))
        print("wrote \(embeddings.shape[0]) embeddings of \(embeddings.shape[1]) to \(output)")
    }
}

struct SENStep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step",
        abstract: "Run exactly one SEN training iteration on given weights and a given batch, and dump everything it computed.",
        discussion: """
        For comparing one iteration with the reference's steps/pre_traintest.py. --model is a SEN run folder: ours \
        (models/best_*_model.safetensors) or the reference's (best_audio_model.pth, best_image_model.pth, \
        best_class_model.pth). The settings are the dataset's defaults (--dataset), then the run's config.yml if it has \
        one, then --config; the optimiser starts fresh. --batch is one safetensors file: captions [B, T, mel], lengths \
        [B], image_inputs ([B, 2048] Inception features, or [B, 3, S, S] pixels in [-1, 1] for the convolutional \
        encoder), class_ids [B] and, with the distinctive loss, labels [B]. --dump gets step.json (loss0, loss1, the two \
        classifier terms, the total, every parameter's gradient norm) and the weights after the step. To reproduce \
        the reference's padded batches exactly, set speech_encoder.attention_over_padding: true.
        """
    )

    @Option(help: "SEN run folder (ours or the reference's outputs/pre_train/<ds>).") var model: String
    @Option(help: "The batch: a safetensors file (see above).") var batch: String
    @Option(help: "Output folder.") var dump: String
    @Option(help: "Dataset whose training defaults apply.", transform: datasetKind) var dataset: DatasetKind = .cub
    @Option(help: "YAML configuration read over the defaults (and the run's config.yml).") var config: String?

    func run() throws {
        let folder = URL(fileURLWithPath: model)
        var c = SENTrainingConfiguration.defaults(for: dataset)
        let own = folder.appendingPathComponent("config.yml")
        if FileManager.default.fileExists(atPath: own.path) { c = try SENTrainingConfiguration.load(file: own, base: c) }
        if let config { c = try SENTrainingConfiguration.load(file: URL(fileURLWithPath: config), base: c) }
        let sen = try SENModel.load(fromRun: folder, configuration: c)
        let step = try SENTrainingStep(model: sen, configuration: c)
        let inputs = try SENStepDump.readInputs(URL(fileURLWithPath: batch), model: sen)
        let trace = try SENStepDump.run(step, inputs: inputs, output: URL(fileURLWithPath: dump))
        print(String(format: "loss0 %.6f  loss1 %.6f", trace.imageToSpeech, trace.speechToImage)
              + (trace.imageClass.map { String(format: "  class %.6f + %.6f", $0, trace.speechClass ?? 0) } ?? "")
              + String(format: "  total %.6f", trace.total))
        print("dumped to \(dump)")
    }
}
