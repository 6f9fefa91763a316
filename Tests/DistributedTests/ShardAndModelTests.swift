import Testing
@testable import S2IGANDistributed

/// The parts of the distributed layer that need no second process (the collectives themselves are tested under
/// `mpirun` by the CLI tests): how work is split, and the α–β model of an all-reduce.
@Suite struct ShardAndModelTests {
    @Test func shardsSplitItemsAndWholeBatches() {
        #expect(Shard(rank: 1, count: 3).indices(of: 8) == [1, 4, 7])
        #expect(Shard.whole.indices(of: 3) == [0, 1, 2] && Shard.whole.owns(2))
        // Batches of 3 over 2 ranks: batches [0,1,2] [3,4,5] [6,7] → rank 0 the first and third, rank 1 the second.
        #expect(Shard(rank: 0, count: 2).indices(of: 8, inBatchesOf: 3) == [0, 1, 2, 6, 7])
        #expect(Shard(rank: 1, count: 2).indices(of: 8, inBatchesOf: 3) == [3, 4, 5])
        // Every item exactly once over the ranks.
        for (total, batch, ranks) in [(10, 3, 3), (7, 1, 4), (5, 8, 2), (0, 2, 2)] {
            let all = (0..<ranks).flatMap { Shard(rank: $0, count: ranks).indices(of: total, inBatchesOf: batch) }
            #expect(all.sorted() == Array(0..<total), "\(total) items, batches of \(batch), \(ranks) ranks")
        }
    }

    /// The ring all-reduce cost by hand, and a fit that recovers the constants of timings made from them.
    @Test func ringCostAndFit() throws {
        let model = AllReduceModel(alpha: 2e-6, beta: 1e-9)
        // 4 ranks, 1 MB: 6 steps · 2 µs + 6/4 · 2²⁰ B · 1 ns.
        #expect(abs(model.seconds(bytes: 1_048_576, ranks: 4) - (12e-6 + 1.5 * 1_048_576e-9)) < 1e-15)
        #expect(model.seconds(bytes: 1e9, ranks: 1) == 0)
        #expect(model.onLink(bitsPerSecond: 10e9).beta == 8 / 10e9)
        let timings = [4, 4096, 1 << 20, 64 << 20].map { (bytes: $0, seconds: model.seconds(bytes: Double($0), ranks: 2)) }
        let fitted = try AllReduceModel.fit(timings, ranks: 2)
        #expect(abs(fitted.alpha - 2e-6) < 1e-12 && abs(fitted.beta - 1e-9) < 1e-15, "\(fitted)")
        #expect(throws: DistributedError.self) { try AllReduceModel.fit([(bytes: 4, seconds: 1e-6)], ranks: 2) }
    }
}

@Suite struct DataParallelScalingTests {
    /// Two networks of 30 MB and 10 MB in 25 MB buckets: 25 + 5 + 10 MB, three all-reduces; computation halves per
    /// doubling; more ranks than images is not possible.
    @Test func iterationTimeByHand() {
        let link = AllReduceModel(alpha: 1e-5, beta: 1e-9)
        let mb = 1 << 20
        let scaling = DataParallelScaling(computeSeconds: 8, gradientBytes: [30 * mb, 10 * mb], globalBatch: 4, communication: link)
        let expected = link.seconds(bytes: Double(25 * mb), ranks: 2) + link.seconds(bytes: Double(5 * mb), ranks: 2) + link.seconds(bytes: Double(10 * mb), ranks: 2)
        #expect(abs(scaling.communicationSeconds(ranks: 2) - expected) < 1e-12)
        #expect(abs((scaling.iterationSeconds(ranks: 2) ?? 0) - (4 + expected)) < 1e-12)
        #expect(scaling.iterationSeconds(ranks: 1) == 8 && scaling.iterationSeconds(ranks: 5) == nil)
    }
}
