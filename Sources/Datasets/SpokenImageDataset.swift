import Foundation
import S2IGANTensor
import S2IGANVision
import S2IGANFormats

/// One thing wrong with a dataset, found on opening it.
public struct DatasetProblem: Sendable, Equatable, CustomStringConvertible {
    /// The image key concerned, or `nil` for the split as a whole.
    public var key: String?
    public var message: String

    public init(key: String?, message: String) { (self.key, self.message) = (key, message) }

    public var description: String { key.map { "\($0): \(message)" } ?? message }
}

/// Every problem found in a split, thrown (as ``DatasetError/split(_:)``) when bad items are not to be skipped.
public struct DatasetSplitProblems: Sendable, Equatable, CustomStringConvertible {
    public var kind: DatasetKind
    public var root: String
    public var split: DatasetSplit
    public var problems: [DatasetProblem]

    public var description: String {
        let shown = problems.prefix(20).map { "  \($0)" }.joined(separator: "\n")
        let more = problems.count > 20 ? "\n  … and \(problems.count - 20) more" : ""
        return "\(kind) dataset at '\(root)', \(split) split: \(problems.count) problem(s)\n\(shown)\(more)"
    }
}

/// How a dataset is opened.
public struct DatasetOptions: Sendable {
    /// Drop items with problems (and report them) instead of throwing.
    public var skipBadItems = false
    /// Read every feature file on opening to check caption counts and widths (otherwise only existence).
    public var checkFeatures = true
    /// Captions per image to expect; default: the dataset's (for spoken-flowers, the most common count).
    public var captionsPerImage: Int?
    /// Decode every image on opening (slow on big datasets: by default only their existence is checked, and
    /// a corrupt image is reported, naming the file, when an item is loaded).
    public var checkImages = false
    /// Width of a feature frame (40 mel bands).
    public var featureWidth = 40

    public init(skipBadItems: Bool = false, checkFeatures: Bool = true, checkImages: Bool = false, captionsPerImage: Int? = nil,
                featureWidth: Int = 40) {
        (self.skipBadItems, self.checkFeatures, self.checkImages, self.captionsPerImage, self.featureWidth) =
            (skipBadItems, checkFeatures, checkImages, captionsPerImage, featureWidth)
    }
}

/// One split of a speech-image dataset in the reference's layout: its image keys in `filenames.pickle` order,
/// their class ids, images, spoken-caption features and (CUB) bounding boxes.
public struct SpokenImageDataset: Sendable {
    /// One image with its spoken captions.
    public struct Item: Sendable, Equatable {
        /// The key of `filenames.pickle` with `/` separators (`class_00001/image_06734`).
        public var key: String
        public var image: URL
        public var features: URL
        /// The class id (1-based for CUB/Oxford/spoken-flowers; the item's index for Flickr8k/Places).
        public var classID: Int
        /// The 0-based training label: the rank of `classID` among the split's sorted distinct class ids.
        public var label: Int
        /// CUB's bounding box of the image, if any.
        public var boundingBox: BoundingBox?
        /// Frames of each caption (known when features were checked on opening).
        public var captionFrames: [Int]
    }

    public let kind: DatasetKind
    public let root: URL
    public let split: DatasetSplit
    public let items: [Item]
    /// The captions per image the dataset is used with.
    public let captionsPerImage: Int
    /// Problems found on opening (the items concerned are not in ``items``).
    public let problems: [DatasetProblem]
    /// Item indices by class id.
    public let classMembers: [Int: [Int]]

    public var count: Int { items.count }

