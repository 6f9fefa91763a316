import S2IGANAutograd
import Foundation
import S2IGANDistributed
import S2IGANTensor
import S2IGANFormats

/// 2048-d Inception features of a folder of images, one row per image in sorted path order — the
/// features S2IGAN's mAP / R@k scripts and FID compute.
public struct ImageFeatureExtractor {
    public let model: InceptionV3
    /// The range the images are given to the network in; S2IGAN's scripts differ (the image encoder feeds
    /// [−1, 1], the mAP / R@k scripts [0, 1]). The FID network always takes [0, 1] and rescales itself.
    public let range: PixelRange
    public var batchSize: Int
    /// How an image becomes the network's input.
    public let preprocessing: Preprocessing

    /// How images are resized and scaled for the network.
    public enum Preprocessing: String, Sendable, CaseIterable {
        /// Bilinear to 299 (`F.interpolate`, no antialiasing) in ``ImageFeatureExtractor/range`` (pytorch-fid, the
        /// reference's scripts).
        case bilinear
        /// clean-fid's "clean" mode, FID network only: each channel resized to 299 with Pillow's bicubic filter in
        /// floats (``RGBImage/cleanResized(width:height:)``), then `(x − 128) / 128` on [0, 255].
        case cleanFID = "clean-fid"
    }

    public init(model: InceptionV3, range: PixelRange = .unit, batchSize: Int = 50, preprocessing: Preprocessing = .bilinear) throws {
        guard model.variant == .torchvision || range == .unit else {
            throw VisionError.invalidSetting("the FID network takes images in [0, 1] (it rescales to [−1, 1] itself); use range 'unit'")
        }
        guard preprocessing == .bilinear || model.variant == .fid else {
            throw VisionError.invalidSetting("clean-fid's preprocessing is for the FID network")
        }
        guard batchSize > 0 else { throw VisionError.invalidSetting("batch size must be positive, got \(batchSize)") }
        model.frozenForInference()
        (self.model, self.range, self.batchSize, self.preprocessing) = (model, range, batchSize, preprocessing)
    }

