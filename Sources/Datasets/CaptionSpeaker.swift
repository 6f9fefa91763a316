import S2IGANAudio
import Foundation
import S2IGANTensor
import S2IGANFormats

/// One spoken caption as recorded in a dataset's speech manifest (`audio/manifest.jsonl`, one JSON object
/// per line): what was said, by which engine and voice, so the audio can be audited or made again.
public struct SpokenCaptionRecord: Sendable, Equatable, Codable {
    /// The WAV file, relative to the audio folder (`class_00001/image_00001/0.wav`).
    public var wav: String
    public var key: String
    /// The caption's line number in its text file (0-based).
    public var caption: Int
    public var text: String
    /// `espeak-ng` or `command`.
    public var engine: String
    /// The engine's version (`espeak-ng 1.51`) or the command template.
    public var engineDetail: String
    public var voice: String
    public var wordsPerMinute: Int
    public var pitch: Int
    public var sampleRate: Int
    public var seed: UInt64
    /// Samples in the WAV file.
    public var samples: Int

    enum CodingKeys: String, CodingKey {
        case wav, key, caption, text, engine, engineDetail = "engine_detail", voice, wordsPerMinute = "words_per_minute", pitch
        case sampleRate = "sample_rate", seed, samples
    }

    /// Whether `other` asks for the same speech (everything but the sample count).
    func sameRequest(as other: SpokenCaptionRecord) -> Bool {
        var a = self, b = other
        (a.samples, b.samples) = (0, 0)
        return a == b
    }
}

/// Speaks text captions into the audio layout the feature extraction and loaders read — step 2 of the
/// original README, which synthesised CUB and Oxford-102 speech from the Reed et al. captions — and then
/// makes their log-mel features.
///
/// Each caption gets a voice, speed and pitch drawn from ``palette`` by a generator seeded with ``seed``,
/// the image key and the caption's number, so the same captions give the same settings on every run and
/// machine. Work is resumable: a WAV that exists and whose manifest entry asks for the same speech is kept.
/// Captions that are empty or that the engine fails on are reported and the rest go on.
public struct CaptionSpeaker: Sendable {
    /// Where the audio and features of a captioned dataset live under its root.
    public enum Layout: String, Sendable, CaseIterable {
        /// `CUB_200_2011/audio/<class>/<image>/<n>.wav`, features in `CUB_200_2011/audio_mel/`.
        case cub
        /// `Oxford102/audio/<class>/<image>/<n>.wav`, features in `Oxford102/audio_mel/`.
        case oxford
        /// `audio/<key>/<n>.wav`, features in `audio_mel/<key>.npy`, for any captioned images.
        case generic

        public func audioFolder(root: URL) -> URL {
            switch self {
            case .cub: return root.appendingPathComponent(DatasetKind.cub.audioPath)
            case .oxford: return root.appendingPathComponent(DatasetKind.oxford.audioPath)
            case .generic: return root.appendingPathComponent("audio")
            }
        }

        var featureLayout: AudioFeatureExtractor.Layout {
            switch self {
            case .cub: return .cub
            case .oxford: return .oxford
            case .generic: return .generic
            }
        }
    }

    /// Line `index` of the text file of image `key`.
    public struct Caption: Sendable, Equatable {
        public var key: String
        public var index: Int
        public var text: String

        public init(key: String, index: Int, text: String) { (self.key, self.index, self.text) = (key, index, text) }
    }

    /// A caption that could not be spoken, or a feature file that could not be made.
    public struct Failure: Sendable, Equatable, CustomStringConvertible {
        public var key: String
        /// The caption's number, or `nil` for a feature file.
        public var index: Int?
        public var reason: String

        public var description: String { "\(key)\(index.map { " caption \($0)" } ?? " features"): \(reason)" }
    }

    /// What a run did.
    public struct Report: Sendable {
        public var written = 0
        public var skipped = 0
        public var featuresWritten = 0
        public var failures: [Failure] = []
    }

    /// The stages a run reports progress for.
    public enum Stage: String, Sendable {
        case speaking, features
    }

    public var synthesizer: SpeechSynthesizer
    public var palette: VoicePalette
    public var seed: UInt64

    public init(synthesizer: SpeechSynthesizer = SpeechSynthesizer(), palette: VoicePalette = .english, seed: UInt64 = 0) {
        (self.synthesizer, self.palette, self.seed) = (synthesizer, palette, seed)
    }

    /// The manifest of an audio folder.
    public static func manifestFile(audioFolder: URL) -> URL { audioFolder.appendingPathComponent("manifest.jsonl") }

