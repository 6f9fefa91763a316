import S2IGANDatasets
import Foundation
import S2IGANTensor
import S2IGANVision
import S2IGANFormats

/// The prepared image inputs (``SENImageEncoder/prepare(_:)``) of a fixed number of augmented views of every
/// image of a split, computed once. The frozen Inception trunk dominates the reference's SEN training cost
/// (about 70 ms per image here, against a few ms for the rest of a step per image); with a cache each visit
/// of an image picks one of its views instead of running the trunk again.
///
/// View `v` of image `i` is the reference augmentation (resize, random crop, random flip) drawn from the
/// random stream `(seed, v, i)`, or the centre crop in ``Mode/center`` (one view). Stored as safetensors
/// (`inputs`: `[N · views] + inputShape`, image-major) with the settings in the metadata, so a cache made with
/// other settings or another image list is rebuilt rather than reused.
public struct ImageViewCache: Sendable {
    public enum Mode: String, Sendable, Codable {
        case augmented, center
    }

    /// `[N · views] + inputShape`.
    public let inputs: Tensor
    public let views: Int
    public var count: Int { inputs.shape[0] / views }

    public init(inputs: Tensor, views: Int) throws {
        guard views >= 1, inputs.rank >= 2, inputs.shape[0] % views == 0 else {
            throw SENError.shapeMismatch("image view cache: \(inputs.shape) does not hold \(views) views per image")
        }
        (self.inputs, self.views) = (inputs, views)
    }

    /// The inputs `[B] + inputShape` of the given (image, view) pairs.
    public func batch(images: [Int], views chosen: [Int]) throws -> Tensor {
        try inputs.indexSelect(axis: 0, indices: zip(images, chosen).map { $0 * views + $1 })
    }

    /// The settings a cache is valid for.
    public struct Settings: Sendable, Equatable, Codable {
        public var encoder: String
        public var inputShape: [Int]
        public var views: Int
        public var mode: Mode
        public var imageSize: Int
        public var seed: UInt64
        /// The dataset's image keys, hashed.
        public var keys: String
    }

    /// Computes the views of every image of `dataset`, preparing `batchSize` images at a time; image decoding
    /// and augmentation run on `workers` threads.
    public static func build(dataset: SpokenImageDataset, encoder: any SENImageEncoder, settings: Settings, batchSize: Int = 32,
                             workers: Int = 2, progress: (Int, Int) -> Void = { _, _ in }) throws -> ImageViewCache {
        let views = settings.views, total = dataset.count * views
        guard views >= 1, total > 0 else { throw SENError.invalidInput("image view cache: no images or views") }
        let width = settings.inputShape.reduce(1, *)
        var storage = [Float](repeating: 0, count: total * width)
        let augment = settings.mode == .augmented
        for start in stride(from: 0, to: total, by: batchSize) {
            let range = start..<min(start + batchSize, total)
            let images = Locked([RGBImage?](repeating: nil, count: range.count)), failure = Locked<Error?>(nil)
            Parallel.forEachItem(range.count, workers: workers) { k in
                let flat = range.lowerBound + k, index = flat / views, view = flat % views
                var rng = RandomStreams.generator(seed: settings.seed, epoch: view, index: index)
                do {
                    let image = try dataset.transformed(dataset.items[index], imageSize: settings.imageSize, augment: augment, using: &rng)
                    images.update { $0[k] = image }
                } catch {
                    failure.update { $0 = $0 ?? error }
                }
            }
            if let error = failure.value { throw error }
            let prepared = try encoder.prepare(images.value.map { $0! })
            guard prepared.shape == [range.count] + settings.inputShape else {
                throw SENError.shapeMismatch("image view cache: prepared \(prepared.shape), expected [\(range.count)] + \(settings.inputShape)")
            }
            prepared.scalars.withUnsafeBufferPointer { source in
                storage.withUnsafeMutableBufferPointer { target in
                    _ = memcpy(target.baseAddress! + range.lowerBound * width, source.baseAddress!, range.count * width * 4)
                }
            }
            progress(range.upperBound, total)
        }
        return try ImageViewCache(inputs: Tensor(shape: [total] + settings.inputShape, scalars: storage), views: views)
    }

    /// The cache at `url` if it was made with `settings`, else a new one, written there atomically (unless `write`
    /// is false: the other ranks of a data-parallel run build theirs in memory, as their machine may not share the folder).
    public static func loadOrBuild(at url: URL, dataset: SpokenImageDataset, encoder: any SENImageEncoder, settings: Settings,
                                   batchSize: Int = 32, workers: Int = 2, write: Bool = true,
                                   progress: (Int, Int) -> Void = { _, _ in }) throws -> ImageViewCache {
        let encoded = String(decoding: try JSONEncoder.sorted.encode(settings), as: UTF8.self)
        if FileManager.default.fileExists(atPath: url.path), let file = try? SafeTensorsFile.read(url),
           file.metadata["settings"] == encoded, let inputs = file.arrays["inputs"]?.tensor(),
           inputs.shape == [dataset.count * settings.views] + settings.inputShape {
            return try ImageViewCache(inputs: inputs, views: settings.views)
        }
        let cache = try build(dataset: dataset, encoder: encoder, settings: settings, batchSize: batchSize, workers: workers, progress: progress)
        guard write else { return cache }
        try createFolder(url.deletingLastPathComponent())
        try SafeTensorsFile(tensors: ["inputs": cache.inputs], metadata: ["settings": encoded]).write(to: url)
        return cache
    }

    /// A short fingerprint of a dataset's image list (FNV-1a over the keys).
    public static func fingerprint(_ dataset: SpokenImageDataset) -> String {
        let hash = dataset.items.reduce(RandomStreams.fnv1a([])) { RandomStreams.fnv1a($1.key.utf8 + [0], continuing: $0) }
        return "\(dataset.count):" + String(hash, radix: 16)
    }
}

/// A value shared between threads behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.lock(); defer { lock.unlock() }; return stored }
    func update(_ body: (inout Value) -> Void) { lock.lock(); body(&stored); lock.unlock() }
}