    /// Opens and validates a split. Without `skipBadItems`, any problem throws ``DatasetError/split(_:)`` listing all
    /// of them; problems of the whole split (class list, CUB box files) throw even with it, and a missing or
    /// unreadable `filenames.pickle` always throws.
    public static func open(kind: DatasetKind, root: URL, split: DatasetSplit, options: DatasetOptions = DatasetOptions()) throws -> SpokenImageDataset {
        let splitFolder = root.appendingPathComponent(split.rawValue)
        let keys = try readKeys(splitFolder.appendingPathComponent("filenames.pickle"))
        var problems: [DatasetProblem] = []
        var classIDs = Array(0..<keys.count)
        if kind.hasClasses {
            let classFile = splitFolder.appendingPathComponent("class_info.pickle")
            do {
                let ids = try readClassIDs(classFile)
                if ids.count != keys.count {
                    problems.append(DatasetProblem(key: nil, message: "class_info.pickle lists \(ids.count) classes for \(keys.count) images"))
                }
                for (i, id) in ids.prefix(keys.count).enumerated() {
                    classIDs[i] = id
                    if id < 1 || (kind.classCount.map { id > $0 } ?? false) {
                        problems.append(DatasetProblem(key: keys[i], message: "class id \(id) is outside 1…\(kind.classCount ?? Int.max)"))
                    }
                }
            } catch {
                problems.append(DatasetProblem(key: nil, message: "\(readableDescription(of: error))"))
            }
        }
        let boxes = kind.usesBoundingBoxes ? try readBoundingBoxes(root: root, kind: kind, problems: &problems) : [:]
        let imagesFolder = root.appendingPathComponent(kind.imagesPath), featuresFolder = root.appendingPathComponent(kind.featuresPath)
        var items: [Item] = []
        var itemProblems = [[DatasetProblem]](repeating: [], count: keys.count)
        for (i, key) in keys.enumerated() {
            if kind.usesBoundingBoxes && !boxes.isEmpty && boxes[key] == nil {
                itemProblems[i].append(DatasetProblem(key: key, message: "no bounding box in bounding_boxes.txt"))
            }
            items.append(Item(key: key, image: imagesFolder.appendingPathComponent(key + ".jpg"),
                              features: featureFile(featuresFolder, key), classID: classIDs[i], label: 0,
                              boundingBox: boxes[key], captionFrames: []))
        }
        // File checks (and feature reads) spread over the cores; each item only touches its own slot.
        let expectedWidth = options.featureWidth, checkFeatures = options.checkFeatures, checkImages = options.checkImages
        let fm = FileManager.default
        items.withUnsafeMutableBufferPointer { itemSlots in
            itemProblems.withUnsafeMutableBufferPointer { problemSlots in
                let itemBase = itemSlots.baseAddress!, problemBase = problemSlots.baseAddress!
                Parallel.forRanges(keys.count, cost: checkFeatures || checkImages ? 1 << 18 : 1 << 12) { range in
                    for i in range {
                        let item = itemBase[i]
                        var found: [DatasetProblem] = []
                        if !fm.fileExists(atPath: item.image.path) {
                            found.append(DatasetProblem(key: item.key, message: "image \(item.image.path) is missing"))
                        } else if checkImages {
                            do { _ = try RGBImage.read(item.image) } catch { found.append(DatasetProblem(key: item.key, message: "\(readableDescription(of: error))")) }
                        }
                        if !fm.fileExists(atPath: item.features.path) {
                            found.append(DatasetProblem(key: item.key, message: "features \(item.features.path) are missing"))
                        } else if checkFeatures {
                            do {
                                let captions = try readCaptions(item.features)
                                itemBase[i].captionFrames = captions.map { $0.shape[0] }
                                if let bad = captions.first(where: { $0.shape[1] != expectedWidth }) {
                                    found.append(DatasetProblem(key: item.key, message: "features are \(bad.shape[1]) wide, expected \(expectedWidth)"))
                                }
                            } catch {
                                found.append(DatasetProblem(key: item.key, message: "\(readableDescription(of: error))"))
                            }
                        }
                        problemBase[i] += found
                    }
                }
            }
        }
        let counts = items.map(\.captionFrames.count)
        let expected = options.captionsPerImage ?? kind.captionsPerImage ?? mostCommon(counts.filter { $0 > 0 }) ?? 1
        if checkFeatures {
            for (i, n) in counts.enumerated() where n > 0 && n != expected {
                itemProblems[i].append(DatasetProblem(key: keys[i], message: "\(n) captions, expected \(expected)"))
            }
        }
        problems += itemProblems.flatMap { $0 }
        // A problem of the split as a whole (an unusable class list, missing CUB box files) concerns every item,
        // so skipping items cannot get round it.
        if !problems.isEmpty && (!options.skipBadItems || problems.contains { $0.key == nil }) {
            throw DatasetError.split(DatasetSplitProblems(kind: kind, root: root.path, split: split, problems: problems))
        }
        var kept = zip(items, itemProblems).filter { $0.1.isEmpty }.map(\.0)
        let labels = Dictionary(uniqueKeysWithValues: Set(kept.map(\.classID)).sorted().enumerated().map { ($1, $0) })
        for i in kept.indices { kept[i].label = labels[kept[i].classID] ?? 0 }
        let members = Dictionary(grouping: kept.indices, by: { kept[$0].classID })
        return SpokenImageDataset(kind: kind, root: root, split: split, items: kept, captionsPerImage: expected, problems: problems,
                                  classMembers: members)
    }

    /// The feature file of a key: the reference's `.npy`, or a `.safetensors` file of ours.
    static func featureFile(_ folder: URL, _ key: String) -> URL {
        let npy = folder.appendingPathComponent(key + ".npy")
        if FileManager.default.fileExists(atPath: npy.path) { return npy }
        let ours = folder.appendingPathComponent(key + ".safetensors")
        return FileManager.default.fileExists(atPath: ours.path) ? ours : npy
    }

