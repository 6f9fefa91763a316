import ArgumentParser
import S2IGANDatasets
import Foundation
import S2IGANTensor
import S2IGANVision
import S2IGANFormats

/// Data loading as SEN training does it: JPEG decoding, resize to 304, random 256 crop and flip, one random
/// caption, collated into padded batches on background threads.
struct LoaderBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loader",
        abstract: "SEN batches from a generated Oxford-layout tree (500×375 JPEGs, 10 captions each): items/s with decoding and 256 px transforms."
    )

    @OptionGroup var options: BenchOptions
    @Option(help: "Images in the generated tree.") var images = 96
    @Option(help: "Batch size.") var batch = 32
    @Option(help: "Loader threads.") var workers = 2

    func run() throws {
        options.apply()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("s2igan-loader-bench-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
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
        let dataset = try SpokenImageDataset.open(kind: .oxford, root: root, split: .train)
        let order = EpochOrder(count: dataset.count, batchSize: batch, seed: 1)
        var epoch = 0
        let t = try options.timing.median {
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
        var row = options.context
        row.merge(["bench": "loader", "images": images, "batch": batch, "workers": workers, "ms_per_epoch": t.milliseconds,
                   "items_per_s": items / (t.milliseconds / 1000), "iters": t.runs]) { $1 }
        printJSON(row)
    }
}
