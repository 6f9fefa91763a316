import ArgumentParser
import S2IGANTensor

/// The options every benchmark command shares. The benchmarks' settings are command-line options, so a bad
/// one is a `ValidationError` (a usage error), also when a benchmark is run from code.
public struct BenchOptions: ParsableArguments {
    @Option(help: "Worker threads (default: all cores).")
    public var threads: Int?

    @Option(help: "Seconds of timed work per configuration.")
    public var seconds: Double = 0.4

    public init() {}

    public func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        guard seconds >= 0 else { throw ValidationError("--seconds must not be negative, got \(seconds)") }
    }

    /// Sets the thread count for what follows.
    public func apply() {
        if let threads { Parallel.workerCount = threads }
    }

    public var timing: Timing { Timing(targetSeconds: seconds) }

    public var context: BenchmarkRecord { benchmarkContext() }
}
