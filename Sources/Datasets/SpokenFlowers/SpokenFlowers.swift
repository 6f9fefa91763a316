import S2IGANAudio
import Foundation
import S2IGANTensor
import S2IGANVision
import S2IGANFormats

/// The sizes and seed of a spoken-flowers dataset.
public struct SpokenFlowersOptions: Sendable, Equatable, Codable {
    /// Petal colour × petal count classes (3…28).
    public var classes = 20
    public var imagesPerClass = 24
    public var captionsPerImage = 5
    /// Side of the square JPEG images.
    public var imageSize = 256
    public var seed: UInt64 = 0
    /// The share of classes held out for the test split.
    public var testFraction = 0.2
    /// espeak-ng voices the captions are spoken with (each with a random male or female variant).
    public var voices = VoicePalette.english.voices

    public init() {}

    enum CodingKeys: String, CodingKey {
        case classes, imagesPerClass = "images_per_class", captionsPerImage = "captions_per_image", imageSize = "image_size"
        case seed, testFraction = "test_fraction", voices
    }

    func validated() throws -> SpokenFlowersOptions {
        guard imagesPerClass >= 1, imagesPerClass <= 10_000 else {
            throw DatasetError.invalidOption("spoken-flowers: --images-per-class must be in 1…10000, got \(imagesPerClass)")
        }
        guard captionsPerImage >= 1, captionsPerImage <= 100 else {
            throw DatasetError.invalidOption("spoken-flowers: --captions-per-image must be in 1…100, got \(captionsPerImage)")
        }
        guard imageSize >= 16, imageSize <= 2048 else {
            throw DatasetError.invalidOption("spoken-flowers: --size must be in 16…2048, got \(imageSize)")
        }
        guard !voices.isEmpty else { throw DatasetError.invalidOption("spoken-flowers: no voices given") }
        return self
    }
}

/// The built-in dataset: procedurally drawn flowers with spoken captions, written in the Oxford-102 layout
/// (`Oxford102/images/class_XXXXX/image_XXXXX.jpg`, `Oxford102/audio/<class>/<image>/<n>.wav`,
/// `Oxford102/audio_mel/<class>/<image>.npy`, `train|test/filenames.pickle` and `class_info.pickle`), so every
/// reader, loader and trainer runs on it unchanged. The caption texts are kept in
/// `Oxford102/text_c10/<class>/<image>.txt` (Reed et al.'s layout), the speech manifest in
/// `Oxford102/audio/manifest.jsonl` and every image's attributes in `spoken-flowers.json`, written last.
///
/// The images and texts are a function of the options alone. The audio is byte-identical between runs with
/// the same espeak-ng version (espeak-ng is deterministic); another version may speak differently.
public enum SpokenFlowers {
    /// One picture of the dataset.
    public struct Image: Sendable, Equatable, Codable {
        /// `class_00001/image_00001`.
        public var key: String
        public var split: DatasetSplit
        public var flower: Flower
        public var captions: [String]
    }

    /// What a dataset holds, before anything is written.
    public struct Plan: Sendable {
        public var options: SpokenFlowersOptions
        public var classes: [FlowerClass]
        public var images: [Image]
    }

    /// The record of a finished dataset (`spoken-flowers.json` at the root).
    public struct Manifest: Sendable, Codable {
        public var format: String
        public var options: SpokenFlowersOptions
        /// The speech engine and version.
        public var engine: String
        public var classes: [FlowerClass]
        public var images: [Image]
    }

    /// The stages ``build(_:root:workers:progress:)`` reports progress for.
    public enum Stage: String, Sendable {
        case images, speech, features
    }

    /// What a build did.
    public struct Summary: Sendable {
        public var trainImages: Int
        public var testImages: Int
        public var trainClasses: Int
        public var testClasses: Int
        public var captionsSpoken: Int
        public var captionsKept: Int
        public var imagesDrawn: Int
    }

