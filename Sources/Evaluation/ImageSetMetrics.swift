import S2IGANAutograd
import Foundation
import S2IGANMetrics
import S2IGANTensor
import S2IGANVision
import S2IGANFormats
import S2IGANDistributed

/// The metrics of spec 4 on image files: the Inception network runs on the images, the statistics on its outputs.
public struct ImageSetMetrics {
    /// torchvision's ImageNet Inception-v3 (IS, mAP, R@k) or pytorch-fid's (FID, KID, torch-fidelity IS).
    public let network: InceptionV3
    public var batchSize: Int
    /// Called with (done, total) after each batch.
    public var progress: ((Int, Int) -> Void)?
    /// Which FID ``statistics(of:)`` computes; its ``FIDVariant/network`` must be ``network``'s.
    public var fidVariant: FIDVariant
    /// With the ranks of an MPI job, every feature extraction is split over them by whole batches and joined on every
    /// rank (``ImageFeatureExtractor/features(of:group:progress:)``), so each rank computes the single-process numbers.
    public var group: ProcessGroup?

    public init(network: InceptionV3, batchSize: Int = 50, fidVariant: FIDVariant = .pytorchFID, progress: ((Int, Int) -> Void)? = nil) {
        (self.network, self.batchSize, self.progress, self.fidVariant) = (network.frozenForInference(), batchSize, progress, fidVariant)
    }

    /// The images of a folder to evaluate (`.jpg`, `.jpeg`, `.png`, recursively, sorted by relative path); a
    /// folder without any is an error naming it, raised before any network runs.
    public static func imageFiles(in folder: URL) throws -> [URL] {
        let files = try ImageFeatureExtractor.imageFiles(in: folder)
        guard !files.isEmpty else { throw EvaluationError.file(path: folder.path, reason: "holds no .jpg, .jpeg or .png images to evaluate") }
        return files
    }

    /// Pooled 2048-d features of `files` in `range`; an unreadable file is an error naming it.
    public func features(of files: [URL], range: PixelRange, preprocessing: ImageFeatureExtractor.Preprocessing = .bilinear) throws -> Tensor {
        guard !files.isEmpty else { throw EvaluationError.invalidRequest("no image files to evaluate") }
        let extractor = try ImageFeatureExtractor(model: network, range: network.variant == .fid ? .unit : range, batchSize: batchSize,
                                                  preprocessing: preprocessing)
        let result = try group.map { try extractor.features(of: files, group: $0, progress: progress) } ?? extractor.features(of: files, progress: progress)
        var failures = [Int64(result.failures.count)]
        try group?.allReduce(&failures)
        if let (url, reason) = result.failures.first {
            throw EvaluationError.file(path: url.path, reason: "image: \(reason)" + (result.failures.count > 1 ? " (and \(result.failures.count - 1) more)" : ""))
        }
        // Every rank stops together: the ones without a failure of their own say where it is.
        if failures[0] > 0 { throw EvaluationError.invalidRequest("\(failures[0]) image(s) read by other ranks failed") }
        return result.features
    }

    /// The Inception Score of `files`: with torchvision's network the reference's (1000 classes with bias, images
    /// in [−1, 1], splits of ⌊N/10⌋); with pytorch-fid's the torch-fidelity variant (1008 classes without bias,
    /// every image used; torch-fidelity also shuffles the images first, which we do not).
    public func inceptionScore(of files: [URL], splits: Int = 10) throws -> InceptionScore.Score {
        let pooled = try features(of: files, range: .signed)
        let fidelity = network.variant == .fid
        let logits = try GradientMode.withoutGradient { try network.logits(pooled: Variable(pooled), bias: !fidelity).value }
        return try InceptionScore.score(logits: logits, splits: splits, splitting: fidelity ? .fidelity : .reference)
    }

    /// The Gaussian fit of the pool3 features of `files` as ``fidVariant`` computes them.
    public func statistics(of files: [URL]) throws -> GaussianStatistics {
        guard network.variant == fidVariant.network else {
            throw EvaluationError.invalidRequest("\(fidVariant.rawValue) FID statistics need the \(fidVariant.network == .fid ? "pytorch-fid" : "torchvision") Inception network")
        }
        switch fidVariant {
        case .pytorchFID: return try GaussianStatistics(features: features(of: files, range: .unit))
        case .torchvision: return try GaussianStatistics(features: features(of: files, range: .signed))
        case .cleanFID: return try GaussianStatistics(features: features(of: files, range: .unit, preprocessing: .cleanFID))
        }
    }

    /// Whether `url` names a statistics file (`.npz` with `mu` and `sigma`, pytorch-fid's) rather than a folder of images.
    public static func isStatisticsFile(_ url: URL) -> Bool { url.pathExtension.lowercased() == "npz" }

    /// FID between two sides as pytorch-fid's command line takes them: each a statistics file or a folder of
    /// images. Both folders are listed (an empty one is an error naming it) before `metrics` is asked for the
    /// network, which happens only when a side is a folder; two statistics files need no network.
    public static func frechetDistance(_ first: URL, _ second: URL, metrics: () throws -> ImageSetMetrics) throws -> Double {
        let sides = [first, second]
        let files = try sides.map { isStatisticsFile($0) ? nil : try imageFiles(in: $0) }
        let network = files.contains { $0 != nil } ? try metrics() : nil
        let statistics = try zip(sides, files).map { side, images -> GaussianStatistics in
            if let images, let network { return try network.statistics(of: images) }
            return try GaussianStatistics.read(side)
        }
        return try FeatureDistance.frechet(statistics[0], statistics[1])
    }

    /// Query features of real images as the reference's R@k script makes them: shorter side resized to 299 (Pillow
    /// bilinear), centre crop 299, [0, 1], the trunk.
    public func realImageFeatures(of files: [URL]) throws -> Tensor {
        guard batchSize >= 1 else { throw EvaluationError.invalidRequest("batch size \(batchSize) (need at least 1)") }
        var rows: [Tensor] = []
        for start in stride(from: 0, to: files.count, by: batchSize) {
            let chunk = Array(files[start..<min(start + batchSize, files.count)])
            let images = try chunk.map { url -> RGBImage in
                do { return try RGBImage.read(url).resized(shorterSide: 299).centerCropped(width: 299, height: 299) } catch let error as any S2IGANError {
                    if error.filePath != nil { throw error }
                    throw EvaluationError.file(path: url.path, reason: "\(readableDescription(of: error))")
                }
            }
            let batch = try Tensor.batch(images, range: .unit)
            rows.append(try GradientMode.withoutGradient { try network.pooledFeatures(Variable(batch)).value })
            progress?(min(start + batchSize, files.count), files.count)
        }
        return try Tensor.concatenate(rows, axis: 0)
    }
}