    /// The captions of a folder of `<key>.txt` files (nested folders allowed, as Reed et al.'s
    /// `text_c10/<class>/<image>.txt`): one caption per line, trailing blank lines dropped, sorted by key.
    /// - Throws: if the folder does not exist or holds no `.txt` file.
    public static func readCaptions(textFolder: URL) throws -> [Caption] {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: textFolder.path, isDirectory: &isDirectory), isDirectory.boolValue,
              let walker = fm.enumerator(at: textFolder, includingPropertiesForKeys: nil) else {
            throw DatasetError.file(path: textFolder.path, reason: "captions: no such folder")
        }
        let base = textFolder.standardizedFileURL.path + "/"
        let files = walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "txt" }
            .map { ($0, String(($0.standardizedFileURL.path as NSString).deletingPathExtension.dropFirst(base.count))) }
            .sorted { $0.1 < $1.1 }
        guard !files.isEmpty else { throw DatasetError.file(path: textFolder.path, reason: "captions: no .txt files") }
        var captions: [Caption] = []
        for (url, key) in files {
            let text = String(decoding: try readFileBytes(url), as: UTF8.self)
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            while lines.last?.isEmpty == true { lines.removeLast() }
            captions += lines.enumerated().map { Caption(key: key, index: $0.offset, text: $0.element) }
        }
        return captions
    }

    /// The voice settings of a caption: a function of ``seed``, its key and number only.
    public func settings(for caption: Caption) -> VoiceSettings {
        let hash = RandomStreams.fnv1a(caption.key.utf8)
        var rng = RandomStreams.generator(seed: seed, epoch: Int(truncatingIfNeeded: hash), index: caption.index)
        return palette.settings(using: &rng)
    }

    /// The WAV file of a caption.
    public static func wavFile(_ caption: Caption, audioFolder: URL) -> URL {
        audioFolder.appendingPathComponent(caption.key).appendingPathComponent("\(caption.index).wav")
    }

    /// Speaks `captions` into `layout`'s audio folder under `root`, keeps the manifest, then (with
    /// `features`) writes the log-mel features of every image whose audio is complete, remaking those whose
    /// captions were spoken anew. `progress(stage, done, total)` is called from worker threads.
    /// - Throws: only when the engine cannot run at all; failures of single captions are in the report.
    public func run(_ captions: [Caption], root: URL, layout: Layout, workers: Int = Parallel.coreCount, features: Bool = true,
                    recipe: LogMelRecipe = LogMelRecipe(),
                    progress: @escaping @Sendable (Stage, Int, Int) -> Void = { _, _, _ in }) throws -> Report {
        let audioFolder = layout.audioFolder(root: root)
        var report = try speak(captions, audioFolder: audioFolder, workers: workers) { progress(.speaking, $0, $1) }
        guard features else { return report }
        let failedKeys = Set(report.failures.map(\.key))
        let keys = Set(captions.map(\.key)).subtracting(failedKeys)
        let groups = try AudioFeatureExtractor.plan(root: root, layout: layout.featureLayout).filter { group in
            keys.contains(Self.key(ofFeatureFile: group.output, root: root, layout: layout))
        }
        let extracted = AudioFeatureExtractor(recipe: recipe).run(groups) { progress(.features, $0, $1) }
        report.featuresWritten = extracted.written
        report.failures += extracted.failures.map {
            Failure(key: Self.key(ofFeatureFile: $0.output, root: root, layout: layout), index: nil, reason: $0.reason)
        }
        return report
    }

    /// The features folder beside an audio folder (`…/audio_mel` next to `…/audio`).
    static func featureFolder(audioFolder: URL) -> URL {
        audioFolder.deletingLastPathComponent().appendingPathComponent("audio_mel")
    }

    static func key(ofFeatureFile url: URL, root: URL, layout: Layout) -> String {
        let mel = featureFolder(audioFolder: layout.audioFolder(root: root)).standardizedFileURL.path + "/"
        return String((url.standardizedFileURL.path as NSString).deletingPathExtension.dropFirst(mel.count))
    }

    /// Speaks the captions into `audioFolder` (without features); see ``run(_:root:layout:workers:features:recipe:progress:)``.
    public func speak(_ captions: [Caption], audioFolder: URL, workers: Int = Parallel.coreCount,
                      progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws -> Report {
        let engineDetail = try synthesizer.check()
        try createFolder(audioFolder)
        let manifestURL = Self.manifestFile(audioFolder: audioFolder)
        let previous = (try? Self.readManifest(manifestURL)) ?? []
        let state = SpeakingState(records: Dictionary(previous.map { ($0.wav, $0) }, uniquingKeysWith: { $1 }), manifest: manifestURL)
        let synthesizer = synthesizer, seed = seed, total = captions.count
        let requests = captions.map { caption -> SpokenCaptionRecord in
            let s = settings(for: caption)
            return SpokenCaptionRecord(wav: "\(caption.key)/\(caption.index).wav", key: caption.key, caption: caption.index,
                                       text: caption.text, engine: synthesizer.engine.name, engineDetail: engineDetail,
                                       voice: s.voice, wordsPerMinute: s.wordsPerMinute, pitch: s.pitch,
                                       sampleRate: synthesizer.sampleRate, seed: seed, samples: 0)
        }
        Parallel.forEachItem(total, workers: workers) { i in
            var request = requests[i]
            let url = audioFolder.appendingPathComponent(request.wav)
            if let old = state.record(request.wav), old.sameRequest(as: request), FileManager.default.fileExists(atPath: url.path) {
                state.finish(.skipped, total: total, progress: progress)
                return
            }
            do {
                let signal = try synthesizer.speak(request.text, settings: VoiceSettings(voice: request.voice,
                    wordsPerMinute: request.wordsPerMinute, pitch: request.pitch), to: url)
                request.samples = signal.samples.count
                state.finish(.written(request), total: total, progress: progress)
            } catch {
                state.finish(.failed(Failure(key: request.key, index: request.caption, reason: "\(readableDescription(of: error))")), total: total, progress: progress)
            }
        }
        // Features made from earlier audio of a caption spoken anew are stale.
        let melFolder = Self.featureFolder(audioFolder: audioFolder)
        for key in state.changedKeys() {
            try? FileManager.default.removeItem(at: melFolder.appendingPathComponent(key + ".npy"))
        }
        try state.saveManifest()
        return state.report()
    }

    /// Reads a speech manifest.
    public static func readManifest(_ url: URL) throws -> [SpokenCaptionRecord] {
        let text = String(decoding: try readFileBytes(url), as: UTF8.self)
        let decoder = JSONDecoder()
        return try text.split(whereSeparator: \.isNewline).enumerated().map { number, line in
            do {
                return try decoder.decode(SpokenCaptionRecord.self, from: Data(line.utf8))
            } catch {
                throw DatasetError.file(path: url.path, reason: "manifest line \(number + 1) is not a caption record")
            }
        }
    }
}

