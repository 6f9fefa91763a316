import ArgumentParser
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
        let report = extractor.run(groups, progress: ProgressReporter.standardError().callback("features"))
        let recomputed = report.recomputed > 0 ? " (\(report.recomputed) recomputed: made with other settings or captions, or with no record of them)" : ""
        print("wrote \(report.written)\(recomputed), skipped \(report.skipped) complete, failed \(report.failures.count) of \(groups.count) output(s)")
        if !report.failures.isEmpty {
            for failure in report.failures { FileHandle.standardError.write(Data("failed: \(failure.output.path): \(failure.reason)\n".utf8)) }
            throw ExitCode(1)
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
        let result = try extractor.features(of: files, progress: ProgressReporter.standardError().callback("images"))
        guard !result.used.isEmpty else {
            // Nothing to write: an empty feature file would look like a finished run.
            throw CommandError.file(path: images, reason: "none of the \(files.count) image(s) could be read (first: \(result.failures.first?.1 ?? "unknown"))")
        }
        let outputURL = URL(fileURLWithPath: output)
        try NPY.write(result.features, to: outputURL)
        let list = result.used.map(\.path).joined(separator: "\n") + "\n"
        try writeFileAtomically(Data(list.utf8), to: outputURL.deletingPathExtension().appendingPathExtension("txt"))
        FileHandle.standardError.write(Data("wrote \(result.used.count) × \(InceptionV3.featureWidth) features to \(output)\n".utf8))
        guard result.failures.isEmpty else {
            for (_, reason) in result.failures { FileHandle.standardError.write(Data("failed: \(reason)\n".utf8)) }
            throw ExitCode(1)
        }
    }
}
