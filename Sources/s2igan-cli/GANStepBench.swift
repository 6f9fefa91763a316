import ArgumentParser
import Foundation
import S2IGANGAN
import S2IGANNN
import S2IGANSEN
import S2IGANTensor
import S2IGANVision
#if canImport(Glibc)
import Glibc
#endif

/// One full RDG training iteration (three D updates, the RS update, the G update, the moving average) with
/// random weights and inputs, the shapes of shared/bench/04_rdg_gan.py.
struct GANStepBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gan-step",
        abstract: "One RDG training iteration at the reference configuration (or fewer stages), with or without the relation supervisor; prints ms per iteration and peak memory."
    )

    @OptionGroup var options: BenchOptions

    @Option(help: "Generator stages (1–3).") var stages = 3
    @Option(help: "Batch size.") var batch = 24
    @Flag(help: "Without the relation supervisor (and its Inception-v3 embedder).") var noRs = false
    @Option(help: "Timed iterations (after one warm-up).") var iters = 3

    func run() throws {
        options.apply()
        let a = RDGArchitecture(stages: stages)
        let relation = !noRs
        let networks = try RDGNetworks(architecture: a, relation: relation, seed: 0)
        var embedder: RelationEmbedder?
        if relation {
            let trunk = try InceptionV3(variant: .torchvision, auxiliaryClassifier: false)
            embedder = RelationEmbedder(encoder: try InceptionImageEncoder(embeddingSize: 1024, backbone: FrozenBackbone(network: trunk)))
        }
        let step = try RDGTrainingStep(generator: networks.generator, discriminators: networks.discriminators, relationSupervisor: networks.relation,
                                       embedder: embedder, losses: RDGLossSettings(relation: relation ? 1 : 0))
        var rng = RandomGenerator(seed: 1)
        let sizes = a.imageSizes
        let data = RDGBatch(real: try sizes.map { try Tensor.uniform([batch, 3, $0, $0], low: -1, high: 1, using: &rng) },
                            wrong: try sizes.map { try Tensor.uniform([batch, 3, $0, $0], low: -1, high: 1, using: &rng) },
                            similar: try Tensor.uniform([batch, 3, 64 << (stages - 1), 64 << (stages - 1)], low: -1, high: 1, using: &rng),
                            embeddings: try Tensor.normal([batch, a.speechEmbeddingSize], using: &rng))
        let z = try Tensor.normal([batch, a.noiseSize], using: &rng), epsilon = try Tensor.normal([batch, a.conditionSize], using: &rng)
        try step.run(data, noise: z, epsilon: epsilon)
        var runs: [(ms: Double, phases: RDGPhaseTimes)] = []
        for _ in 0..<max(1, iters) {
            let start = DispatchTime.now().uptimeNanoseconds
            try step.run(data, noise: z, epsilon: epsilon)
            runs.append((Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6, step.lastPhaseTimes))
        }
        runs.sort { $0.ms < $1.ms }
        let times = runs.map(\.ms), median = runs[runs.count / 2].phases
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let ms = times[times.count / 2]
        var row = options.context
        row.merge(["bench": "rdg_gan_step", "branches": stages, "batch": batch, "rs": relation, "ms_median": ms, "iters": times.count,
                   "img_per_s": Double(batch) / (ms / 1000), "peak_rss_gib": Double(usage.ru_maxrss) / 1_048_576,
                   "phases_ms": median.milliseconds]) { $1 }
        printJSON(row)
    }
}
