import Foundation
import S2IGANDatasets
import S2IGANFormats
import S2IGANTensor
import TestSupport
import Testing

/// `sen train` and `gan train --distributed` under `mpirun --oversubscribe -np 2` on a tiny spoken-flowers
/// configuration (global batch 4, two ranks of 2): with SyncBatchNorm two ranks train as one process does, and the
/// faults of a rank (a NaN, a hang, a death), mismatched ranks and a batch that does not split end the job with one
/// line naming the rank and the cause; a run killed on 2 ranks resumes on 1 and ends as the single-process run.
@Suite(.serialized) struct DataParallelTrainingTests {
    static let senConfiguration = """
        batch_size: 4
        epochs: 2
        validate_every: 1
        image_views: 2
        conv_channels: [4, 4, 4, 4]
        workers: 1
        speech_encoder:
          conv_channels: [8, 12]
          hidden_size: 8
          attention_hidden: 6
        """
    static let ganConfiguration = """
        batch_size: 4
        epochs: 2
        save_every: 1
        snapshot_every: 1
        workers: 1
        architecture:
          stages: 2
          generator_width: 4
          discriminator_width: 4
          noise_size: 6
          condition_size: 4
          speech_embedding_size: 16
          residual_blocks: 1
          relation_embedding_size: 16
          relation_hidden_size: 8
          embedding_scale: 4
        """

    /// Parameters whose gradient is zero in exact arithmetic, a bias right before a BatchNorm (which subtracts it
    /// again): Adam turns their rounding-noise gradients into ±lr steps, in PyTorch as here, so they (and the running
    /// means they shift) agree only within those steps. Every other weight must agree within `tight`.
    static let absorbedBiases = ["speech.Conv1.bias", "speech.bnorm1.bias", "speech.Conv2.bias", "speech.bnorm1.running_mean",
                                 "speech.bnorm2.running_mean", "relation.L1.bias", "relation.b1.running_mean"]
    static let tight: Float = 5e-5

    /// Every process of this test runs OpenBLAS's AVX2 kernels, whatever the machine, so that the float arithmetic
    /// (and so `tight`, which was measured) is the same everywhere. The ranks sum their halves of every weight
    /// gradient separately, then add them: another order than one process's sum over the whole batch, as in
    /// PyTorch's DDP. Adam turns the rounding differences of near-zero gradient entries into steps of up to ±lr; with
    /// the AVX-512 kernels that reached 4.3e-4 in the RDG (3.5e-5 in the SEN), with the AVX2 kernels 4.4e-6 (1.5e-5)
    /// on the same machine (Docs/distributed.md).
    static let kernels: [String: String] = BLAS.cpuHasAVX2AndFMA ? ["OPENBLAS_CORETYPE": "Haswell"] : [:]

    /// The largest difference of the model tensors of two checkpoints, over the tightly compared ones and over the
    /// absorbed biases.
    static func differences(_ a: URL, _ b: URL) throws -> (tight: Float, worst: String, absorbed: Float) {
        let (x, y) = (try SafeTensorsFile.read(a), try SafeTensorsFile.read(b))
        #expect(Set(x.arrays.keys) == Set(y.arrays.keys))
        var result: (tight: Float, worst: String, absorbed: Float) = (0, "", 0)
        for name in x.arrays.keys.sorted() where name.hasPrefix("model.") && !name.hasSuffix("num_batches_tracked") {
            let (p, q) = (try x.tensor(name).scalars, try y.tensor(name).scalars)
            let d = zip(p, q).map { abs($0 - $1) }.max() ?? 0
            if absorbedBiases.contains(where: { name.hasSuffix($0) }) {
                result.absorbed = max(result.absorbed, d)
            } else if d > result.tight {
                (result.tight, result.worst) = (d, name)
            }
        }
        return result
    }

