/// Which items of a batch job one rank does: every `count`-th item from `rank` on, so the ranks' shares differ by at
/// most one item and neighbouring items (often of similar cost) spread over the ranks.
public struct Shard: Sendable, Equatable {
    public let rank: Int
    public let count: Int

    /// The whole job in one process.
    public static let whole = Shard(rank: 0, count: 1)

    public init(rank: Int, count: Int) {
        precondition(count >= 1 && (0..<count).contains(rank), "shard \(rank) of \(count)")
        (self.rank, self.count) = (rank, count)
    }

    /// Whether item `index` is this rank's.
    public func owns(_ index: Int) -> Bool { index % count == rank }

    /// This rank's items of `total`, ascending.
    public func indices(of total: Int) -> [Int] { Array(stride(from: rank, to: total, by: count)) }

    /// The items of the batches of `batchSize` this rank owns (every `count`-th batch), ascending: the work of a job
    /// whose results depend on how items are batched (GEMM kernels may sum in another order for another batch size),
    /// so every batch is the one a single process forms.
    public func indices(of total: Int, inBatchesOf batchSize: Int) -> [Int] {
        precondition(batchSize >= 1, "batch size \(batchSize)")
        return stride(from: rank * batchSize, to: total, by: count * batchSize).flatMap { $0..<min($0 + batchSize, total) }
    }
}

extension ProcessGroup {
    /// This rank's share of a batch job.
    public var shard: Shard { Shard(rank: rank, count: size) }

    /// Joins disjoint parts into the whole, on every rank: each element of `values` must be set by exactly one rank
    /// and be −∞ on every other one. The maximum over the ranks then is each element's one value, bit for bit
    /// (negative zeros included), so a sharded job writes exactly the single-process result. A NaN would not survive
    /// the maximum, so a part holding one is an error on its rank (which, under the CLI, ends the job naming it).
    public func combineDisjoint(_ values: inout [Float]) throws {
        if let bad = values.firstIndex(where: \.isNaN) {
            throw DistributedError.invalidRequest("rank \(rank): element \(bad) of its part is NaN, which the join would lose")
        }
        try allReduce(&values, .max)
    }
}
