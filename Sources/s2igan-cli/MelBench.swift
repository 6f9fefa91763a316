import ArgumentParser
import S2IGANAudio
import Foundation
import S2IGANTensor
import S2IGANFormats

/// The audio front end: one utterance, and a tree of wav files end to end.
struct MelBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mel",
        abstract: "Log-mel features: a 5 s utterance at 22 050 Hz (ms per utterance), and a tree of wav files read, featurised and written (files per second)."
    )

    @OptionGroup var options: BenchOptions
    @Option(help: "Number of wav files in the tree (3 s each, 10 captions per image folder).") var files = 1000

    /// A deterministic speech-like test signal: three partials under a 4 Hz envelope, plus a little noise.
    static func signal(seconds: Double, rate: Int, seed: UInt64) -> [Float] {
        var rng = RandomGenerator(seed: seed)
        return (0..<Int(seconds * Double(rate))).map { i in
            let t = Double(i) / Double(rate)
            let envelope = 0.5 * (1 - cos(2 * Double.pi * 4 * t))
            let voice = 0.3 * sin(2 * Double.pi * 150 * t) + 0.2 * sin(2 * Double.pi * 300 * t) + 0.1 * sin(2 * Double.pi * 2500 * t)
            return Float(envelope * voice + 0.01 * rng.nextNormal())
        }
    }

    func run() throws {
        options.apply()
        let recipe = LogMelRecipe()
        let utterance = Self.signal(seconds: 5, rate: 22_050, seed: 1)
        let single = try options.timing.median { _ = try recipe.features(utterance) }
        var row = options.context
        row.merge(["bench": "mel", "case": "utterance_5s", "ms_median": single.milliseconds, "iters": single.runs,
                   "realtime_factor": 5000 / single.milliseconds]) { $1 }
        printJSON(row)

        guard files > 0 else { return }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("s2igan-mel-bench-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        for i in 0..<files {
            let folder = root.appendingPathComponent("CUB_200_2011/audio/001.Bench/image_\(i / 10)")
            try createFolder(folder)
            try AudioSignal(samples: Self.signal(seconds: 3, rate: 22_050, seed: UInt64(i)), sampleRate: 22_050)
                .write(to: folder.appendingPathComponent("caption_\(i % 10).wav"))
        }
        let groups = try AudioFeatureExtractor.plan(root: root, layout: .cub)
        let start = DispatchTime.now().uptimeNanoseconds
        let report = AudioFeatureExtractor(recipe: recipe).run(groups)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard report.failures.isEmpty else { throw ValidationError("bench tree: \(report.failures.count) failures") }
        var tree = options.context
        tree.merge(["bench": "mel", "case": "tree", "files": files, "seconds": seconds, "files_per_second": Double(files) / seconds]) { $1 }
        printJSON(tree)
    }
}
