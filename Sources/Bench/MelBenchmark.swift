import ArgumentParser
import Foundation
import S2IGANAudio
import S2IGANFormats
import S2IGANTensor

/// The audio front end: log-mel features of one 5 s utterance at 22 050 Hz, and a CUB-layout tree of 3 s wav
/// files read, featurised and written by ``AudioFeatureExtractor`` (as `s2igan features audio` runs it).
public struct MelBenchmark {
    /// wav files in the tree (10 captions per image folder); 0 skips the tree.
    public var files: Int
    public var timing: Timing

    public init(files: Int = 1000, timing: Timing = Timing()) throws {
        guard files >= 0 else { throw ValidationError("--files must not be negative, got \(files)") }
        (self.files, self.timing) = (files, timing)
    }

    /// A deterministic speech-like test signal: three partials under a 4 Hz envelope, plus a little noise.
    public static func signal(seconds: Double, rate: Int, seed: UInt64) -> [Float] {
        var rng = RandomGenerator(seed: seed)
        return (0..<Int(seconds * Double(rate))).map { i in
            let t = Double(i) / Double(rate)
            let envelope = 0.5 * (1 - cos(2 * Double.pi * 4 * t))
            let voice = 0.3 * sin(2 * Double.pi * 150 * t) + 0.2 * sin(2 * Double.pi * 300 * t) + 0.1 * sin(2 * Double.pi * 2500 * t)
            return Float(envelope * voice + 0.01 * rng.nextNormal())
        }
    }

    /// The "utterance_5s" record, then (with files) the "tree" record; the tree is written to and removed from
    /// the temporary folder. A file the extractor fails on is an error.
    public func run(_ emit: (BenchmarkRecord) -> Void) throws {
        let recipe = LogMelRecipe()
        let utterance = Self.signal(seconds: 5, rate: 22_050, seed: 1)
        let single = try timing.median { _ = try recipe.features(utterance) }
        var row = benchmarkContext()
        row.merge(["bench": "mel", "case": "utterance_5s", "ms_median": single.milliseconds, "iters": single.runs,
                   "realtime_factor": 5000 / single.milliseconds]) { $1 }
        emit(row)

        guard files > 0 else { return }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("s2igan-mel-bench-\(getpid())-\(UUID().uuidString)")
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
        if let failure = report.failures.first {
            throw AudioError.file(path: failure.output.path, reason: "bench tree: \(report.failures.count) failure(s), first: \(failure.reason)")
        }
        var tree = benchmarkContext()
        tree.merge(["bench": "mel", "case": "tree", "files": files, "seconds": seconds, "files_per_second": Double(files) / seconds]) { $1 }
        emit(tree)
    }
}
