import ArgumentParser
import Foundation
import S2IGANEvaluation
import S2IGANFormats
import S2IGANTensor
import S2IGANVision

/// FID statistics end to end from PNG files, as `python -m pytorch_fid` computes them, through ``ImageSetMetrics``
/// (what `s2igan eval fid` runs): decode, [0, 1], bilinear 299, pytorch-fid's Inception network (random weights),
/// pool3 features, mean and covariance in Double. The PyTorch side is `Tools/bench/torch_fid.py` on the same folder.
public struct FIDBenchmark {
    /// Folder of images; when it holds none, `count` synthetic 256 × 256 PNGs are written into it first.
    public var images: URL
    public var count: Int
    public var batch: Int
    /// Timed passes over the whole folder (the median is reported).
    public var runs: Int

    public init(images: URL, count: Int = 200, batch: Int = 50, runs: Int = 1) throws {
        guard count > 0 else { throw ValidationError("--count must be positive, got \(count)") }
        guard batch > 0 else { throw ValidationError("--batch must be positive, got \(batch)") }
        (self.images, self.count, self.batch, self.runs) = (images, count, batch, max(1, runs))
    }

    /// One "fid_end_to_end" record.
    public func run(_ emit: (BenchmarkRecord) -> Void) throws {
        var files = (try? ImageFeatureExtractor.imageFiles(in: images)) ?? []
        if files.isEmpty {
            try Self.writeSyntheticImages(count: count, to: images)
            files = try ImageFeatureExtractor.imageFiles(in: images)
        }
        let metrics = ImageSetMetrics(network: try InceptionV3(variant: .fid), batchSize: batch)
        // Warm-up on one batch (page-faults the weights and the buffers in), then whole passes.
        _ = try metrics.features(of: Array(files.prefix(batch)), range: .unit)
        var times: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try metrics.statistics(of: files)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times.sort()
        let seconds = times[times.count / 2]
        var row = benchmarkContext()
        row.merge(["bench": "fid_end_to_end", "images": files.count, "batch": batch, "runs": times.count, "seconds": seconds,
                   "img_per_s": Double(files.count) / seconds, "ms_per_img": seconds * 1000 / Double(files.count)]) { $1 }
        emit(row)
    }

    /// Smooth random 256 × 256 pictures (a coarse random grid, bilinearly enlarged), so PNG decoding costs what
    /// it costs on photographs rather than on noise or flat colour.
    public static func writeSyntheticImages(count: Int, to folder: URL) throws {
        try createFolder(folder)
        var rng = RandomGenerator(seed: 42)
        for index in 0..<count {
            let coarse = try Tensor.uniform([8, 8, 3], low: 0, high: 255, using: &rng).scalars.map { UInt8($0) }
            let image = try RGBImage(width: 8, height: 8, pixels: coarse).resized(width: 256, height: 256)
            try image.write(to: folder.appendingPathComponent(String(format: "img%05d.png", index)))
        }
    }
}
