import ArgumentParser
import Foundation
import S2IGANMetrics
import S2IGANTensor
import S2IGANEvaluation
import S2IGANVision
import S2IGANFormats

/// FID statistics end to end from PNG files, as `python -m pytorch_fid` computes them: decode, [0, 1], bilinear
/// 299, pytorch-fid's Inception network (random weights), pool3 features, mean and covariance in Double.
/// The PyTorch side is `Tools/bench/torch_fid.py` on the same folder.
struct FIDBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fid",
        abstract: "FID statistics end to end from PNG files (decode → 299 → FID Inception → mean/covariance), images per second; writes the images first if the folder has none."
    )

    @OptionGroup var options: BenchOptions

    @Option(help: "Folder of images (created with --count synthetic 256 × 256 PNGs if it holds none).")
    var images: String

    @Option(help: "Number of synthetic images to write when the folder is empty.")
    var count = 200

    @Option(help: "Images per batch (pytorch-fid's default is 50).")
    var batch = 50

    @Option(help: "Timed runs over the whole folder (the median is reported).")
    var runs = 1

    func run() throws {
        options.apply()
        let folder = URL(fileURLWithPath: images)
        var files = (try? ImageFeatureExtractor.imageFiles(in: folder)) ?? []
        if files.isEmpty {
            try Self.writeSyntheticImages(count: count, to: folder)
            files = try ImageFeatureExtractor.imageFiles(in: folder)
        }
        let metrics = ImageSetMetrics(network: try InceptionV3(variant: .fid), batchSize: batch)
        // Warm-up on one batch (page-faults the weights and the buffers in), then whole passes.
        _ = try metrics.features(of: Array(files.prefix(batch)), range: .unit)
        var times: [Double] = []
        for _ in 0..<max(1, runs) {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try metrics.statistics(of: files)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times.sort()
        let seconds = times[times.count / 2]
        var row = options.context
        row.merge(["bench": "fid_end_to_end", "images": files.count, "batch": batch, "runs": times.count, "seconds": seconds,
                   "img_per_s": Double(files.count) / seconds, "ms_per_img": seconds * 1000 / Double(files.count)]) { $1 }
        printJSON(row)
    }

    /// Smooth random 256 × 256 pictures (a coarse random grid, bilinearly enlarged), so PNG decoding costs what
    /// it costs on photographs rather than on noise or flat colour.
    static func writeSyntheticImages(count: Int, to folder: URL) throws {
        try createFolder(folder)
        var rng = RandomGenerator(seed: 42)
        for index in 0..<count {
            let coarse = try Tensor.uniform([8, 8, 3], low: 0, high: 255, using: &rng).scalars.map { UInt8($0) }
            let image = try RGBImage(width: 8, height: 8, pixels: coarse).resized(width: 256, height: 256)
            try image.write(to: folder.appendingPathComponent(String(format: "img%05d.png", index)))
        }
    }
}
