import ArgumentParser
import Audio
import Foundation
import Tensor

struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compute features for datasets or files.",
        subcommands: [AudioFeatures.self]
    )
}

/// Progress on stderr: a rewritten line on a terminal, a line every 10 % otherwise.
struct Progress: Sendable {
    let label: String
    let terminal = isatty(STDERR_FILENO) == 1

    func report(_ done: Int, _ total: Int) {
        let step = Swift.max(1, total / 10)
        if terminal {
            FileHandle.standardError.write(Data("\r\(label) \(done)/\(total)\(done == total ? "\n" : "")".utf8))
        } else if done % step == 0 || done == total {
            FileHandle.standardError.write(Data("\(label) \(done)/\(total)\n".utf8))
        }
    }
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
    var dataset: String?

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
        if let dataset {
            guard AudioFeatureExtractor.Layout(rawValue: dataset) != nil else { throw ValidationError("unknown --dataset '\(dataset)'") }
            guard inputs.count == 1 else { throw ValidationError("--dataset takes exactly one root folder") }
        }
        guard sampleRate > 0 else { throw ValidationError("--sample-rate must be positive") }
    }

    func run() throws {
        var recipe = LogMelRecipe()
        recipe.sampleRate = sampleRate
        recipe.cmvn = !noCMVN
        let extractor = AudioFeatureExtractor(recipe: recipe)
        let groups: [AudioFeatureExtractor.Group]
        if let dataset, let layout = AudioFeatureExtractor.Layout(rawValue: dataset) {
            groups = try AudioFeatureExtractor.plan(root: URL(fileURLWithPath: inputs[0]), layout: layout)
        } else {
            let folder = URL(fileURLWithPath: output)
            groups = inputs.map { path in
                let url = URL(fileURLWithPath: path)
                return .init(output: folder.appendingPathComponent(url.deletingPathExtension().lastPathComponent + ".npy"), inputs: [url])
            }
        }
        let progress = Progress(label: "features")
        let report = extractor.run(groups) { progress.report($0, $1) }
        print("wrote \(report.written), skipped \(report.skipped) complete, failed \(report.failures.count) of \(groups.count) output(s)")
        if !report.failures.isEmpty {
            for failure in report.failures { FileHandle.standardError.write(Data("failed: \(failure.output.path): \(failure.reason)\n".utf8)) }
            throw ExitCode(1)
        }
    }
}
