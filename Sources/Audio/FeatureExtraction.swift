import Foundation
import S2IGANDistributed
import S2IGANTensor
import S2IGANFormats

/// Turns spoken captions into the reference's feature files: for every output, the log-mel features of
/// its captions (in sorted file order) as one `.npy` object array, readable by the reference code.
///
/// Work is resumable and each output is written atomically. Beside every output `x.npy` a small
/// `x.npy.recipe.json` records the settings and the captions it was made from (the `.npy` itself must stay
/// what the reference reads); an output is skipped only when it holds one matrix per caption and its record
/// matches this run. One made with other settings, from other captions, or with no record (an interrupted
/// write, an older version) is recomputed, and the report counts it. A bad input (unreadable, empty, too
/// short) is reported and the rest go on.
public struct AudioFeatureExtractor: Sendable {
    /// One output file and the caption recordings it holds.
    public struct Group: Sendable, Equatable {
        public var output: URL
        public var inputs: [URL]
        public init(output: URL, inputs: [URL]) { (self.output, self.inputs) = (output, inputs) }
    }

    /// What a run did.
    public struct Report: Sendable {
        /// Outputs written; of those, `recomputed` replaced an output made with other settings or captions, or
        /// one with no record of them.
        public var written = 0, skipped = 0, recomputed = 0
        public var failures: [(output: URL, reason: String)] = []
    }

    /// The dataset layouts of the reference (`s2igan-spec.md` 1.2).
    public enum Layout: String, Sendable, CaseIterable {
        /// `CUB_200_2011/audio/<class>/<image>/<caption>.wav` → `CUB_200_2011/audio_mel/<class>/<image>.npy`
        case cub
        /// The same under `Oxford102/`.
        case oxford
        /// `flickr_audio/wavs/<key>_<n>.wav` → `flickr_audio/mel/<key>.npy` (captions grouped by key)
        case flickr8k
        /// `audio/wav/<key>.wav` → `audio/mel/<key>.npy` (one caption per key; keys may contain folders)
        case places
        /// `audio/<key>/<caption>.wav` → `audio_mel/<key>.npy` (any captioned images, as `s2igan dataset speak` writes them)
        case generic
    }

    public var recipe: LogMelRecipe

    public init(recipe: LogMelRecipe = LogMelRecipe()) { self.recipe = recipe }