    /// The caption matrices `(T, 40)` of an item, in stored order.
    public func captions(of item: Item) throws -> [Tensor] {
        try Self.readCaptions(item.features)
    }

    /// An item's image as RGB, cropped around its bounding box for CUB (as the reference does first).
    public func image(of item: Item) throws -> RGBImage {
        let image = try RGBImage.read(item.image)
        guard let box = item.boundingBox else { return image }
        return try image.cropped(to: box.referenceCrop(imageWidth: image.width, imageHeight: image.height))
    }

    /// Reads a features file: an `.npy` (2-D matrix = one caption, 3-D array or object array = several), or a
    /// safetensors file whose tensors `0`, `1`, … are the captions.
    public static func readCaptions(_ url: URL) throws -> [Tensor] {
        let captions: [Tensor]
        if url.pathExtension == "safetensors" {
            let file = try SafeTensorsFile.read(url)
            let names = file.arrays.keys.sorted { (Int($0) ?? Int.max, $0) < (Int($1) ?? Int.max, $1) }
            captions = try names.map { try file.tensor($0) }
        } else {
            captions = try NPY.readMatrices(url)
        }
        guard !captions.isEmpty else { throw DatasetError.file(path: url.path, reason: "features: no captions") }
        for c in captions where c.rank != 2 || c.shape[0] == 0 {
            throw DatasetError.file(path: url.path, reason: "features: a caption has shape \(c.shape), expected (frames, bands)")
        }
        if let bad = captions.firstIndex(where: { !$0.isFinite }) {
            throw DatasetError.file(path: url.path, reason: "features: caption \(bad) holds NaN or infinite values")
        }
        return captions
    }

    /// The keys of a `filenames.pickle`, with `\` turned into `/`.
    public static func readKeys(_ url: URL) throws -> [String] {
        try NameList.pickled(url, what: "filenames")
    }

    /// The class ids of a `class_info.pickle` (a list of ints or an integer array).
    public static func readClassIDs(_ url: URL) throws -> [Int] {
        switch try PickleReader.read(url) {
        case .list(let v), .tuple(let v):
            return try v.map {
                guard case .int(let i) = $0 else { throw DatasetError.file(path: url.path, reason: "class_info: an entry is not an integer") }
                return Int(i)
            }
        case .array(let a):
            // Integral values only: a NaN, infinite or fractional id is an error, not a trap or a truncation.
            return try a.tensor().scalars.map {
                guard let id = Int(exactly: $0) else { throw DatasetError.file(path: url.path, reason: "class_info: \($0) is not an integer class id") }
                return id
            }
        default:
            throw DatasetError.file(path: url.path, reason: "class_info: expected a list of class ids")
        }
    }

    /// CUB's `images.txt` + `bounding_boxes.txt` as boxes by key (floats truncated to integers).
    static func readBoundingBoxes(root: URL, kind: DatasetKind, problems: inout [DatasetProblem]) throws -> [String: BoundingBox] {
        let folder = root.appendingPathComponent(kind.dataFolder)
        let imagesFile = folder.appendingPathComponent("images.txt"), boxesFile = folder.appendingPathComponent("bounding_boxes.txt")
        guard let images = try? String(contentsOf: imagesFile, encoding: .utf8),
              let boxes = try? String(contentsOf: boxesFile, encoding: .utf8) else {
            problems.append(DatasetProblem(key: nil, message: "images.txt or bounding_boxes.txt missing in \(folder.path) (CUB crops need both)"))
            return [:]
        }
        var pathByID: [String: String] = [:]
        for line in images.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            pathByID[String(parts[0])] = (String(parts[1]) as NSString).deletingPathExtension
        }
        var result: [String: BoundingBox] = [:]
        for line in boxes.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: " ")
            guard parts.count == 5, let key = pathByID[String(parts[0])] else { continue }
            // Pixel coordinates: a value that is not a number of a sensible size (NaN, 1e300) would trap as an Int.
            let v = parts.dropFirst().compactMap { Double($0) }.filter { $0.isFinite && abs($0) <= 1e7 }.map { Int($0) }
            guard v.count == 4, v[2] >= 0, v[3] >= 0 else {
                problems.append(DatasetProblem(key: key, message: "bounding_boxes.txt: '\(line)' is not four pixel coordinates"))
                continue
            }
            result[key] = BoundingBox(x: v[0], y: v[1], width: v[2], height: v[3])
        }
        return result
    }

    static func mostCommon(_ values: [Int]) -> Int? {
        Dictionary(grouping: values, by: { $0 }).max { ($0.value.count, -$0.key) < ($1.value.count, -$1.key) }?.key
    }
}
