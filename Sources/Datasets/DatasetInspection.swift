import Foundation
import S2IGANFormats

/// Every problem of a dataset root and the counts of each split, found without stopping at the first problem
/// (`s2igan dataset info`): each split is opened with bad items skipped and reported, and the built-in
/// dataset's attribute manifest (what the demo's evaluation reads) is read too.
public struct DatasetInspection: Sendable {
    /// The counts of a split that opened (nil when it could not be opened at all) and its problems.
    public struct SplitReport: Sendable {
        public var images: Int?
        public var captionsPerImage = 0
        public var captions = 0
        public var classes = 0
        /// Feature frames per caption: smallest, largest and mean (0 without captions).
        public var frames: (min: Int, max: Int, mean: Double) = (0, 0, 0)
        public var problems: [String] = []
    }

    public let kind: DatasetKind
    public let root: URL
    public let splits: [DatasetSplit: SplitReport]
    /// Problems of the dataset as a whole (the spoken-flowers manifest).
    public let problems: [String]

    /// Inspects `root` as a `kind` dataset; with `checkImages` every image is decoded too.
    public init(kind: DatasetKind, root: URL, checkImages: Bool = true) {
        var splits: [DatasetSplit: SplitReport] = [:]
        for split in DatasetSplit.allCases {
            var report = SplitReport()
            do {
                let data = try SpokenImageDataset.open(kind: kind, root: root, split: split,
                                                       options: DatasetOptions(skipBadItems: true, checkImages: checkImages))
                let frames = data.items.flatMap(\.captionFrames)
                report.images = data.count
                report.captionsPerImage = data.captionsPerImage
                report.captions = frames.count
                report.classes = Set(data.items.map(\.classID)).count
                report.frames = (frames.min() ?? 0, frames.max() ?? 0, frames.isEmpty ? 0 : Double(frames.reduce(0, +)) / Double(frames.count))
                report.problems = data.problems.map(\.description)
            } catch let error as DatasetError {
                report.problems = error.problems.map(\.description)
            } catch {
                report.problems = ["\(readableDescription(of: error))"]
            }
            splits[split] = report
        }
        var problems: [String] = []
        if kind == .spokenFlowers {
            do { _ = try SpokenFlowers.readManifest(root: root) } catch { problems.append("\(readableDescription(of: error))") }
        }
        (self.kind, self.root, self.splits, self.problems) = (kind, root, splits, problems)
    }

    /// All problems found, of the splits and of the whole.
    public var problemCount: Int { splits.values.reduce(problems.count) { $0 + $1.problems.count } }

    /// The report as JSON values: `dataset`, `root`, one object per split (`images`, `captions_per_image`,
    /// `captions`, `classes`, `frames` {min, max, mean}, `problems`; only `problems` for a split that did not
    /// open) and the whole's `problems` when there are any.
    public var jsonObject: [String: Any] {
        var object: [String: Any] = ["dataset": kind.rawValue, "root": root.path]
        for (split, r) in splits {
            guard let images = r.images else {
                object[split.rawValue] = ["problems": r.problems]
                continue
            }
            object[split.rawValue] = ["images": images, "captions_per_image": r.captionsPerImage, "captions": r.captions,
                                      "classes": r.classes, "frames": ["min": r.frames.min, "max": r.frames.max, "mean": r.frames.mean],
                                      "problems": r.problems]
        }
        if !problems.isEmpty { object["problems"] = problems }
        return object
    }
}
