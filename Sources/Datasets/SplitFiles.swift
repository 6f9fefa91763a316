import Foundation
import S2IGANTensor
import S2IGANFormats

/// Writes the split files the authors' downloads used to provide (`train|test/filenames.pickle`, and
/// `class_info.pickle` for CUB and Oxford), readable by the reference code.
public enum SplitFiles {
    /// The 50 test classes of the StackGAN CUB split (the reference specification, section 1.3).
    public static let cubTestClasses: Set<Int> = [
        1, 4, 6, 8, 9, 14, 23, 29, 31, 33, 34, 35, 36, 37, 38, 43, 49, 51, 53, 66, 72, 79, 83, 84, 86, 91, 95, 96, 98,
        101, 102, 103, 112, 114, 119, 121, 130, 135, 138, 147, 156, 163, 165, 166, 180, 183, 185, 186, 187, 197,
    ]
    /// Oxford-102's test classes: `class_00001` … `class_00020`, the classes of the reference's flower
    /// evaluation list (82 train / 20 test).
    public static let oxfordTestClasses = Set(1...20)

    /// What was written and where its split came from.
    public struct Summary: Sendable {
        public var train: Int
        public var test: Int
        public var source: String
        /// Copies of the files that `force` replaced (``backupURL(for:date:)``), holding their old bytes.
        public var backups: [URL] = []
    }

    /// The split files of `kind` under `root`: `train|test/filenames.pickle`, and `class_info.pickle` for the
    /// datasets with classes.
    public static func files(kind: DatasetKind, root: URL) -> [URL] {
        DatasetSplit.allCases.flatMap { split in
            let folder = root.appendingPathComponent(split.rawValue)
            return [folder.appendingPathComponent("filenames.pickle")] + (kind.hasClasses ? [folder.appendingPathComponent("class_info.pickle")] : [])
        }
    }

    /// Where `force` keeps a split file's old bytes: `<name>.bak-<yyyyMMdd-HHmmss>` beside it (UTC), with `-2`,
    /// `-3`, … appended when that name is taken, so an earlier backup (the authors' file) is never replaced.
    public static func backupURL(for file: URL, date: Date = Date()) -> URL {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let base = file.path + ".bak-" + formatter.string(from: date)
        var candidate = base, n = 1
        while FileManager.default.fileExists(atPath: candidate) {
            n += 1
            candidate = base + "-\(n)"
        }
        return URL(fileURLWithPath: candidate)
    }

