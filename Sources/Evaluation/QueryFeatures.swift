import Foundation
import S2IGANDatasets
import S2IGANFormats
import S2IGANTensor
import S2IGANVision

/// The query side of the retrieval metrics (spec 4.2–4.3): features of real images, precomputed or computed once
/// and cached, and the galleries of generated images they are matched against.
extension ImageSetMetrics {
    /// The reference's precomputed query features: `<name without extension>.npy` in `folder`, each `(1, 2048)`,
    /// one row per name. A missing file or one of another size is an error naming it.
    public static func precomputedFeatures(of names: [String], in folder: URL) throws -> Tensor {
        let rows = try names.map { name -> Tensor in
            let stem = name.split(separator: ".").dropLast().joined(separator: ".")
            let url = folder.appendingPathComponent((stem.isEmpty ? name : stem) + ".npy")
            let t = try NPY.readTensor(url)
            guard t.count == InceptionV3.featureWidth else {
                throw EvaluationError.file(path: url.path, reason: "query features \(t.shape), expected (1, 2048)")
            }
            return try t.reshaped([1, InceptionV3.featureWidth])
        }
        return try Tensor.concatenate(rows, axis: 0)
    }

    /// Features of `files` in `range`, kept in `cache` (an `.npy`): a cache of one row per file is read instead of
    /// running the network; otherwise (absent, unreadable or of another size) the features are computed and the
    /// cache written. The cache records no file names: delete it when the list changes at the same length.
    public func features(of files: [URL], range: PixelRange, cache: URL?) throws -> Tensor {
        let cached = cache.flatMap { try? NPY.readTensor($0) }.flatMap { $0.shape == [files.count, InceptionV3.featureWidth] ? $0 : nil }
        // The ranks of a job agree whether to use the cache: one that computes would otherwise wait for the others.
        var usable = [Int64(cached == nil ? 0 : 1)]
        try group?.allReduce(&usable, .min)
        if let cached, usable[0] == 1 { return cached }
        let computed = try features(of: files, range: range)
        if let cache, group?.isRoot ?? true { try NPY.write(computed, to: cache) }
        return computed
    }

    /// The R@k gallery of `keys` under `folder`: `<key>_256_sentence<i>.png` for i < `captions`, key by key, with
    /// the index of each image's key (its owner among the queries).
    public static func recallGallery(keys: [String], captions: Int, in folder: URL) -> (files: [URL], owners: [Int]) {
        let files = keys.flatMap { key in
            (0..<captions).map { folder.appendingPathComponent(GeneratedImageName.fileName(key: key, size: 256, caption: $0)) }
        }
        return (files, keys.indices.flatMap { Array(repeating: $0, count: captions) })
    }
}
