import S2IGANDistributed

/// All-reduce timings of Float buffers from 4 bytes to `largest` bytes (powers of 4) across the ranks of an MPI job,
/// and the α–β model fitted to them (``AllReduceModel``): the constants of the scaling model in `Docs/distributed.md`.
public struct AllReduceBenchmark {
    public var largest: Int
    public var repetitions: Int

    public init(largest: Int = 64 << 20, repetitions: Int = 10) { (self.largest, self.repetitions) = (largest, repetitions) }

    /// The buffer sizes, in bytes.
    public var sizes: [Int] { Array(sequence(first: 4) { $0 * 4 }.prefix { $0 <= largest }) }

    /// One record per size (rank 0 emits; every rank must call this), then one with the fitted α and β.
    public func run(group: ProcessGroup, _ emit: (BenchmarkRecord) -> Void) throws {
        var timings: [(bytes: Int, seconds: Double)] = []
        for bytes in sizes {
            var values = [Float](repeating: Float(group.rank), count: bytes / 4)
            try group.allReduce(&values)  // a warm-up: the first collective of a size sets up its buffers
            let seconds = try group.timeAllReduce(&values, repetitions: repetitions)
            timings.append((bytes, seconds))
            var row = benchmarkContext()
            row.merge(["bench": "allreduce", "ranks": group.size, "bytes": bytes, "ms_median": seconds * 1000, "iters": repetitions,
                       "gb_per_s": Double(bytes) / seconds / 1e9]) { $1 }
            if group.isRoot { emit(row) }
        }
        guard group.size > 1 else { return }
        let model = try AllReduceModel.fit(timings, ranks: group.size)
        var row = benchmarkContext()
        row.merge(["bench": "allreduce_model", "ranks": group.size, "alpha_us": model.alpha * 1e6, "beta_ns_per_byte": model.beta * 1e9,
                   "sizes": timings.count]) { $1 }
        if group.isRoot { emit(row) }
    }
}