    static func losses(_ run: URL) throws -> [[String: Any]] {
        try String(contentsOf: run.appendingPathComponent("log.jsonl"), encoding: .utf8).split(separator: "\n")
            .map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    func mpi(_ ranks: Int, _ arguments: [String], environment: [String: String] = [:]) throws -> CLIResult {
        try runProcess(DistributedCheckTests.mpirun(), ["--oversubscribe", "-np", "\(ranks)", try cliExecutable().path] + arguments,
                       environment: DistributedCheckTests.environment.merging(Self.kernels) { $1 }.merging(environment) { $1 })
    }

    @Test func twoRanksTrainAsOneProcessAndFaultsEndTheJob() throws {
        let root = try scratchFolder("mpi-train")
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data")
        var options = SpokenFlowersOptions()
        (options.classes, options.imagesPerClass, options.captionsPerImage, options.imageSize) = (3, 6, 2, 64)
        _ = try SpokenFlowers.build(options, root: data)
        let (senYAML, ganYAML) = (root.appendingPathComponent("sen.yml"), root.appendingPathComponent("gan.yml"))
        try Self.senConfiguration.write(to: senYAML, atomically: true, encoding: .utf8)
        try Self.ganConfiguration.write(to: ganYAML, atomically: true, encoding: .utf8)
        func run(_ name: String) -> URL { root.appendingPathComponent(name) }
        let sen = ["sen", "train", "--dataset", "spoken-flowers", "--root", data.path, "--config", senYAML.path, "--output"]

        // SEN: one process, two ranks with SyncBatchNorm, two ranks without.
        var result = try runCLI(sen + [run("sen-1").path], environment: Self.kernels)
        #expect(result.status == 0, "\(result.stderr)")
        result = try mpi(2, sen + [run("sen-2").path, "--distributed", "--sync-batch-norm"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("batch 4 over 2 ranks (2 pairs each, SyncBatchNorm)"), "\(result.stdout)")
        result = try mpi(2, sen + [run("sen-3").path, "--distributed"])
        #expect(result.status == 0, "\(result.stderr)")
        let senSynchronised = try Self.differences(run("sen-1").appendingPathComponent("checkpoint.safetensors"), run("sen-2").appendingPathComponent("checkpoint.safetensors"))
        #expect(senSynchronised.tight < Self.tight && senSynchronised.absorbed < 2 * 1e-3 * 6, "SEN: \(senSynchronised)")
        // Printed when passing too, so that the log shows how much of the tolerance was used.
        print("data-parallel equivalence, SEN on 2 ranks vs 1 process: largest weight difference \(senSynchronised.tight) in '\(senSynchronised.worst)' (tolerance \(Self.tight)); pre-BatchNorm biases \(senSynchronised.absorbed)")
        let senPerRank = try Self.differences(run("sen-1").appendingPathComponent("checkpoint.safetensors"), run("sen-3").appendingPathComponent("checkpoint.safetensors"))
        #expect(senPerRank.tight > 100 * Self.tight, "per-rank BatchNorm must differ from one process: \(senPerRank)")
        for (one, two) in zip(try Self.losses(run("sen-1")), try Self.losses(run("sen-2"))) {
            for key in ["loss", "matching_loss", "distinctive_loss"] {
                let (a, b) = (try #require(one[key] as? Double), try #require(two[key] as? Double))
                #expect(abs(a - b) < 1e-5 * max(1, abs(a)), "SEN \(key): \(a) vs \(b)")
            }
        }
        // Only rank 0 wrote: one log line per epoch.
        #expect(try Self.losses(run("sen-2")).count == 2)

        // Embeddings for the RDG, from the single-process SEN.
        result = try runCLI(["sen", "extract", "--dataset", "spoken-flowers", "--root", data.path, "--model", run("sen-1").path, "--output", run("embeddings").path],
                            environment: Self.kernels)
        #expect(result.status == 0, "\(result.stderr)")
        let gan = ["gan", "train", "--dataset", "spoken-flowers", "--root", data.path, "--embeddings", run("embeddings").path, "--sen", run("sen-1").path,
                   "--config", ganYAML.path, "--output"]
        result = try runCLI(gan + [run("gan-1").path], environment: Self.kernels)
        #expect(result.status == 0, "\(result.stderr)")

        // Two ranks with SyncBatchNorm; rank 1 is killed in the second epoch (iteration 4 of 6). The job ends, mpirun
        // naming the rank; epoch 0's checkpoint is whole, and the run resumes in one process and ends as gan-1.
        result = try mpi(2, gan + [run("gan-2").path, "--distributed", "--sync-batch-norm"], environment: ["S2IGAN_FAULT": "die@1:4"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("rank 1") && result.stderr.contains("signal 9"), "\(result.stderr)")
        #expect(try Self.losses(run("gan-2")).count == 1)
        result = try runCLI(gan + [run("gan-2").path, "--resume"], environment: Self.kernels)
        #expect(result.status == 0 && result.stdout.contains("resuming after epoch 0"), "\(result.stdout)\(result.stderr)")
        let rdg = try Self.differences(run("gan-1").appendingPathComponent("checkpoint.safetensors"), run("gan-2").appendingPathComponent("checkpoint.safetensors"))
        #expect(rdg.tight < Self.tight && rdg.absorbed < 2 * 2e-4 * 6, "RDG: \(rdg)")
        print("data-parallel equivalence, RDG on 2 ranks vs 1 process: largest weight difference \(rdg.tight) in '\(rdg.worst)' (tolerance \(Self.tight)); pre-BatchNorm biases \(rdg.absorbed)")
        for (one, two) in zip(try Self.losses(run("gan-1")), try Self.losses(run("gan-2"))) {
            let (a, b) = (try #require(one["losses"] as? [String: Any]), try #require(two["losses"] as? [String: Any]))
            for key in ["g", "rs", "kl"] {
                let (x, y) = (try #require(a[key] as? Double), try #require(b[key] as? Double))
                #expect(abs(x - y) < 1e-5 * max(1, abs(x)), "RDG \(key): \(x) vs \(y)")
            }
        }

        // A NaN on rank 1: the real non-finite check stops it, and its line names it; epoch 0's checkpoint is kept.
        result = try mpi(2, gan + [run("gan-nan").path, "--distributed"], environment: ["S2IGAN_FAULT": "nan@1:4"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("rank 1 of 2: RDG training stopped at epoch 1, iteration 1: the discriminator output loss became nan; the checkpoint of epoch 0 is kept"),
                "\(result.stderr)")
        result = try mpi(2, sen + [run("sen-nan").path, "--distributed"], environment: ["S2IGAN_FAULT": "nan@1:1"])
        #expect(result.status != 0 && result.stderr.contains("rank 1 of 2: SEN training stopped at epoch 0, iteration 1: the "), "\(result.stderr)")

        // Rank 1 hangs: its watchdog names it after the timeout, and the job ends.
        result = try mpi(2, gan + [run("gan-hang").path, "--distributed", "--timeout", "4"], environment: ["S2IGAN_FAULT": "hang@1:1"])
        #expect(result.status != 0 && result.stderr.contains("rank 1 of 2: this rank made no progress for"), "\(result.stderr)")

        // Ranks with different configurations, and a batch that does not split over the ranks, refuse to start.
        let mismatched = try runProcess(DistributedCheckTests.mpirun(),
                                        ["--oversubscribe", "-np", "1", try cliExecutable().path] + gan + [run("gan-x").path, "--distributed", "--epochs", "2", ":",
                                         "-np", "1", try cliExecutable().path] + gan + [run("gan-x").path, "--distributed", "--epochs", "3"],
                                        environment: DistributedCheckTests.environment)
        #expect(mismatched.status != 0 && mismatched.stderr.contains("different configurations"), "\(mismatched.stderr)")
        result = try mpi(3, gan + [run("gan-3").path, "--distributed"])
        #expect(result.status != 0 && result.stderr.contains("the global batch of 4 does not split evenly over 3 ranks"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: run("gan-3").path) && !FileManager.default.fileExists(atPath: run("gan-x").path))
    }
}
