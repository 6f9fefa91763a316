import ArgumentParser
import Foundation
import S2IGANBench
import S2IGANDistributed
import S2IGANTensor

/// `s2igan bench …`: each command parses its options and runs a benchmark of S2IGANBench, printing its records.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Named performance benchmarks; each prints one JSON object per line on stdout.",
        subcommands: [GemmBench.self, ConvBench.self, MLPBench.self, ConvNetBench.self, GRUBench.self, MelBench.self, InceptionBench.self,
                      FIDBench.self, LoaderBench.self, SENStepBench.self, GANStepBench.self, AllReduceBench.self]
    )
}

/// Comma-separated integers, e.g. `--batches 32,128`.
func integers(_ list: String) -> [Int] { list.split(separator: ",").compactMap { Int($0) } }

struct GemmBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "Single-precision matrix products (the shapes of shared/bench/01_gemm.py): square 256–2048 and im2col-shaped."
    )
    @OptionGroup var options: BenchOptions
    @Option(help: "Comma-separated MxNxK shapes to run instead of the defaults.") var shapes: String?

    func validate() throws { if let shapes { _ = try GemmBenchmark.shapes(parsing: shapes) } }

    func run() throws {
        options.apply()
        try GemmBenchmark(shapes: shapes.map(GemmBenchmark.shapes(parsing:)) ?? GemmBenchmark.defaultShapes, timing: options.timing).run(printJSON)
    }
}

extension Conv2dAlgorithm: ExpressibleByArgument {
    public init?(argument: String) {
        guard let value = Self.allCases.first(where: { "\($0)" == argument }) else { return nil }
        self = value
    }

    public static var allValueStrings: [String] { allCases.map { "\($0)" } }
}

struct ConvBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conv",
        abstract: "The convolutions of the S2IGAN discriminators (4×4 stride 2) and generator (3×3), forward and both backward kernels."
    )
    @OptionGroup var options: BenchOptions
    @Option(help: "Batch size (the reference trains with 24).") var batch = 24
    @Option(help: "Comma-separated case names to run (default: all).") var only: String?
    @Option(help: "The forward and input-gradient algorithm (winograd runs only the 3×3 stride-1 cases).")
    var algorithm = Conv2dAlgorithm.automatic

    func benchmark() throws -> ConvBenchmark {
        try ConvBenchmark(batch: batch, only: only.map { Set($0.split(separator: ",").map(String.init)) }, algorithm: algorithm, timing: options.timing)
    }

    func validate() throws { _ = try benchmark() }

    func run() throws {
        options.apply()
        try benchmark().run(printJSON)
    }
}

struct MLPBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mlp",
        abstract: "Forward + backward + Adam step of an MLP (2048→1024→1024→150, ReLU, cross-entropy), batch 128; also the same step written directly on Tensor kernels, to measure the tape's overhead."
    )
    @OptionGroup var options: BenchOptions
    @Option(help: "Batch size.") var batch = 128

    func validate() throws { _ = try MLPBenchmark(batch: batch) }

    func run() throws {
        options.apply()
        try MLPBenchmark(batch: batch, timing: options.timing).run(printJSON)
    }
}

struct ConvNetBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convnet",
        abstract: "Forward + backward + Adam step of a D_NET64-shaped stack (4×4 stride-2 Conv2d, BatchNorm2d, LeakyReLU 0.2; 4×4 stride-4 logit), batch 24 at 64 px, BCE loss."
    )
    @OptionGroup var options: BenchOptions
    @Option(help: "Batch size.") var batch = 24
    @Option(help: "Image size (a multiple of 64).") var size = 64

    func validate() throws { _ = try ConvNetBenchmark(batch: batch, size: size) }

    func run() throws {
        options.apply()
        try ConvNetBenchmark(batch: batch, size: size, timing: options.timing).run(printJSON)
    }
}

struct GRUBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gru",
        abstract: "The SEN's GRU (input 128, hidden 512, 2 layers, bidirectional) over padded batches with lengths 75–175, forward and forward+backward."
    )
    @OptionGroup var options: BenchOptions
    @Option(help: "Comma-separated batch sizes.") var batches = "32,128"

    func validate() throws { _ = try GRUBenchmark(batches: integers(batches)) }

    func run() throws {
        options.apply()
        try GRUBenchmark(batches: integers(batches), timing: options.timing).run(printJSON)
    }
}

struct MelBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mel",
        abstract: "Log-mel features: a 5 s utterance at 22 050 Hz (ms per utterance), and a tree of wav files read, featurised and written (files per second)."
    )
    @OptionGroup var options: BenchOptions
    @Option(help: "Number of wav files in the tree (3 s each, 10 captions per image folder).") var files = 1000

    func validate() throws { _ = try MelBenchmark(files: files) }

    func run() throws {
        options.apply()
        try MelBenchmark(files: files, timing: options.timing).run(printJSON)
    }
}

