import ArgumentParser
import Foundation
import S2IGANTensor

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Named performance benchmarks; each prints one JSON object per line on stdout.",
        subcommands: [GemmBench.self, ConvBench.self, MLPBench.self, ConvNetBench.self, GRUBench.self, MelBench.self, InceptionBench.self, FIDBench.self, LoaderBench.self, SENStepBench.self, GANStepBench.self]
    )
}

/// Timing shared by the benchmarks: warm-up, then the median of repeated runs, each repeated until
/// about `targetSeconds` have been timed (at least `minimumRuns`).
struct Timing {
    var targetSeconds = 0.4
    var minimumRuns = 5

    func median(_ body: () throws -> Void) rethrows -> (milliseconds: Double, runs: Int) {
        try body()
        let probeStart = DispatchTime.now().uptimeNanoseconds
        try body()
        let probe = Double(DispatchTime.now().uptimeNanoseconds - probeStart) / 1e9
        let runs = Swift.max(minimumRuns, Swift.min(500, Int(targetSeconds / Swift.max(probe, 1e-6))))
        var times: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        times.sort()
        return (times[times.count / 2], runs)
    }
}

/// One JSON line, keys sorted, for scripts to read.
func printJSON(_ object: [String: Any]) {
    if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
       let line = String(data: data, encoding: .utf8) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

struct BenchOptions: ParsableArguments {
    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(help: "Seconds of timed work per configuration.")
    var seconds: Double = 0.4

    func apply() {
        if let threads { Parallel.workerCount = threads }
    }

    var timing: Timing { Timing(targetSeconds: seconds) }

    var context: [String: Any] {
        ["threads": Parallel.workerCount, "openblas_core": BLAS.coreName ?? "unknown", "lib": "s2igan-swift"]
    }
}

struct GemmBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "Single-precision matrix products (the shapes of shared/bench/01_gemm.py): square 256–2048 and im2col-shaped."
    )

    @OptionGroup var options: BenchOptions

    @Option(help: "Comma-separated MxNxK shapes to run instead of the defaults.")
    var shapes: String?

    static let defaultShapes: [(Int, Int, Int, String)] = [
        (256, 256, 256, "square"), (512, 512, 512, "square"), (1024, 1024, 1024, "square"), (2048, 2048, 2048, "square"),
        (32, 65536, 576, "skinny"), (64, 65536, 576, "skinny"), (64, 16384, 1152, "skinny"), (64, 16384, 1440, "skinny"),
        (128, 4096, 1152, "skinny"), (128, 4096, 1728, "skinny"), (128, 4096, 1024, "skinny"), (128, 4096, 576, "skinny"),
        (256, 4096, 2304, "skinny"), (512, 4096, 4608, "skinny"), (512, 6144, 4096, "skinny"), (1024, 1536, 9216, "skinny"),
    ]

    func run() throws {
        options.apply()
        var list = Self.defaultShapes
        if let shapes {
            list = try shapes.split(separator: ",").map { spec in
                let parts = spec.split(separator: "x").compactMap { Int($0) }
                guard parts.count == 3, parts.allSatisfy({ $0 > 0 }) else {
                    throw ValidationError("--shapes: '\(spec)' is not MxNxK with positive sizes")
                }
                return (parts[0], parts[1], parts[2], "custom")
            }
        }
        var rng = RandomGenerator(seed: 0)
        for (m, n, k, kind) in list {
            let a = try Tensor.uniform([m, k], low: -1, high: 1, using: &rng)
            let b = try Tensor.uniform([k, n], low: -1, high: 1, using: &rng)
            let t = try options.timing.median { _ = try Tensor.matmul(a, b) }
            var row = options.context
            row.merge(["bench": "gemm", "kind": kind, "M": m, "N": n, "K": k, "ms_median": t.milliseconds, "iters": t.runs,
                       "gflops_median": 2.0 * Double(m) * Double(n) * Double(k) / (t.milliseconds * 1e6)]) { $1 }
            printJSON(row)
        }
    }
}
