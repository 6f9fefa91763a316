import ArgumentParser
import S2IGANDistributed
import S2IGANAudio
import Foundation
import S2IGANTensor
import S2IGANVision
import S2IGANFormats

struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compute features for datasets or files.",
        subcommands: [AudioFeatures.self, ImageFeatures.self]
    )
}

struct AudioFeatures: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audio",
        abstract: "Spoken captions → log-mel features (the reference's recipe: 40 Slaney mel bands, 25 ms / 10 ms at 22 050 Hz, log, per-utterance CMVN).",
        discussion: """
        With --dataset, every caption of a dataset root in the reference layout is processed and written
        where the reference reads it (e.g. CUB_200_2011/audio_mel/<class>/<image>.npy, all captions of an
        image in one object array). Otherwise each given wav becomes <output>/<name>.npy. Outputs that are
        already complete are skipped, so an interrupted run can simply be started again; each output is
        written atomically. Bad files are reported at the end and make the exit code 1.
        """
    )

    @Option(help: "Dataset layout of ROOT: \(AudioFeatureExtractor.Layout.allCases.map(\.rawValue).joined(separator: ", ")).")
    var dataset: AudioFeatureExtractor.Layout?

    @Option(help: "Output folder for individual files.")
    var output: String = "."

    @Option(help: "Sample rate the features are computed at (audio at other rates is resampled).")
    var sampleRate = 22_050

    @Flag(help: "Skip the per-utterance mean/variance normalisation.")
    var noCMVN = false

    @Argument(help: "A dataset root (with --dataset) or wav files.")
    var inputs: [String]

    @Flag(help: "Split the outputs over the ranks of an MPI job (mpirun -np N s2igan features audio … --distributed).")
    var distributed = false

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give a dataset root or wav files") }
        if dataset != nil {
            guard inputs.count == 1 else { throw ValidationError("--dataset takes exactly one root folder") }
        }
        guard LogMelRecipe.sampleRates.contains(sampleRate) else {
            throw ValidationError("--sample-rate must be between \(LogMelRecipe.sampleRates.lowerBound) and \(LogMelRecipe.sampleRates.upperBound) Hz, got \(sampleRate)")
        }
    }

    func run() throws {
        var recipe = LogMelRecipe()
        recipe.sampleRate = sampleRate
        recipe.cmvn = !noCMVN
        let extractor = AudioFeatureExtractor(recipe: recipe)
        let groups: [AudioFeatureExtractor.Group]
        if let dataset {
            groups = try AudioFeatureExtractor.plan(root: URL(fileURLWithPath: inputs[0]), layout: dataset)
        } else {
            let folder = URL(fileURLWithPath: output)
            groups = inputs.map { path in
                let url = URL(fileURLWithPath: path)
                return .init(output: folder.appendingPathComponent(url.deletingPathExtension().lastPathComponent + ".npy"), inputs: [url])
            }
        }
        let group = distributed ? try ProcessGroup.world() : nil
        try onEveryRank(group) {
            let report = extractor.run(groups, shard: group?.shard ?? .whole, progress: ProgressReporter.standardError().callback("features"))
            for failure in report.failures { FileHandle.standardError.write(Data("failed: \(failure.output.path): \(failure.reason)\n".utf8)) }
            var counts = [report.written, report.recomputed, report.skipped, report.failures.count].map(Int64.init)
            try group?.allReduce(&counts)
            if group?.isRoot ?? true {
                let recomputed = counts[1] > 0 ? " (\(counts[1]) recomputed: made with other settings or captions, or with no record of them)" : ""
                print("wrote \(counts[0])\(recomputed), skipped \(counts[2]) complete, failed \(counts[3]) of \(groups.count) output(s)")
            }
            if counts[3] > 0 { throw ExitCode(1) }
        }
    }
}