    /// The groups of a dataset root in one of the reference layouts, sorted by output path.
    public static func plan(root: URL, layout: Layout) throws -> [Group] {
        let fm = FileManager.default
        func wavs(under dir: URL) throws -> [URL] {
            guard let e = fm.enumerator(at: dir, includingPropertiesForKeys: nil) else {
                throw AudioError.file(path: dir.path, reason: "cannot list the folder")
            }
            return e.compactMap { $0 as? URL }.filter { $0.pathExtension.lowercased() == "wav" }
                .sorted { $0.path < $1.path }
        }
        func relative(_ url: URL, to base: URL) -> String {
            String(url.standardizedFileURL.path.dropFirst(base.standardizedFileURL.path.count + 1))
        }
        let (audio, mel): (URL, URL)
        switch layout {
        case .cub, .oxford:
            let base = root.appendingPathComponent(layout == .cub ? "CUB_200_2011" : "Oxford102")
            (audio, mel) = (base.appendingPathComponent("audio"), base.appendingPathComponent("audio_mel"))
        case .flickr8k:
            (audio, mel) = (root.appendingPathComponent("flickr_audio/wavs"), root.appendingPathComponent("flickr_audio/mel"))
        case .places:
            (audio, mel) = (root.appendingPathComponent("audio/wav"), root.appendingPathComponent("audio/mel"))
        case .generic:
            (audio, mel) = (root.appendingPathComponent("audio"), root.appendingPathComponent("audio_mel"))
        }
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: audio.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw AudioError.file(path: audio.path, reason: "no audio folder for the \(layout) layout")
        }
        var grouped: [String: [URL]] = [:]
        for wav in try wavs(under: audio) {
            let path = relative(wav, to: audio)
            let key: String
            switch layout {
            case .cub, .oxford, .generic:
                // <class>/<image>/<caption>.wav: the caption's folder names the output.
                let parts = path.split(separator: "/")
                guard parts.count >= (layout == .generic ? 2 : 3) else { continue }
                key = parts.dropLast().joined(separator: "/")
            case .flickr8k:
                let stem = (path as NSString).deletingPathExtension
                key = stem.range(of: "_", options: .backwards).map { String(stem[..<$0.lowerBound]) } ?? stem
            case .places:
                key = (path as NSString).deletingPathExtension
            }
            grouped[key, default: []].append(wav)
        }
        return grouped.sorted { $0.key < $1.key }.map { key, inputs in
            Group(output: mel.appendingPathComponent(key + ".npy"), inputs: inputs.sorted(by: captionOrder))
        }
    }

    /// Caption files in their numbered order (`2.wav` before `10.wav`), then other names by path.
    static func captionOrder(_ a: URL, _ b: URL) -> Bool {
        let x = Int(a.deletingPathExtension().lastPathComponent) ?? Int.max, y = Int(b.deletingPathExtension().lastPathComponent) ?? Int.max
        return (x, a.path) < (y, b.path)
    }

    /// The features of one recording, resampled to the recipe's rate when needed.
    public func features(of url: URL) throws -> Tensor {
        var signal = try AudioSignal.read(url)
        if signal.sampleRate != recipe.sampleRate { signal = try signal.resampled(to: recipe.sampleRate) }
        do {
            return try recipe.features(signal)
        } catch let error as any S2IGANError {
            throw AudioError.file(path: url.path, reason: "\(error)")
        }
    }

    /// What an output was made from: the recipe and the captions' file names, in order.
    public struct Record: Codable, Equatable, Sendable {
        public var recipe: LogMelRecipe
        public var captions: [String]
    }

    /// The record of `output`: `<output>.recipe.json`.
    public static func recordURL(of output: URL) -> URL { output.appendingPathExtension("recipe.json") }

    func record(of group: Group) -> Record { Record(recipe: recipe, captions: group.inputs.map(\.lastPathComponent)) }

    /// What a run does with an output.
    public enum State: Sendable, Equatable {
        /// Absent or incomplete: computed.
        case missing
        /// Complete and made by these settings from these captions: skipped.
        case current
        /// Complete but made with other settings or captions, or with no record of them: recomputed.
        case stale
    }

    /// Whether `group`'s output is missing, current (one matrix per caption and a matching record) or stale.
    public func state(of group: Group) -> State {
        guard FileManager.default.fileExists(atPath: group.output.path),
              let matrices = try? NPY.readMatrices(group.output), matrices.count == group.inputs.count else { return .missing }
        guard let data = try? Data(contentsOf: Self.recordURL(of: group.output)),
              let stored = try? JSONDecoder().decode(Record.self, from: data), stored == record(of: group) else { return .stale }
        return .current
    }

    /// Extracts every group, groups spread over the workers; `progress(done, total)` is called after each. With a
    /// `shard` of several ranks only the groups it owns (each output is its own file, so together the ranks write
    /// exactly what one process writes).
    public func run(_ groups: [Group], shard: Shard = .whole, progress: @Sendable (Int, Int) -> Void = { _, _ in }) -> Report {
        let groups = shard.indices(of: groups.count).map { groups[$0] }
        let lock = NSLock()
        var report = Report()
        var done = 0
        Parallel.forRanges(groups.count, cost: 1 << 20) { range in
            for group in groups[range] {
                var outcome: Result<Bool, Error>
                let state = state(of: group)
                if state == .current {
                    outcome = .success(false)
                } else {
                    outcome = Result {
                        let matrices = try group.inputs.map { try features(of: $0) }
                        try createFolder(group.output.deletingLastPathComponent())
                        // The features first, then their record: a run killed between the two leaves an output
                        // without a record, which the next run recomputes.
                        try NPY.writeMatrices(matrices, to: group.output)
                        try writeFileAtomically(try JSONEncoder.sorted.encode(record(of: group)), to: Self.recordURL(of: group.output))
                        return true
                    }
                }
                lock.lock()
                switch outcome {
                case .success(true):
                    report.written += 1
                    if state == .stale { report.recomputed += 1 }
                case .success(false): report.skipped += 1
                case .failure(let error): report.failures.append((group.output, readableDescription(of: error)))
                }
                done += 1
                let current = done
                lock.unlock()
                progress(current, groups.count)
            }
        }
        report.failures.sort { $0.output.path < $1.output.path }
        return report
    }
}
