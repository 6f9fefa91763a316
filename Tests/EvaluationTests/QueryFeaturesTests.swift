import Foundation
import S2IGANEvaluation
import S2IGANFormats
import S2IGANTensor
import TestSupport
import Testing
import S2IGANVision

/// The query features of `eval map` / `eval recall` and the R@k gallery's names.
@Suite struct QueryFeaturesTests {
    @Test func precomputedFeaturesAreReadByStemAndChecked() throws {
        let folder = temporaryRoot("query-features")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("001.Albatross"), withIntermediateDirectories: true)
        let a = try Tensor(shape: [1, 2048], scalars: (0..<2048).map { Float($0) })
        let b = try Tensor(shape: [2048], scalars: (0..<2048).map { -Float($0) })
        try NPY.write(a, to: folder.appendingPathComponent("001.Albatross/img_1.npy"))
        try NPY.write(b, to: folder.appendingPathComponent("noext.npy"))
        let rows = try ImageSetMetrics.precomputedFeatures(of: ["001.Albatross/img_1.jpg", "noext"], in: folder)
        #expect(rows.shape == [2, 2048] && rows.scalars[2047] == 2047 && rows.scalars[2048 + 5] == -5)
        try NPY.write(try Tensor(shape: [1, 10], scalars: Array(repeating: 0, count: 10)), to: folder.appendingPathComponent("short.npy"))
        let error = try #require(throws: EvaluationError.self) { try ImageSetMetrics.precomputedFeatures(of: ["short.png"], in: folder) }
        #expect("\(error)".contains(folder.appendingPathComponent("short.npy").path) && "\(error)".contains("expected (1, 2048)"), "\(error)")
    }

    /// A cache of the right size is used without running the network (the files need not even exist); one of
    /// another size is recomputed and replaced.
    @Test func cachedFeaturesAreUsedOnlyAtTheRightSize() throws {
        let folder = temporaryRoot("query-cache")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let metrics = ImageSetMetrics(network: try InceptionV3(variant: .torchvision, auxiliaryClassifier: false), batchSize: 2)
        let cache = folder.appendingPathComponent("cache.npy")
        let stored = try Tensor(shape: [2, 2048], scalars: (0..<4096).map { Float($0) / 4096 })
        try NPY.write(stored, to: cache)
        let absent = [folder.appendingPathComponent("a.png"), folder.appendingPathComponent("b.png")]
        #expect(try metrics.features(of: absent, range: .unit, cache: cache).isIdentical(to: stored))
        // Three files against a cache of two: the network runs (and names the missing image).
        let three = absent + [folder.appendingPathComponent("c.png")]
        #expect(throws: EvaluationError.self) { try metrics.features(of: three, range: .unit, cache: cache) }
        let image = folder.appendingPathComponent("real.png")
        try RGBImage(width: 80, height: 80, pixels: (0..<(80 * 80 * 3)).map { UInt8($0 % 251) }).write(to: image)
        let computed = try metrics.features(of: [image], range: .unit, cache: cache)
        #expect(computed.shape == [1, 2048])
        #expect(try NPY.readTensor(cache).isIdentical(to: computed))
    }

    @Test func theRecallGalleryNamesEveryCaptionOfEveryKey() {
        let folder = URL(fileURLWithPath: "/gen/epoch5")
        let gallery = ImageSetMetrics.recallGallery(keys: ["a/1", "b/2"], captions: 2, in: folder)
        #expect(gallery.files.map(\.path) == ["/gen/epoch5/a/1_256_sentence0.png", "/gen/epoch5/a/1_256_sentence1.png",
                                              "/gen/epoch5/b/2_256_sentence0.png", "/gen/epoch5/b/2_256_sentence1.png"])
        #expect(gallery.owners == [0, 0, 1, 1])
    }
}
