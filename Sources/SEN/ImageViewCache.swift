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
        var storage = try emptyStorage(dataset: dataset, settings: settings)
        let total = dataset.count * settings.views
        try compute(dataset: dataset, encoder: encoder, settings: settings, batchSize: batchSize, workers: workers, into: &storage,
                    batches: 0..<batchCount(total, batchSize), progress: progress)
        return try ImageViewCache(inputs: Tensor(shape: [total] + settings.inputShape, scalars: storage), views: settings.views)
    }

    /// The cache at `url` if it was made with `settings`, else a new one, written there atomically.
    ///
    /// With `replicas` (the ranks of a data-parallel job), replica 0 alone reads and writes the file: if it holds a
    /// valid cache, replica 0 sends it to the others; if not, every replica builds an equal share of the batches (the
    /// same batches one process would prepare, so the values are the same), the shares are summed into every
    /// replica's copy, and replica 0 writes it. The other replicas need no access to the folder, and the build takes
    /// 1/N of the time. `progress` counts this replica's share.
    public static func loadOrBuild(at url: URL, dataset: SpokenImageDataset, encoder: any SENImageEncoder, settings: Settings,
                                   batchSize: Int = 32, workers: Int = 2, replicas: (any ReplicaGroup)? = nil,
                                   progress: (Int, Int) -> Void = { _, _ in }) throws -> ImageViewCache {
        let encoded = String(decoding: try JSONEncoder.sorted.encode(settings), as: UTF8.self)
        let total = dataset.count * settings.views, shape = [total] + settings.inputShape
        let isRoot = (replicas?.replicaIndex ?? 0) == 0
        var stored: ImageViewCache?
        if isRoot, FileManager.default.fileExists(atPath: url.path), let file = try? SafeTensorsFile.read(url),
           file.metadata["settings"] == encoded, let inputs = file.arrays["inputs"]?.tensor(), inputs.shape == shape {
            stored = try ImageViewCache(inputs: inputs, views: settings.views)
        }
        func written(_ cache: ImageViewCache) throws -> ImageViewCache {
            guard isRoot else { return cache }
            try createFolder(url.deletingLastPathComponent())
            try SafeTensorsFile(tensors: ["inputs": cache.inputs], metadata: ["settings": encoded]).write(to: url)
            return cache
        }
        guard let replicas, replicas.replicaCount > 1 else {
            if let stored { return stored }
            return try written(build(dataset: dataset, encoder: encoder, settings: settings, batchSize: batchSize, workers: workers, progress: progress))
        }
        var found: [UInt8] = [stored == nil ? 0 : 1]
        try replicas.broadcastFromReplica(&found, root: 0)
        if found[0] == 1 {
            // Replica 0's file, sent to the others as bytes.
            try Shape.validate(shape, "image view cache")
            var bytes = stored.map { $0.inputs.scalars.withUnsafeBytes { [UInt8]($0) } } ?? [UInt8](repeating: 0, count: Shape.count(shape) * 4)
            try replicas.broadcastFromReplica(&bytes, root: 0)
            if let stored { return stored }
            return try ImageViewCache(inputs: Tensor(shape: shape, scalars: bytes.withUnsafeBytes { [Float]($0.bindMemory(to: Float.self)) }), views: settings.views)
        }
        // Each replica prepares its batches; the others' entries stay zero, so the sum holds every share exactly.
        var storage = try emptyStorage(dataset: dataset, settings: settings)
        let batches = batchCount(total, batchSize), (rank, ranks) = (replicas.replicaIndex, replicas.replicaCount)
        try compute(dataset: dataset, encoder: encoder, settings: settings, batchSize: batchSize, workers: workers, into: &storage,
                    batches: rank * batches / ranks ..< (rank + 1) * batches / ranks, progress: progress)
        try replicas.sumOverReplicas(&storage)
        return try written(ImageViewCache(inputs: Tensor(shape: shape, scalars: storage), views: settings.views))
    }

    static func batchCount(_ total: Int, _ batchSize: Int) -> Int { (total + max(batchSize, 1) - 1) / max(batchSize, 1) }

    /// Zeros for every view of every image of `dataset`, refusing sizes that cannot be held.
    static func emptyStorage(dataset: SpokenImageDataset, settings: Settings) throws -> [Float] {
        let views = settings.views, total = dataset.count * views
        guard views >= 1, total > 0 else { throw SENError.invalidInput("image view cache: no images or views") }
        try Shape.validate([total] + settings.inputShape, "image view cache")
        return [Float](repeating: 0, count: total * settings.inputShape.reduce(1, *))
    }

    /// Prepares the entries of batches `batches` (of `batchSize` consecutive image-major entries) into `storage`.
    static func compute(dataset: SpokenImageDataset, encoder: any SENImageEncoder, settings: Settings, batchSize: Int, workers: Int,
                        into storage: inout [Float], batches: Range<Int>, progress: (Int, Int) -> Void) throws {
        let views = settings.views, total = dataset.count * views, size = max(batchSize, 1)
        let width = settings.inputShape.reduce(1, *)
        let augment = settings.mode == .augmented
        let share = batches.isEmpty ? 0 : min(batches.upperBound * size, total) - batches.lowerBound * size
        var done = 0
        for batch in batches {
            let range = batch * size ..< min((batch + 1) * size, total)
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
            done += range.count
            progress(done, share)
        }
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