struct InceptionBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inception",
        abstract: "Inception-v3 forward for FID / IS: 256 px images in [−1, 1] → ImageNet normalisation → bilinear 299 → trunk → pooled features and softmax over the 1000 logits (batch 50, random weights)."
    )
    @OptionGroup var options: BenchOptions
    @Option(help: "Images per batch.") var batch = 50
    @Option(help: "Also time the backward pass to the input (as the relation supervisor needs) with this batch size; 0 skips it.")
    var backwardBatch = 0

    func validate() throws { _ = try InceptionBenchmark(batch: batch, backwardBatch: backwardBatch) }

    func run() throws {
        options.apply()
        try InceptionBenchmark(batch: batch, backwardBatch: backwardBatch, timing: options.timing).run(printJSON)
    }
}

struct FIDBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fid",
        abstract: "FID statistics end to end from PNG files (decode → 299 → FID Inception → mean/covariance), images per second; writes the images first if the folder has none."
    )
    @OptionGroup var options: BenchOptions
    @Option(help: "Folder of images (created with --count synthetic 256 × 256 PNGs if it holds none).") var images: String
    @Option(help: "Number of synthetic images to write when the folder is empty.") var count = 200
    @Option(help: "Images per batch (pytorch-fid's default is 50).") var batch = 50
    @Option(help: "Timed runs over the whole folder (the median is reported).") var runs = 1

    func benchmark() throws -> FIDBenchmark {
        try FIDBenchmark(images: URL(fileURLWithPath: images), count: count, batch: batch, runs: runs)
    }

    func validate() throws { _ = try benchmark() }

    func run() throws {
        options.apply()
        try benchmark().run(printJSON)
    }
}

struct LoaderBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loader",
        abstract: "SEN batches from a generated Oxford-layout tree (500×375 JPEGs, 10 captions each): items/s with decoding and 256 px transforms."
    )
    @OptionGroup var options: BenchOptions
    @Option(help: "Images in the generated tree.") var images = 96
    @Option(help: "Batch size.") var batch = 32
    @Option(help: "Loader threads.") var workers = 2

    func validate() throws { _ = try LoaderBenchmark(images: images, batch: batch, workers: workers) }

    func run() throws {
        options.apply()
        try LoaderBenchmark(images: images, batch: batch, workers: workers, timing: options.timing).run(printJSON)
    }
}

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
    @OptionGroup var dataParallel: DataParallelOptions

    func benchmark() throws -> GANStepBenchmark { try GANStepBenchmark(stages: stages, batch: batch, relation: !noRs, iterations: iters) }

    func validate() throws { _ = try benchmark() }

    func run() throws {
        options.apply()
        let job = try dataParallel.start(configuration: "gan-step \(stages) \(batch) \(noRs) \(iters)", threads: false)
        try onEveryRank(job?.group) {
            try GANStepBenchmark(stages: stages, batch: batch, relation: !noRs, iterations: iters, parallel: job?.parallel).run(printJSON)
        }
    }
}

struct SENStepBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sen-step",
        abstract: "One SEN training step (CUB configuration, cached Inception features) at the given batch sizes, captions padded to --frames with lengths uniform in 40–100 % of it (at least the encoder's shortest utterance)."
    )
    @OptionGroup var options: BenchOptions
    @Option(help: "Comma-separated batch sizes.") var batches = "128,32"
    @Option(help: "Padded caption length in frames (the longest caption).") var frames = 1024
    @Option(help: "Timed steps per batch size (after one warm-up step).") var iters = 3
    @OptionGroup var dataParallel: DataParallelOptions

    func benchmark() throws -> SENStepBenchmark { try SENStepBenchmark(batches: integers(batches), frames: frames, iterations: iters) }

    func validate() throws { _ = try benchmark() }

    func run() throws {
        options.apply()
        let job = try dataParallel.start(configuration: "sen-step \(batches) \(frames) \(iters)", threads: false)
        try onEveryRank(job?.group) {
            try SENStepBenchmark(batches: integers(batches), frames: frames, iterations: iters, parallel: job?.parallel).run(printJSON)
        }
    }
}

struct AllReduceBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce",
        abstract: "All-reduce of 4 B … --largest-mb across the ranks (run under mpirun -np N), and the fitted α–β constants.",
        discussion: "Rank 0 prints one record per size and one allreduce_model record (alpha_us, beta_ns_per_byte); Docs/distributed.md uses them."
    )
    @Option(help: "The largest buffer, in MB.") var largestMb = 64
    @Option(help: "Timed all-reduces per size (the median is reported).") var repetitions = 10

    func validate() throws {
        guard (1...1024).contains(largestMb) else { throw ValidationError("--largest-mb must be in 1…1024, got \(largestMb)") }
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1") }
    }

    func run() throws {
        let group = try ProcessGroup.world()
        try onEveryRank(group) {
            try AllReduceBenchmark(largest: largestMb << 20, repetitions: repetitions).run(group: group, printJSON)
        }
    }
}
