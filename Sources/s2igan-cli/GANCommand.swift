import ArgumentParser
import S2IGANDatasets
import Foundation
import S2IGANGAN
import S2IGANSEN
import S2IGANTensor

struct GANCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gan",
        abstract: "The relation-supervised densely stacked GAN: train it (step 03) and generate images (step 04).",
        subcommands: [GANTrain.self, GANGenerate.self]
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
        epoch); --resume continues exactly, optimiser states included.
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
        let trainer = try RDGTrainer(configuration: c, root: URL(fileURLWithPath: root), embeddings: URL(fileURLWithPath: embeddings),
                                     senRun: sen.map { URL(fileURLWithPath: $0) }, inceptionWeights: inceptionWeights.map { URL(fileURLWithPath: $0) },
                                     output: URL(fileURLWithPath: output)) { print($0) }
        let perEpoch = c.iterationsPerEpoch(images: trainer.trainSet.count)
        print("RDG on \(kind): \(trainer.trainSet.count) train images, \(c.architecture.stages) stages (\(c.architecture.imageSizes.map(String.init).joined(separator: "/")) px), batch \(c.batchSize), \(perEpoch) iterations × \(c.epochs) epochs")
        let records = try trainer.run(resume: resume, stopAfter: stopAfter)
        print(String(format: "%d epochs in %.1f s; models in %@/models", records.count, Date().timeIntervalSince(started), output))
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

    func validate() throws {
        guard firstEpoch <= lastEpoch else { throw ValidationError("--first-epoch \(firstEpoch) is after --last-epoch \(lastEpoch)") }
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
        for (epoch, url) in generators {
            let folder = RDGGeneration.outputFolder(outputURL, epoch: epoch)
            let started = Date()
            let count = try RDGGeneration.generateSplit(generatorFile: url, keys: data.items.map(\.key), embeddings: e,
                                                        embeddingsSource: URL(fileURLWithPath: embeddings), folder: folder, batchSize: batchSize,
                                                        seed: seed, deterministic: deterministic, stages: stages, dropLast: !keepLast)
            print(String(format: "%@: %d images in %@ (%.1f s)", url.lastPathComponent, count, folder.path, Date().timeIntervalSince(started)))
        }
    }
}