    /// Writes the split files of `kind` under `root`. Places is split at random (`testFraction`, `seed`).
    ///
    /// With `testKeys` (a list file, ``NameList``: the reference's `filenames.pickle` or evaluation list, or a text
    /// file of keys) any dataset's test split is the listed images that are present, in the list's order, and its
    /// train split every other image present; for Places this rebuilds the authors' test set from
    /// `evaluation/places/filenames_Gen_image_places.pickle`.
    ///
    /// Split files that exist (the authors' downloads, or an earlier run) are never replaced unless `force` is set;
    /// without it the call throws naming them and writes nothing. With `force` each one is first copied to
    /// ``backupURL(for:date:)`` (listed in ``Summary/backups``).
    public static func write(kind: DatasetKind, root: URL, testFraction: Double = 0.2, seed: UInt64 = 0, testKeys: URL? = nil,
                             force: Bool = false) throws -> Summary {
        guard kind != .spokenFlowers else {
            throw DatasetError.invalidOption("splits: spoken-flowers writes its own split files (s2igan dataset synth)")
        }
        let existing = files(kind: kind, root: root).filter { FileManager.default.fileExists(atPath: $0.path) }
        if !force, let first = existing.first {
            let others = existing.count > 1 ? " (as do \(existing.count - 1) more split files)" : ""
            throw DatasetError.file(path: first.path, reason: "already exists\(others) and is kept; to replace the split files use --force (the old ones are kept as <name>.bak-<date>)")
        }
        let images = root.appendingPathComponent(kind.imagesPath)
        let keys = try imageKeys(images)
        guard !keys.isEmpty else { throw DatasetError.file(path: images.path, reason: "no .jpg images found") }
        var train: [String] = [], test: [String] = []
        let source: String
        switch (kind, testKeys) {
        case (let kind, let file?) where kind != .spokenFlowers:
            let listed = try NameList.read(file, what: "test keys")
            let present = Set(keys)
            var seen = Set<String>()
            test = listed.filter { present.contains($0) && seen.insert($0).inserted }
            guard !test.isEmpty else {
                throw DatasetError.file(path: file.path, reason: "none of its \(listed.count) keys is an image under \(images.path) (keys are paths without extension, e.g. \(keys[0]))")
            }
            train = keys.filter { !seen.contains($0) }
            let missing = Set(listed).count - test.count
            source = "the \(test.count) keys of \(file.path) present" + (missing > 0 ? " (\(missing) listed keys have no image)" : "")
        case (.cub, _), (.oxford, _):
            let testClasses = kind == .cub ? cubTestClasses : oxfordTestClasses
            for key in keys {
                if testClasses.contains(try classID(of: key, kind: kind)) { test.append(key) } else { train.append(key) }
            }
            source = kind == .cub
                ? "the StackGAN class split (50 test classes listed in the S2IGAN specification, section 1.3)"
                : "the class split of the reference's flower evaluation list (test classes class_00001–class_00020)"
        case (.flickr8k, _):
            let lists = ["", "Flickr8k_text/", "Flickr_8k_text/"].map { root.appendingPathComponent($0) }
            guard let folder = lists.first(where: { FileManager.default.fileExists(atPath: $0.appendingPathComponent("Flickr_8k.trainImages.txt").path) }) else {
                throw DatasetError.file(path: root.path, reason: "Flickr_8k.trainImages.txt / Flickr_8k.testImages.txt not found (looked in the root and Flickr8k_text/)")
            }
            let read = { (name: String) throws -> [String] in
                try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8).split(whereSeparator: \.isNewline)
                    .map { ($0.trimmingCharacters(in: .whitespaces) as NSString).deletingPathExtension }.filter { !$0.isEmpty }
            }
            let present = Set(keys)
            train = try read("Flickr_8k.trainImages.txt").filter(present.contains)
            test = try read("Flickr_8k.testImages.txt").filter(present.contains)
            source = "the standard Flickr8k lists in \(folder.path)"
        case (.places, _):
            guard testFraction > 0, testFraction < 1 else { throw DatasetError.invalidOption("splits: test fraction must be in (0, 1)") }
            var rng = RandomGenerator(seed: seed)
            var shuffled = keys
            rng.shuffle(&shuffled)
            let testCount = max(1, Int((Double(keys.count) * testFraction).rounded()))
            test = shuffled.prefix(testCount).sorted()
            train = shuffled.dropFirst(testCount).sorted()
            source = "a random split of the \(keys.count) images present (test fraction \(testFraction), seed \(seed))"
        case (.spokenFlowers, _):
            throw DatasetError.invalidOption("splits: spoken-flowers writes its own split files (s2igan dataset synth)")
        }
        var backups: [URL] = []
        for file in existing {
            let backup = backupURL(for: file)
            do {
                try FileManager.default.copyItem(at: file, to: backup)
            } catch {
                throw DatasetError.file(path: backup.path, reason: "backup of '\(file.lastPathComponent)' cannot be written: \(readableDescription(of: error))")
            }
            backups.append(backup)
        }
        for (split, list) in [(DatasetSplit.train, train), (.test, test)] {
            let folder = root.appendingPathComponent(split.rawValue)
            try createFolder(folder)
            try PickleWriter.write(.list(list.map { .string($0) }), to: folder.appendingPathComponent("filenames.pickle"))
            if kind.hasClasses {
                let ids = try list.map { PickleValue.int(Int64(try classID(of: $0, kind: kind))) }
                try PickleWriter.write(.list(ids), to: folder.appendingPathComponent("class_info.pickle"))
            }
        }
        return Summary(train: train.count, test: test.count, source: source, backups: backups)
    }

    /// Keys (paths without extension, `/` separators) of the `.jpg` files under `folder`, sorted.
    static func imageKeys(_ folder: URL) throws -> [String] {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory)
        guard exists, isDirectory.boolValue else {
            throw DatasetError.file(path: folder.path, reason: exists ? "is a file, not the folder of the dataset's images" : "no such folder (the dataset's images)")
        }
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else {
            throw DatasetError.file(path: folder.path, reason: "no such folder")
        }
        let base = folder.standardizedFileURL.path + "/"
        return walker.compactMap { $0 as? URL }.filter { $0.pathExtension.lowercased() == "jpg" }
            .map { String(($0.standardizedFileURL.path as NSString).deletingPathExtension.dropFirst(base.count)) }.sorted()
    }

    /// The 1-based class id in a key: CUB `'002.Laysan_Albatross/…'` → 2, Oxford `'class_00001/…'` → 1.
    static func classID(of key: String, kind: DatasetKind) throws -> Int {
        let folder = key.split(separator: "/").first.map(String.init) ?? key
        let digits = kind == .cub ? folder.prefix { $0 != "." } : folder.drop { !$0.isNumber }
        guard let id = Int(digits), id > 0 else {
            throw DatasetError.invalidOption("splits: cannot read a class id from '\(key)'")
        }
        return id
    }
}