/// The shared state of a speaking run: records by WAV, counts, and a manifest saved every few seconds so
/// an interrupted run loses little.
private final class SpeakingState: @unchecked Sendable {
    enum Outcome {
        case skipped
        case written(SpokenCaptionRecord)
        case failed(CaptionSpeaker.Failure)
    }

    private let lock = NSLock()
    private var records: [String: SpokenCaptionRecord]
    private var result = CaptionSpeaker.Report()
    private var done = 0
    private var changed = Set<String>()
    private var lastSave = Date()
    private let manifest: URL

    init(records: [String: SpokenCaptionRecord], manifest: URL) { (self.records, self.manifest) = (records, manifest) }

    func record(_ wav: String) -> SpokenCaptionRecord? {
        lock.lock()
        defer { lock.unlock() }
        return records[wav]
    }

    func finish(_ outcome: Outcome, total: Int, progress: (Int, Int) -> Void) {
        lock.lock()
        switch outcome {
        case .skipped: result.skipped += 1
        case .written(let record):
            result.written += 1
            records[record.wav] = record
            changed.insert(record.key)
        case .failed(let failure): result.failures.append(failure)
        }
        done += 1
        let current = done
        if Date().timeIntervalSince(lastSave) > 2 {
            try? saveLocked()
            lastSave = Date()
        }
        lock.unlock()
        progress(current, total)
    }

    /// Keys with at least one caption spoken in this run.
    func changedKeys() -> Set<String> {
        lock.lock()
        defer { lock.unlock() }
        return changed
    }

    func saveManifest() throws {
        lock.lock()
        defer { lock.unlock() }
        try saveLocked()
    }

    private func saveLocked() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for (_, record) in records.sorted(by: { $0.key < $1.key }) {
            data += try encoder.encode(record)
            data.append(0x0A)
        }
        try writeFileAtomically(data, to: manifest)
    }

    func report() -> CaptionSpeaker.Report {
        lock.lock()
        defer { lock.unlock() }
        var r = result
        r.failures.sort { ($0.key, $0.index ?? -1) < ($1.key, $1.index ?? -1) }
        return r
    }
}
