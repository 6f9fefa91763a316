import ArgumentParser
import Foundation
import S2IGANGAN
import S2IGANSEN
import S2IGANTensor
import S2IGANTraining
import S2IGANVision
#if canImport(Glibc)
import Glibc
#endif

/// One full RDG training iteration through ``RDGTrainingStep`` (three D updates, the RS update, the G update,
/// the moving average) with random weights and inputs, the shapes of `shared/bench/04_rdg_gan.py`.
public struct GANStepBenchmark {
    public var stages: Int
    public var batch: Int
    /// With the relation supervisor (and its Inception-v3 embedder).
    public var relation: Bool
    /// Timed iterations after one warm-up.
    public var iterations: Int
    /// Data-parallel: `batch` is the global batch, each rank computes its share and the gradients are averaged (the
    /// trainer's ``DataParallel``); the record adds the ranks, the communication time and the bytes all-reduced.
    public var parallel: DataParallel?

    public init(stages: Int = 3, batch: Int = 24, relation: Bool = true, iterations: Int = 3, parallel: DataParallel? = nil) throws {
        guard (1...3).contains(stages) else { throw ValidationError("--stages must be 1, 2 or 3, got \(stages)") }
        guard batch > 0 else { throw ValidationError("--batch must be positive, got \(batch)") }
        if let parallel { try parallel.checkDivides(globalBatch: batch) }
        (self.stages, self.batch, self.relation, self.iterations, self.parallel) = (stages, batch, relation, max(1, iterations), parallel)
    }

    /// One "rdg_gan_step" record with the median iteration's phase times and the process's peak memory.
    public func run(_ emit: (BenchmarkRecord) -> Void) throws {
        let a = RDGArchitecture(stages: stages)
        let networks = try RDGNetworks(architecture: a, relation: relation, seed: 0)
        var embedder: RelationEmbedder?
        if relation {
            let trunk = try InceptionV3(variant: .torchvision, auxiliaryClassifier: false)
            embedder = RelationEmbedder(encoder: try InceptionImageEncoder(embeddingSize: 1024, backbone: FrozenBackbone(network: trunk)))
        }
        let step = try RDGTrainingStep(generator: networks.generator, discriminators: networks.discriminators, relationSupervisor: networks.relation,
                                       embedder: embedder, losses: RDGLossSettings(relation: relation ? 1 : 0))
        parallel?.prepare(networks)
        step.parallel = parallel
        // Every rank has built its networks: the watchdog (--timeout) starts here, as it does in training.
        try parallel?.startTraining()
        // The global batch's data, and this rank's rows of it.
        let rows = parallel?.shard(of: batch) ?? 0..<batch
        func mine(_ t: Tensor) throws -> Tensor { parallel == nil ? t : try t.slice(axis: 0, start: rows.lowerBound, end: rows.upperBound) }
        var rng = RandomGenerator(seed: 1)
        let sizes = a.imageSizes
        let data = RDGBatch(real: try sizes.map { try mine(Tensor.uniform([batch, 3, $0, $0], low: -1, high: 1, using: &rng)) },
                            wrong: try sizes.map { try mine(Tensor.uniform([batch, 3, $0, $0], low: -1, high: 1, using: &rng)) },
                            similar: try mine(Tensor.uniform([batch, 3, 64 << (stages - 1), 64 << (stages - 1)], low: -1, high: 1, using: &rng)),
                            embeddings: try mine(Tensor.normal([batch, a.speechEmbeddingSize], using: &rng)))
        let z = try mine(Tensor.normal([batch, a.noiseSize], using: &rng)), epsilon = try mine(Tensor.normal([batch, a.conditionSize], using: &rng))
        try step.run(data, noise: z, epsilon: epsilon)
        parallel?.resetCounters()
        var runs: [(ms: Double, phases: RDGPhaseTimes)] = []
        for _ in 0..<iterations {
            let start = DispatchTime.now().uptimeNanoseconds
            try step.run(data, noise: z, epsilon: epsilon)
            runs.append((Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6, step.lastPhaseTimes))
        }
        runs.sort { $0.ms < $1.ms }
        let times = runs.map(\.ms), median = runs[runs.count / 2].phases
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let ms = times[times.count / 2]
        var row = benchmarkContext()
        row.merge(["bench": "rdg_gan_step", "branches": stages, "batch": batch, "rs": relation, "ms_median": ms, "iters": times.count,
                   "img_per_s": Double(batch) / (ms / 1000), "peak_rss_gib": Double(usage.ru_maxrss) / 1_048_576,
                   "phases_ms": median.milliseconds]) { $1 }
        if let parallel {
            let n = Double(times.count)
            row.merge(["ranks": parallel.count, "rank_batch": rows.count, "sync_bn": parallel.synchroniseBatchNorm,
                       "comm_ms_per_iter": parallel.communicationSeconds * 1000 / n, "allreduces_per_iter": Double(parallel.reductions) / n,
                       "allreduce_mb_per_iter": Double(parallel.bytesReduced) / 1_048_576 / n,
                       "bucket_mb": Double(parallel.bucketBytes) / 1_048_576]) { $1 }
        }
        if parallel?.isRoot ?? true { emit(row) }
    }
}