struct ImageFeatures: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Images → 2048-d Inception-v3 pooled features, one row per image (sorted paths), as an [N, 2048] float32 .npy.",
        discussion: """
        --backbone inception-v3 is torchvision's ImageNet network (weights inception_v3_google-0cc3c7bd.pth or the
        older -1a9a5a14.pth): S2IGAN's image encoder and its mAP / R@k features. fid-inception is pytorch-fid's FID
        network (pt_inception-2015-12-05-6726825d.pth). Images of any size are resized bilinearly to 299 × 299.
        The image paths, in row order, are written to <output>.txt. Unreadable images are listed at the end and
        make the exit code 1; the others are still written.
        """
    )

    @Option(help: "torchvision's ImageNet network or pytorch-fid's FID network.")
    var backbone = Backbone.inceptionV3

    @Option(help: "Weights file (.pth as torchvision / pytorch-fid publish them, or .safetensors).")
    var weights: String?

    @Flag(help: "Run with PyTorch's random initialisation instead of weights (for tests and timing only: the features mean nothing).")
    var randomWeights = false

    @Option(help: "Folder of .jpg/.jpeg/.png images (searched recursively).")
    var images: String

    @Option(help: "Output .npy file.")
    var output: String

    @Option(help: "Input range given to the network: unit ([0, 1], the reference's mAP / R@k scripts) or signed ([−1, 1], its image encoder).")
    var range = PixelRange.unit

    @Option(help: "Images per batch.")
    var batchSize = 50

    @Flag(help: "Split the images over the ranks of an MPI job (mpirun -np N s2igan features image … --distributed); rank 0 writes.")
    var distributed = false

    func run() throws {
        let variant = backbone.variant
        let model = try InceptionV3(variant: variant)
        if let weights {
            try model.load(weights: URL(fileURLWithPath: weights))
        } else if !randomWeights {
            let file = variant == .torchvision ? "inception_v3_google-0cc3c7bd.pth (torchvision)" : "pt_inception-2015-12-05-6726825d.pth (pytorch-fid)"
            throw ValidationError("features image needs real Inception weights: pass --weights \(file); --random-weights only for timing")
        }
        let extractor = try ImageFeatureExtractor(model: model, range: range, batchSize: batchSize)
        let files = try ImageFeatureExtractor.imageFiles(in: URL(fileURLWithPath: images))
        guard !files.isEmpty else { throw ValidationError("no .jpg/.jpeg/.png images under '\(images)'") }
        let group = distributed ? try ProcessGroup.world() : nil
        try onEveryRank(group) { try extract(files, with: extractor, group: group) }
    }

    func extract(_ files: [URL], with extractor: ImageFeatureExtractor, group: ProcessGroup?) throws {
        let progress = ProgressReporter.standardError().callback("images")
        let result = try group.map { try extractor.features(of: files, group: $0, progress: progress) } ?? extractor.features(of: files, progress: progress)
        for (_, reason) in result.failures { FileHandle.standardError.write(Data("failed: \(reason)\n".utf8)) }
        var failures = [Int64(result.failures.count)]
        try group?.allReduce(&failures)
        guard group?.isRoot ?? true else {
            if failures[0] > 0 { throw ExitCode(1) }
            return
        }
        guard !result.used.isEmpty else {
            // Nothing to write: an empty feature file would look like a finished run.
            throw CommandError.file(path: images, reason: "none of the \(files.count) image(s) could be read (first: \(result.failures.first?.1 ?? "unknown"))")
        }
        let outputURL = URL(fileURLWithPath: output)
        try NPY.write(result.features, to: outputURL)
        let list = result.used.map(\.path).joined(separator: "\n") + "\n"
        try writeFileAtomically(Data(list.utf8), to: outputURL.deletingPathExtension().appendingPathExtension("txt"))
        FileHandle.standardError.write(Data("wrote \(result.used.count) × \(InceptionV3.featureWidth) features to \(output)\n".utf8))
        if failures[0] > 0 { throw ExitCode(1) }
    }
}