    public static let manifestName = "spoken-flowers.json"
    static let pendingName = ".spoken-flowers-pending.json"
    static let format = "s2igan spoken-flowers 1"

    /// The classes, images, attributes and caption texts of a dataset: a pure function of the options.
    public static func plan(_ options: SpokenFlowersOptions) throws -> Plan {
        let options = try options.validated()
        let classes = try FlowerDesign.classes(count: options.classes, testFraction: options.testFraction)
        var images: [Image] = []
        images.reserveCapacity(classes.count * options.imagesPerClass)
        for flowerClass in classes {
            for _ in 0..<options.imagesPerClass {
                let number = images.count + 1
                var rng = RandomStreams.generator(seed: options.seed, epoch: 1, index: number)
                let flower = FlowerDesign.flower(of: flowerClass, using: &rng)
                let captions = FlowerDesign.captions(of: flower, count: options.captionsPerImage, using: &rng)
                images.append(Image(key: flowerClass.folder + String(format: "/image_%05d", number), split: flowerClass.split,
                                    flower: flower, captions: captions))
            }
        }
        return Plan(options: options, classes: classes, images: images)
    }

    /// Reads the manifest of a finished dataset.
    public static func readManifest(root: URL) throws -> Manifest {
        let url = root.appendingPathComponent(manifestName)
        do {
            return try JSONDecoder().decode(Manifest.self, from: Data(readFileBytes(url)))
        } catch let error as any S2IGANError {
            throw error
        } catch {
            throw DatasetError.file(path: url.path, reason: "not a spoken-flowers manifest (\(readableDescription(of: error)))")
        }
    }

    /// Writes (or completes) the dataset under `root`. A run that was interrupted is completed by running it
    /// again with the same options: finished images and speech are kept, and the split files and manifest,
    /// which make the dataset look complete, are written only at the end.
    /// - Throws: if espeak-ng is missing, `root` holds other data (another dataset, or spoken-flowers made
    ///   with other options), or a caption cannot be spoken.
    public static func build(_ options: SpokenFlowersOptions, root: URL, workers: Int = Parallel.coreCount,
                             progress: @escaping @Sendable (Stage, Int, Int) -> Void = { _, _, _ in }) throws -> Summary {
        let plan = try plan(options)
        let speaker = CaptionSpeaker(synthesizer: SpeechSynthesizer(engine: .espeakNG),
                                     palette: VoicePalette(voices: plan.options.voices, variants: VoicePalette.english.variants),
                                     seed: plan.options.seed)
        let engine = try speaker.synthesizer.check()
        try claim(root, options: plan.options)

        let data = root.appendingPathComponent("Oxford102")
        let drawn = try drawImages(plan, data: data, workers: workers) { progress(.images, $0, $1) }
        let captions = plan.images.flatMap { image in
            image.captions.enumerated().map { CaptionSpeaker.Caption(key: image.key, index: $0.offset, text: $0.element) }
        }
        let report = try speaker.run(captions, root: root, layout: .oxford, workers: workers) { stage, done, total in
            progress(stage == .speaking ? .speech : .features, done, total)
        }
        if !report.failures.isEmpty {
            let listed = report.failures.prefix(5).map(\.description).joined(separator: "; ")
            throw DatasetError.file(path: root.path, reason: "spoken-flowers: \(report.failures.count) caption(s) failed: \(listed)")
        }

        for split in DatasetSplit.allCases {
            let images = plan.images.filter { $0.split == split }
            let folder = root.appendingPathComponent(split.rawValue)
            try createFolder(folder)
            try PickleWriter.write(.list(images.map { .string($0.key) }), to: folder.appendingPathComponent("filenames.pickle"))
            try PickleWriter.write(.list(images.map { .int(Int64($0.flower.classID)) }), to: folder.appendingPathComponent("class_info.pickle"))
        }
        let manifest = Manifest(format: format, options: plan.options, engine: engine, classes: plan.classes, images: plan.images)
        try writeFileAtomically(encode(manifest), to: root.appendingPathComponent(manifestName))
        try? FileManager.default.removeItem(at: root.appendingPathComponent(pendingName))
        let test = plan.images.filter { $0.split == .test }.count
        return Summary(trainImages: plan.images.count - test, testImages: test,
                       trainClasses: plan.classes.filter { $0.split == .train }.count,
                       testClasses: plan.classes.filter { $0.split == .test }.count,
                       captionsSpoken: report.written, captionsKept: report.skipped, imagesDrawn: drawn)
    }

