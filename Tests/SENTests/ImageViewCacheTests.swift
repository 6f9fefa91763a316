import Foundation
import S2IGANDatasets
import S2IGANTensor
import TestSupport
import Testing
@testable import S2IGANSEN

/// The image-view cache of a data-parallel job is built once, in shares, and equals one process's cache.
@Suite struct ImageViewCacheTests {
    static func settings(_ dataset: SpokenImageDataset, _ encoder: ConvImageEncoder) -> ImageViewCache.Settings {
        ImageViewCache.Settings(encoder: "pixels", inputShape: encoder.inputShape, views: 3, mode: .augmented, imageSize: 64, seed: 9,
                                keys: ImageViewCache.fingerprint(dataset))
    }

    @Test func replicasBuildTheirSharesAndAgreeWithOneProcess() throws {
        let root = try tinySpokenFlowers()
        defer { try? FileManager.default.removeItem(at: root) }
        let dataset = try SpokenImageDataset.open(kind: .spokenFlowers, root: root, split: .train)
        let encoder = try ConvImageEncoder(inputSize: 32, channels: [4, 8], embeddingSize: 10)
        let settings = Self.settings(dataset, encoder)
        // 48 images × 3 views in batches of 5: 29 batches, so the three shares differ in size (9, 10, 10 batches).
        let single = try ImageViewCache.build(dataset: dataset, encoder: encoder, settings: settings, batchSize: 5)
        #expect(single.inputs.shape == [dataset.count * 3, 3, 32, 32])
        let url = root.appendingPathComponent("cache/train-views.safetensors")
        let run: @Sendable () throws -> [(scalars: [Float], prepared: Int)] = {
            try ThreadReplicas.run(3) { replicas in
                let dataset = try SpokenImageDataset.open(kind: .spokenFlowers, root: root, split: .train)
                let encoder = try ConvImageEncoder(inputSize: 32, channels: [4, 8], embeddingSize: 10)
                var prepared = 0
                let cache = try ImageViewCache.loadOrBuild(at: url, dataset: dataset, encoder: encoder, settings: Self.settings(dataset, encoder),
                                                           batchSize: 5, workers: 1, replicas: replicas) { done, _ in prepared = done }
                return (cache.inputs.scalars, prepared)
            }
        }
        let built = try run()
        let entries = dataset.count * 3
        #expect(built.map(\.prepared) == [9 * 5, 10 * 5, entries - 19 * 5], "each replica prepares its share only")
        // Compared as one Bool, so that a failure does not print the arrays.
        let expected = single.inputs.scalars
        for (rank, result) in built.enumerated() {
            let same = result.scalars == expected
            #expect(same, "replica \(rank) must hold every view, as one process builds them")
        }
        // Replica 0 wrote the file; one process reads it back.
        let reread = try ImageViewCache.loadOrBuild(at: url, dataset: dataset, encoder: encoder, settings: settings) { _, _ in
            Issue.record("the written cache must be reused, not rebuilt")
        }
        let reused = reread.inputs.scalars == expected
        #expect(reused)
        // Next time replica 0 finds the file and sends it: nobody prepares anything.
        let again = try run()
        #expect(again.map(\.prepared) == [0, 0, 0])
        for (rank, result) in again.enumerated() {
            let same = result.scalars == expected
            #expect(same, "replica \(rank) must hold replica 0's file")
        }
        // A cache made with other settings is not reused.
        var other = settings
        other.seed = 10
        var rebuilt = 0
        _ = try ImageViewCache.loadOrBuild(at: url, dataset: dataset, encoder: encoder, settings: other, batchSize: 5) { done, _ in rebuilt = done }
        #expect(rebuilt == entries)
    }
}
