import ArgumentParser
import S2IGANDatasets
import S2IGANDistributed
import Foundation
import S2IGANGAN
import S2IGANSEN
import S2IGANTensor
import S2IGANFormats
import S2IGANVision

struct GANCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gan",
        abstract: "The relation-supervised densely stacked GAN: train it (step 03), generate images (step 04), score images, debug one step.",
        subcommands: [GANTrain.self, GANGenerate.self, GANScore.self, GANStep.self]
    )
}

struct GANTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the RDG on a dataset's speech embeddings (the reference's step 03).",
        discussion: """
        The defaults are the reference's for the dataset (Configs/gan/<dataset>.yml spells them out: 3 stages, widths 64,
        batch 24, 600 epochs); --config reads a YAML file over them (nested keys such as architecture.stages too) and the
        options below override both. --embeddings is the folder of `s2igan sen extract` (speech_embeddings_train.safetensors,
        or the reference's .pickle); --sen is the SEN run whose image encoder the relation supervisor uses (Inception
        encoders need the torchvision weights: --inception-weights, or else the file the SEN run's config.yml names). The output folder gets config.yml, log.jsonl, log.txt, images/ (snapshot grids),
        models/netG_<epoch>.safetensors, netD<i>.safetensors, netMD.safetensors and checkpoint.safetensors (after every
        epoch); --resume continues exactly, optimiser states included. --init-from starts a new run from trained weights: the
        reference's Model/ folder (netG_<N>.pth, netD0-2.pth, netMD.pth) or ours (netG_<N>.safetensors, …), the newest N unless
        --init-epoch says; the optimisers start fresh, as the reference's own resume does, and training starts at epoch N+1.
        Given a run folder of ours with a checkpoint, its optimisers and moving average come too.
        """
    )

    @Option(help: "cub, oxford, flickr8k, places or spoken-flowers.", transform: datasetKind) var dataset: DatasetKind
    @Option(help: "Dataset root.") var root: String
    @Option(help: "Folder with speech_embeddings_train.safetensors (or .pickle).") var embeddings: String
    @Option(help: "The SEN run (its image encoder embeds images for the relation supervisor).") var sen: String?
    @Option(help: "Output folder.") var output: String
    @Option(help: "YAML configuration read over the dataset's defaults.") var config: String?
    @Option(help: "Epochs to run.") var epochs: Int?
    @Option(help: "Batch size.") var batchSize: Int?
    @Option(help: "Generator stages (1–3).") var stages: Int?
    @Option(help: "torchvision Inception-v3 weights (.pth or .safetensors), for Inception SEN image encoders (default: the SEN run's).") var inceptionWeights: String?
    @Option(help: "Background threads preparing batches.") var workers: Int?
    @Option(help: "Stop after this many epochs in this call (resume later).") var stopAfter: Int?
    @Flag(help: "Continue the run in --output from its checkpoint (refused when there is none).") var resume = false
    @Option(help: "Start from trained weights: a folder of netG_<N>, netD<i>, netMD (.pth or .safetensors), or a run folder.") var initFrom: String?
    @Option(help: "With --init-from: the epoch N of the netG_<N> to start from (default: the newest).") var initEpoch: Int?
    @OptionGroup var dataParallel: DataParallelOptions

    func validate() throws {
        if resume && initFrom != nil { throw ValidationError("--init-from starts a new run and --resume continues one: give one of them") }
        if initEpoch != nil && initFrom == nil { throw ValidationError("--init-epoch needs --init-from") }
    }

    func run() throws {
        let kind = dataset
        var c = RDGTrainingConfiguration.defaults(for: kind)
        if let config { c = try RDGTrainingConfiguration.load(file: URL(fileURLWithPath: config), base: c) }
        c.dataset = kind.rawValue
        if let epochs { c.epochs = epochs }
        if let batchSize { c.batchSize = batchSize }
        if let stages { c.architecture.stages = stages }
        if let workers { c.workers = workers }
        let started = Date()
        let job = try dataParallel.start(configuration: try c.yaml() + "\n" + CommandLine.arguments.dropFirst().joined(separator: " "))
        try onEveryRank(job?.group) {
            let root = job?.group.isRoot ?? true
            let say: (String) -> Void = { if root { print($0) } }
            let trainer = try RDGTrainer(configuration: c, root: URL(fileURLWithPath: self.root), embeddings: URL(fileURLWithPath: embeddings),
                                         senRun: sen.map { URL(fileURLWithPath: $0) }, inceptionWeights: inceptionWeights.map { URL(fileURLWithPath: $0) },
                                         output: URL(fileURLWithPath: output), initFrom: initFrom.map { URL(fileURLWithPath: $0) },
                                         initEpoch: initEpoch, parallel: job?.parallel, report: say)
            let perEpoch = c.iterationsPerEpoch(images: trainer.trainSet.count)
            let ranks = job.map { " over \($0.group.size) ranks (\(c.batchSize / $0.group.size) images each\($0.parallel.synchroniseBatchNorm ? ", SyncBatchNorm" : ""))" } ?? ""
            say("RDG on \(kind): \(trainer.trainSet.count) train images, \(c.architecture.stages) stages (\(c.architecture.imageSizes.map(String.init).joined(separator: "/")) px), batch \(c.batchSize)\(ranks), \(perEpoch) iterations × \(c.epochs) epochs")
            let records = try trainer.run(resume: resume, stopAfter: stopAfter)
            say(String(format: "%d epochs in %.1f s; models in %@/models", records.count, Date().timeIntervalSince(started), output))
        }
    }
}