    /// Makes sure `root` is empty, an unfinished build with the same options, or a finished one with them,
    /// and records the options of this build.
    static func claim(_ root: URL, options: SpokenFlowersOptions) throws {
        let fm = FileManager.default
        var known = false
        for name in [manifestName, pendingName] {
            let url = root.appendingPathComponent(name)
            guard fm.fileExists(atPath: url.path) else { continue }
            known = true
            let recorded: SpokenFlowersOptions?
            if name == manifestName {
                recorded = try? readManifest(root: root).options
            } else {
                recorded = try? JSONDecoder().decode(SpokenFlowersOptions.self, from: Data(readFileBytes(url)))
            }
            if recorded != options {
                throw DatasetError.file(path: root.path, reason:
                    "holds a spoken-flowers dataset made with other options (see \(name)); choose another --output or delete it")
            }
        }
        let others = (try? fm.contentsOfDirectory(atPath: root.path)) ?? []
        if !known && !others.filter({ !$0.hasPrefix(".") }).isEmpty {
            throw DatasetError.file(path: root.path, reason: "is not empty and holds no spoken-flowers dataset; choose an empty or new --output")
        }
        try createFolder(root)
        try writeFileAtomically(encode(options), to: root.appendingPathComponent(pendingName))
    }

    /// Draws every image not yet on disk and writes every caption text; returns the number drawn.
    static func drawImages(_ plan: Plan, data: URL, workers: Int, progress: @escaping @Sendable (Int, Int) -> Void) throws -> Int {
        let images = data.appendingPathComponent("images"), texts = data.appendingPathComponent("text_c10")
        for folder in Set(plan.images.map { $0.key.split(separator: "/")[0] }) {
            try createFolder(images.appendingPathComponent(String(folder)))
            try createFolder(texts.appendingPathComponent(String(folder)))
        }
        let outcome = DrawingOutcome()
        let size = plan.options.imageSize, total = plan.images.count
        Parallel.forEachItem(total, workers: workers) { i in
            let image = plan.images[i]
            do {
                let text = texts.appendingPathComponent(image.key + ".txt")
                let lines = Data((image.captions.joined(separator: "\n") + "\n").utf8)
                if (try? readFileBytes(text)).map({ Data($0) }) != lines { try writeFileAtomically(lines, to: text) }
                let jpeg = images.appendingPathComponent(image.key + ".jpg")
                if !FileManager.default.fileExists(atPath: jpeg.path) {
                    let picture = try FlowerRenderer.render(image.flower, size: size)
                    try writeFileAtomically(picture.encoded(as: .jpeg(quality: 92)), to: jpeg)
                    outcome.record(drawn: true, error: nil, total: total, progress: progress)
                } else {
                    outcome.record(drawn: false, error: nil, total: total, progress: progress)
                }
            } catch {
                outcome.record(drawn: false, error: error, total: total, progress: progress)
            }
        }
        if let error = outcome.firstError { throw error }
        return outcome.drawn
    }

    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}

/// Counts of the drawing stage, shared by its workers.
private final class DrawingOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var drawn = 0
    private var done = 0
    private(set) var firstError: Error?

    func record(drawn wasDrawn: Bool, error: Error?, total: Int, progress: (Int, Int) -> Void) {
        lock.lock()
        if wasDrawn { drawn += 1 }
        if firstError == nil, let error { firstError = error }
        done += 1
        let current = done
        lock.unlock()
        progress(current, total)
    }
}
