import S2IGANDatasets
import Foundation
import S2IGANVision

/// A dataset tree: the input is a small bundle of files, unpacked into a scratch folder and opened as a
/// dataset split with the Datasets layer's validation, after which a few items' captions and images are loaded.
///
/// Bundle layout: byte 0 picks the dataset kind (modulo the kinds), byte 1 holds flags (bit 0 skip bad items,
/// bit 1 decode images on opening, bit 2 the test split, bit 3 skip reading features); then entries of
/// `[path length: UInt8][path][content length: UInt16 little-endian][content]`, the last one possibly
/// truncated. Paths are relative, `/`-separated; empty, `.` and `..` components are dropped.
enum DatasetTarget {
    static let maximumEntries = 64

    struct Bundle {
        var kind: DatasetKind
        var options: DatasetOptions
        var split: DatasetSplit
        var files: [(path: String, contents: [UInt8])]
    }

    static func parse(_ bytes: [UInt8]) -> Bundle? {
        guard bytes.count >= 2 else { return nil }
        let kind = DatasetKind.allCases[Int(bytes[0]) % DatasetKind.allCases.count], flags = bytes[1]
        let options = DatasetOptions(skipBadItems: flags & 1 != 0, checkFeatures: flags & 8 == 0, checkImages: flags & 2 != 0)
        var files: [(String, [UInt8])] = []
        var i = 2
        while i < bytes.count && files.count < maximumEntries {
            let pathLength = Int(bytes[i])
            i += 1
            let pathBytes = bytes[i..<min(i + pathLength, bytes.count)]
            i += pathLength
            guard i + 2 <= bytes.count else { break }
            let length = Int(bytes[i]) | Int(bytes[i + 1]) << 8
            i += 2
            let contents = Array(bytes[i..<min(i + length, bytes.count)])
            i += length
            let components = String(decoding: pathBytes, as: UTF8.self).split(separator: "/")
                .filter { !$0.isEmpty && $0 != "." && $0 != ".." && !$0.contains("\0") }
            guard !components.isEmpty else { continue }
            files.append((components.joined(separator: "/"), contents))
        }
        return Bundle(kind: kind, options: options, split: flags & 4 != 0 ? .test : .train, files: files)
    }

    static func run(_ bytes: [UInt8]) throws {
        guard let bundle = parse(bytes) else { return }
        let fm = FileManager.default
        let root = try Scratch.uniqueURL("-dataset")
        try fm.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: root) }
        for (path, contents) in bundle.files {
            let url = root.appendingPathComponent(path)
            // A later entry may name a folder an earlier one made a file of, or the reverse: such entries are skipped.
            try? fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? Data(contents).write(to: url)
        }
        let dataset = try SpokenImageDataset.open(kind: bundle.kind, root: root, split: bundle.split, options: bundle.options)
        for item in dataset.items.prefix(4) {
            _ = try? dataset.captions(of: item)
            _ = try? dataset.image(of: item)
        }
    }
}
