import ArgumentParser
import Foundation
import S2IGANDatasets
import S2IGANFormats
import S2IGANTensor
import S2IGANVision

/// Data loading as SEN training does it, on a generated Oxford-layout tree (500×375 JPEGs, 10 captions each):
/// JPEG decoding, resize to 304, random 256 crop and flip, one random caption, collated into padded batches on
/// background threads by ``BatchLoader``.
public struct LoaderBenchmark {
    public var images: Int
    public var batch: Int
    public var workers: Int
    public var timing: Timing

    public init(images: Int = 96, batch: Int = 32, workers: Int = 2, timing: Timing = Timing()) throws {
        guard batch > 0, workers > 0 else { throw ValidationError("--batch and --workers must be positive") }
        guard images >= batch else { throw ValidationError("--images (\(images)) must be at least one --batch (\(batch))") }
        (self.images, self.batch, self.workers, self.timing) = (images, batch, workers, timing)
    }

    /// One "loader" record: milliseconds per epoch (every full batch) and items per second. The tree is written
    /// to and removed from the temporary folder.
    public func run(_ emit: (BenchmarkRecord) -> Void) throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("s2igan-loader-bench-\(getpid())-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try Self.writeOxfordTree(images: images, to: root)
        let dataset = try SpokenImageDataset.open(kind: .oxford, root: root, split: .train)
        let order = EpochOrder(count: dataset.count, batchSize: batch, seed: 1)
        var epoch = 0
        let workers = self.workers
        let t = try timing.median {
            let batches = order.batches(epoch: epoch)
            let e = epoch
            let loader = BatchLoader(count: batches.count, workers: workers, prefetch: 4) { @Sendable b in
                try SENBatch.collate(batches[b].map { i in
                    var rng = RandomStreams.generator(seed: 1, epoch: e, index: i)
                    return try dataset.senItem(at: i, captions: .random, using: &rng)
                })
            }
            while try loader.next() != nil {}
            epoch += 1
        }
        let items = Double(order.batchCount * batch)
        var row = benchmarkContext()
        row.merge(["bench": "loader", "images": images, "batch": batch, "workers": workers, "ms_per_epoch": t.milliseconds,
                   "items_per_s": items / (t.milliseconds / 1000), "iters": t.runs]) { $1 }
        emit(row)
    }

    /// `images` striped 500 × 375 JPEGs in 8 classes with 10 random log-mel captions each, and the train split files.
    static func writeOxfordTree(images: Int, to root: URL) throws {
        var rng = RandomGenerator(seed: 0)
        var keys: [String] = [], classes: [PickleValue] = []
        for i in 0..<images {
            let key = String(format: "class_%05d/image_%05d", i % 8 + 1, i + 1)
            keys.append(key)
            classes.append(.int(Int64(i % 8 + 1)))
            var pixels = [UInt8](repeating: 0, count: 500 * 375 * 3)
            for p in pixels.indices { pixels[p] = UInt8(truncatingIfNeeded: (p / 3 % 500) &+ (p / 1500) &* 3 &+ Int(rng.next() % 16)) }
            let imageURL = root.appendingPathComponent("Oxford102/images/\(key).jpg")
            try createFolder(imageURL.deletingLastPathComponent())
            try RGBImage(width: 500, height: 375, pixels: pixels).write(to: imageURL, format: .jpeg(quality: 90))
            let melURL = root.appendingPathComponent("Oxford102/audio_mel/\(key).npy")
            try createFolder(melURL.deletingLastPathComponent())
            try NPY.writeMatrices((0..<10).map { _ in try Tensor.normal([150 + rng.nextInt(below: 300), 40], using: &rng) }, to: melURL)
        }
        try createFolder(root.appendingPathComponent("train"))
        try PickleWriter.write(.list(keys.map { .string($0) }), to: root.appendingPathComponent("train/filenames.pickle"))
        try PickleWriter.write(.list(classes), to: root.appendingPathComponent("train/class_info.pickle"))
    }
}