struct GANGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate images with a trained generator (the reference's step 04).",
        discussion: """
        For a split (--root, --dataset, --embeddings FOLDER): the reference's evaluation images, <key>_<size>_sentence<i>.png
        for every caption, batches of --batch-size (7; the last incomplete batch is dropped as the reference does unless
        --keep-last), one noise batch per image batch, seed 100. --model is a netG_<N>.safetensors / .pth file or a folder of
        them: each file netG_<N> (in order of N; --first-epoch / --last-epoch choose a range, as the reference's 100 ≤ N ≤ 600)
        is written to --output/epoch<N>. For given embeddings (--embeddings FILE.npy, [N, D]): one
        image per row, noise from --noise FILE.npy ([N, z]) or drawn from --seed, written as <index>_<size>.png.
        --deterministic conditions on μ instead of sampling the conditioning noise.
        """
    )

    @Option(help: "netG_<N>.safetensors/.pth, or a folder of them (models/ of a gan train run).") var model: String
    @Option(help: "Folder with speech_embeddings_<split>.safetensors, or an .npy of embeddings [N, D].") var embeddings: String
    @Option(help: "Output folder.") var output: String
    @Option(help: "Dataset kind (for a split).", transform: datasetKind) var dataset: DatasetKind?
    @Option(help: "Dataset root (for a split).") var root: String?
    @Option(help: "The split (with --dataset and --root).") var split = DatasetSplit.test
    @Option(help: "Noise .npy [N, z] for --embeddings FILE.npy.") var noise: String?
    @Option(help: "Images per batch.") var batchSize = 7
    @Option(help: "Seed.") var seed: UInt64 = 100
    @Flag(help: "Condition on μ (no conditioning noise).") var deterministic = false
    @Flag(help: "Write every stage's images, not only the last.") var allStages = false
    @Flag(help: "Also generate the last incomplete batch.") var keepLast = false
    @Option(help: "With a folder of generators: the first epoch N of netG_<N> to use.") var firstEpoch = 0
    @Option(help: "With a folder of generators: the last epoch N of netG_<N> to use.") var lastEpoch = Int.max
    @Flag(help: "Split the image batches of a split over the ranks of an MPI job (mpirun -np N s2igan gan generate … --distributed).")
    var distributed = false

    func validate() throws {
        guard firstEpoch <= lastEpoch else { throw ValidationError("--first-epoch \(firstEpoch) is after --last-epoch \(lastEpoch)") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        if distributed && embeddings.hasSuffix(".npy") { throw ValidationError("--distributed splits a dataset split; for --embeddings FILE.npy run one process") }
    }

    func run() throws {
        let outputURL = URL(fileURLWithPath: output)
        let generators = try RDGGeneration.generators(at: URL(fileURLWithPath: model), epochs: firstEpoch...lastEpoch)
        let stages: RDGGeneration.Stages = allStages ? .all : .last
        if embeddings.hasSuffix(".npy") {
            for (epoch, url) in generators {
                let folder = RDGGeneration.outputFolder(outputURL, epoch: epoch)
                let rows = try RDGGeneration.generateRows(generatorFile: url, embeddingsFile: URL(fileURLWithPath: embeddings),
                                                           noiseFile: noise.map { URL(fileURLWithPath: $0) }, folder: folder, seed: seed,
                                                           deterministic: deterministic, stages: stages)
                print("\(url.lastPathComponent): \(rows) images in \(folder.path)")
            }
            return
        }
        guard let dataset, let root else {
            throw ValidationError("a split needs --dataset and --root (or give --embeddings FILE.npy)")
        }
        let data = try SpokenImageDataset.open(kind: dataset, root: URL(fileURLWithPath: root), split: split)
        let e = try SpeechEmbeddings.read(split: split.rawValue, in: URL(fileURLWithPath: embeddings))
        guard e.count == data.count else {
            throw CommandError.file(path: embeddings, reason: "holds embeddings of \(e.count) images, the \(split) split has \(data.count)")
        }
        let group = distributed ? try ProcessGroup.world() : nil
        try onEveryRank(group) {
            for (epoch, url) in generators {
                let folder = RDGGeneration.outputFolder(outputURL, epoch: epoch)
                let started = Date()
                var count = [Int64(try RDGGeneration.generateSplit(generatorFile: url, keys: data.items.map(\.key), embeddings: e,
                                                                    embeddingsSource: URL(fileURLWithPath: embeddings), folder: folder, batchSize: batchSize,
                                                                    seed: seed, deterministic: deterministic, stages: stages, dropLast: !keepLast,
                                                                    shard: group?.shard ?? .whole))]
                try group?.allReduce(&count)
                if group?.isRoot ?? true {
                    print(String(format: "%@: %d images in %@ (%.1f s)", url.lastPathComponent, count[0], folder.path, Date().timeIntervalSince(started)))
                }
            }
        }
    }
}