    /// The `.jpg`, `.jpeg` and `.png` files under `folder` (recursively), sorted by relative path.
    public static func imageFiles(in folder: URL) throws -> [URL] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw VisionError.file(path: folder.path, reason: "no such folder")
        }
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) else {
            throw VisionError.file(path: folder.path, reason: "cannot be listed")
        }
        let base = folder.standardizedFileURL.path
        var files: [(String, URL)] = []
        for case let url as URL in walker where ["jpg", "jpeg", "png"].contains(url.pathExtension.lowercased()) {
            let path = url.standardizedFileURL.path
            files.append((path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path, url))
        }
        return files.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// The images `names` lists under `folder`, in the list's order: each name is a path relative to the folder,
    /// with its extension or without one (then `.jpg`, `.jpeg` or `.png`, the first that exists). Throws naming the
    /// first name with no image.
    public static func imageFiles(in folder: URL, names: [String]) throws -> [URL] {
        let fm = FileManager.default
        return try names.map { name in
            let direct = folder.appendingPathComponent(name)
            let candidates = ["jpg", "jpeg", "png"].contains(direct.pathExtension.lowercased())
                ? [direct] : [direct] + ["jpg", "jpeg", "png"].map { direct.appendingPathExtension($0) }
            guard let file = candidates.first(where: { fm.fileExists(atPath: $0.path) && !$0.hasDirectoryPath }) else {
                throw VisionError.file(path: direct.path, reason: "listed image not found (tried .jpg, .jpeg and .png)")
            }
            return file
        }
    }

    /// The network input for one image: `[1, 3, 299, 299]` in ``range``.
    func input(_ image: RGBImage) throws -> Tensor {
        let size = InceptionV3.inputSize
        if preprocessing == .cleanFID {
            return try ((image.cleanResized(width: size, height: size) - 128) * (1 / 128 as Float)).reshaped([1, 3, size, size])
        }
        let x = try image.tensor(range: range).reshaped([1, 3, image.height, image.width])
        return image.width == size && image.height == size ? x : try x.resizedBilinear(height: size, width: size)
    }

    /// ``features(of:progress:)`` split over the ranks of `group`: each rank reads and runs every `size`-th batch of
    /// ``batchSize`` files, the batches one process forms (a batch's shape can change the order in which a GEMM
    /// kernel sums), and every rank gets the whole result, rows bit for bit as one process computes them.
    /// `failures` holds this rank's own.
    public func features(of files: [URL], group: ProcessGroup, progress: ((Int, Int) -> Void)? = nil) throws
        -> (features: Tensor, used: [URL], failures: [(URL, String)]) {
        guard group.size > 1 else { return try features(of: files, progress: progress) }
        let owned = group.shard.indices(of: files.count, inBatchesOf: batchSize)
        let mine = try features(of: owned.map { files[$0] }, progress: progress)
        let width = InceptionV3.featureWidth
        // `mine.used` is the owned files in order without the failed ones: walking both gives each row's index (a
        // path that occurs twice keeps both rows, as in one process).
        var used = [Int64](repeating: 0, count: files.count)
        var rows = [Float](repeating: -.infinity, count: files.count * width)
        let values = mine.features.scalars
        var next = 0
        for index in owned where next < mine.used.count && mine.used[next] == files[index] {
            used[index] = 1
            rows.replaceSubrange((index * width)..<((index + 1) * width), with: values[(next * width)..<((next + 1) * width)])
            next += 1
        }
        try group.allReduce(&used)
        try group.combineDisjoint(&rows)
        let kept = files.indices.filter { used[$0] > 0 }
        let features = try Tensor(shape: [kept.count, width], scalars: kept.flatMap { rows[($0 * width)..<(($0 + 1) * width)] })
        return (features, kept.map { files[$0] }, mine.failures)
    }

    /// Features of `files` as an `[N, 2048]` tensor for the files that could be read, with the failures
    /// (file and reason) listed rather than thrown. `progress` is called after each batch.
    public func features(of files: [URL], progress: ((Int, Int) -> Void)? = nil) throws -> (features: Tensor, used: [URL], failures: [(URL, String)]) {
        var rows: [Tensor] = [], used: [URL] = [], failures: [(URL, String)] = []
        for start in Swift.stride(from: 0, to: files.count, by: batchSize) {
            let chunk = Array(files[start..<Swift.min(start + batchSize, files.count)])
            // Decoding and resizing dominate small batches: spread them over the cores.
            var loaded = [Result<Tensor, Error>](repeating: .failure(VisionError.invalidSetting("not loaded")), count: chunk.count)
            loaded.withUnsafeMutableBufferPointer { slots in
                let base = slots.baseAddress!
                Parallel.forRanges(chunk.count, cost: 1 << 20) { range in
                    for i in range {
                        base[i] = Result { try self.input(RGBImage.read(chunk[i])) }
                    }
                }
            }
            var inputs: [Tensor] = []
            for (url, result) in zip(chunk, loaded) {
                switch result {
                case .success(let x):
                    inputs.append(x)
                    used.append(url)
                case .failure(let error):
                    failures.append((url, "\(readableDescription(of: error))"))
                }
            }
            if !inputs.isEmpty {
                let batch = try Tensor.concatenate(inputs, axis: 0)
                let pooled = try GradientMode.withoutGradient {
                    // clean-fid's input is already 299 px and scaled: the trunk and the mean over positions.
                    model.variant == .fid && preprocessing == .bilinear ? try model.fidFeatures(Variable(batch)) : try model.pooledFeatures(Variable(batch))
                }
                rows.append(pooled.value)
            }
            progress?(Swift.min(start + batchSize, files.count), files.count)
        }
        let features = rows.isEmpty ? try Tensor.zeros([0, InceptionV3.featureWidth]) : try Tensor.concatenate(rows, axis: 0)
        return (features, used, failures)
    }
}