/// The RDG settings of `gan step`: the dataset's defaults, a YAML file over them.
private func stepConfiguration(dataset: DatasetKind, config: String?) throws -> RDGTrainingConfiguration {
    var c = RDGTrainingConfiguration.defaults(for: dataset)
    if let config { c = try RDGTrainingConfiguration.load(file: URL(fileURLWithPath: config), base: c) }
    return c
}

/// The relation embedder of a SEN run, for networks with a relation supervisor.
private func relationEmbedder(sen: String?, inceptionWeights: String?, projection: RDGTrainingConfiguration.RelationProjection = .sen) throws -> RelationEmbedder? {
    try sen.map {
        RelationEmbedder(encoder: try SENModel.loadImageEncoder(fromRun: URL(fileURLWithPath: $0), inceptionWeights: inceptionWeights.map { URL(fileURLWithPath: $0) },
                                                                randomProjection: projection == .random))
    }
}

struct GANScore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "What trained discriminators and relation supervisor say about given images and embeddings.",
        discussion: """
        --model is a folder of weights as for `gan train --init-from` (the reference's Model/ or ours). --images is a folder of
        images (sorted by path; each resized to 256 and down to 128 and 64) and --embeddings an .npy [N, D], one row per image.
        Prints per image each discriminator's conditional probability (conditioned on the CA's μ of the embedding) and
        unconditional probability; with --sen (the SEN run whose image encoder the relation supervisor reads), also the
        supervisor's four relation logits for (image, --pairs image), or (image, image) without --pairs. Every network runs
        in evaluation mode. --json writes the numbers.
        """
    )

    @Option(help: "Folder of RDG weights (netG_<N>, netD<i>, netMD).") var model: String
    @Option(help: "Folder of images.") var images: String
    @Option(help: "Speech embeddings .npy [N, D], one row per image.") var embeddings: String
    @Option(help: "Folder of images paired with --images for the relation supervisor (same count and order).") var pairs: String?
    @Option(help: "The SEN run whose image encoder embeds images for the relation supervisor.") var sen: String?
    @Option(help: "torchvision Inception-v3 weights, for Inception SEN image encoders.") var inceptionWeights: String?
    @Option(help: "The epoch N of the netG_<N> whose conditioning is used (default: the newest).") var epoch: Int?
    @Option(help: "Write the scores as JSON to this file.") var json: String?

    func validate() throws {
        if pairs != nil && sen == nil { throw ValidationError("--pairs are scored by the relation supervisor, which needs --sen") }
    }

    func run() throws {
        let weights = try RDGModelFolder(URL(fileURLWithPath: model), epoch: epoch)
        let networks = try weights.networks()
        let sizes = networks.generator.architecture.imageSizes
        let files = try ImageFeatureExtractor.imageFiles(in: URL(fileURLWithPath: images))
        let e = try NPY.readTensor(URL(fileURLWithPath: embeddings))
        let width = networks.generator.architecture.speechEmbeddingSize
        guard e.rank == 2, e.shape[0] == files.count, e.shape[1] == width else {
            throw CommandError.file(path: embeddings, reason: "holds \(e.shape) embeddings; \(images) has \(files.count) images and the generator reads \(width)-d embeddings")
        }
        var paired: Tensor?
        if let pairs {
            let other = try ImageFeatureExtractor.imageFiles(in: URL(fileURLWithPath: pairs))
            guard other.count == files.count else { throw CommandError.file(path: pairs, reason: "holds \(other.count) images, \(images) \(files.count)") }
            paired = try RDGScoring.pyramids(of: other, sizes: [sizes[sizes.count - 1]])[0]
        }
        let scores = try RDGScoring.score(networks, images: RDGScoring.pyramids(of: files, sizes: sizes), embeddings: e,
                                          embedder: networks.relation == nil ? nil : relationEmbedder(sen: sen, inceptionWeights: inceptionWeights), pairs: paired)
        print("\(weights.generator.lastPathComponent), " + weights.discriminators.prefix(sizes.count).map(\.lastPathComponent).joined(separator: ", ")
              + (scores.relation == nil ? "" : ", \(weights.relation!.lastPathComponent)"))
        var header = "image" + sizes.map { "  D\($0)c    D\($0)u   " }.joined()
        if scores.relation != nil { header += "  RS logits (identical, similar, wrong, unused)" }
        print(header)
        let base = URL(fileURLWithPath: images).standardizedFileURL.path
        for (k, file) in files.enumerated() {
            var line = file.standardizedFileURL.path.replacingOccurrences(of: base + "/", with: "")
            for i in sizes.indices { line += String(format: "  %.4f  %.4f", scores.conditional[i][k], scores.unconditional[i][k]) }
            if let relation = scores.relation { line += "  " + relation[k].map { String(format: "%8.4f", $0) }.joined(separator: " ") }
            print(line)
        }
        if let json { try writeFileAtomically(try JSONEncoder.sorted.encode(scores), to: URL(fileURLWithPath: json)) }
    }
}

struct GANStep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step",
        abstract: "Run exactly one RDG training iteration on given weights and a given batch, and dump everything it computed.",
        discussion: """
        For comparing one iteration with the reference's trainer.py. --model is a folder of weights as for `gan train
        --init-from`; the optimisers start fresh (as the reference's resume does). --batch is one safetensors file: real.<i> and
        wrong.<i> [B, 3, S, S] for S = 64, 128, 256 (U8 pixels or floats in [-1, 1]), similar [B, 3, 256, 256], embeddings
        [B, D], noise [B, z] (the generator's z) and epsilon [B, c] (the conditioning noise). The loss settings are the
        dataset's defaults (--dataset; the (I, I) pair for cub and oxford only) or --config's. --dump gets step.json (every
        loss term before its coefficient, every parameter's gradient norm at its optimiser's step), losses.json and the
        weights after the step: netG.safetensors, netG_average.safetensors (the moving average), netD<i>.safetensors,
        netMD.safetensors. With a netMD in --model the relation supervisor needs --sen, or --no-relation to leave it out.
        """
    )

    @Option(help: "Folder of RDG weights (netG_<N>, netD<i>, netMD).") var model: String
    @Option(help: "The batch: a safetensors file (see above).") var batch: String
    @Option(help: "Output folder.") var dump: String
    @Option(help: "Dataset whose training defaults set the losses.", transform: datasetKind) var dataset: DatasetKind = .cub
    @Option(help: "YAML configuration read over the dataset's defaults (losses, learning rates, betas).") var config: String?
    @Option(help: "The SEN run whose image encoder embeds images for the relation supervisor.") var sen: String?
    @Option(help: "torchvision Inception-v3 weights, for Inception SEN image encoders.") var inceptionWeights: String?
    @Option(help: "The epoch N of the netG_<N> to use (default: the newest).") var epoch: Int?
    @Flag(help: "Leave the relation supervisor out (MD_LOSS 0).") var noRelation = false

    func run() throws {
        var c = try stepConfiguration(dataset: dataset, config: config)
        let weights = try RDGModelFolder(URL(fileURLWithPath: model), epoch: epoch)
        let networks = try weights.networks()
        if noRelation { c.losses.relation = 0 }
        var embedder: RelationEmbedder?
        if c.losses.relation > 0 {
            guard networks.relation != nil else {
                throw CommandError.file(path: model, reason: "holds no netMD.pth or .safetensors for the relation supervisor (give --no-relation to leave it out)")
            }
            guard sen != nil else { throw ValidationError("the relation supervisor embeds images with a SEN's image encoder: give --sen, or --no-relation") }
            embedder = try relationEmbedder(sen: sen, inceptionWeights: inceptionWeights, projection: c.relationProjection)
        }
        let step = try RDGTrainingStep(generator: networks.generator, discriminators: networks.discriminators,
                                       relationSupervisor: c.losses.relation > 0 ? networks.relation : nil, embedder: embedder, losses: c.losses,
                                       learningRate: c.generatorLearningRate, discriminatorLearningRate: c.discriminatorLearningRate,
                                       betas: (c.betas[0], c.betas[1]), averageDecay: c.averageDecay ?? 0.999)
        let inputs = try RDGStepDump.readInputs(URL(fileURLWithPath: batch), architecture: networks.generator.architecture)
        let trace = try RDGStepDump.run(step, inputs: inputs, output: URL(fileURLWithPath: dump))
        for (i, d) in trace.discriminators.enumerated() { print(String(format: "errD%d %.6f", i, d.total)) }
        if let rs = trace.relation { print(String(format: "errMD %.6f", rs.total)) }
        if let g = trace.generator { print(String(format: "errG_total %.6f (KL %.6f)", g.total, g.kl)) }
        print("dumped to \(dump)")
    }
}
