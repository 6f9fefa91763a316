import ArgumentParser
import Foundation
import S2IGANGAN
import S2IGANFormats
import S2IGANDistributed
import S2IGANTensor
import S2IGANTraining

struct DistributedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distributed",
        abstract: "Jobs across processes and machines on MPI.",
        subcommands: [DistributedCheck.self, DistributedModel.self]
    )
}

struct DistributedCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check that the ranks of an MPI job can work together, and time one all-reduce.",
        discussion: """
        Run it under the launcher, e.g. `mpirun -np 2 s2igan distributed check` or with `--hostfile hosts` across \\
        machines. Every rank checks the same code version, a broadcast, a sum and a maximum over the ranks and a \\
        barrier; rank 0 prints the result, how many ranks share its machine (they share its cores in training), and \
        the time of an all-reduce of --megabytes of floats.
        """
    )

    @Option(help: "Size of the timed all-reduce buffer, in MB.") var megabytes: Double = 25
    @Option(help: "Timed all-reduces (the median is reported).") var repetitions = 5

    func validate() throws {
        guard megabytes > 0, megabytes <= 4096 else { throw ValidationError("--megabytes must be in (0, 4096], got \(megabytes)") }
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1") }
    }

    func run() throws {
        let group = try ProcessGroup.world()
        do {
            let report = try group.check(elements: max(1, Int(megabytes * 1024 * 1024 / 4)), repetitions: repetitions, version: ProcessGroup.executableIdentity())
            if group.isRoot {
                print("\(report.ranks) rank(s), \(group.ranksOnThisMachine) on rank 0's machine: version, broadcast, all-reduce (sum, max) and barrier agree")
                if report.ranks == 1 {
                    print("all-reduce: one rank, nothing to exchange")
                } else {
                    print(String(format: "all-reduce of %.1f MB: %.3f ms (%.2f GB/s)", Double(report.bytes) / 1_048_576, report.allReduceSeconds * 1000,
                                 report.bytesPerSecond / 1e9))
                }
            }
            try group.finalize()
        } catch {
            group.abort("\(error)", together: (error as? DistributedError)?.isFoundByEveryRank ?? false)
        }
    }
}

/// Runs `body` on this rank. With a group of several ranks an error ends the whole job, after one line naming this
/// rank and the cause (the other ranks would otherwise wait for it forever); MPI is finalised after success and
/// after an exit code every rank agreed on.
func onEveryRank(_ group: ProcessGroup?, _ body: () throws -> Void) throws {
    guard let group else { return try body() }
    do {
        try body()
    } catch let exit as ExitCode {
        try group.finalize()
        throw exit
    } catch {
        if group.size > 1 { group.abort(readableDescription(of: error), together: (error as? DistributedError)?.isFoundByEveryRank ?? false) }
        throw error
    }
    try group.finalize()
}

struct DistributedModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "The scaling model of data-parallel RDG training: seconds per iteration and days for a run, per rank count and link.",
        discussion: """
        Computation: --compute-seconds for one iteration of the global batch on one rank (30.1 s: `s2igan bench gan-step \\
        --stages 3 --batch 24` on this 2-core machine, Docs/benchmarks.md), divided over the ranks. Communication: the \\
        gradients of the reference's networks (counted on networks built here), each network all-reduced separately in \\
        25 MB buckets, ring all-reduce with latency --alpha-us and the time per byte of the link (--loopback-beta-ns for \\
        this machine's shared memory, as `s2igan bench allreduce` measures them; 10, 25 and 100 Gb/s links). No overlap \\
        of computation and communication is assumed.
        """
    )
    @Option(help: "Seconds for one iteration of the global batch on one rank.") var computeSeconds = 30.1
    @Option(help: "All-reduce latency per ring step, in microseconds (bench allreduce's alpha_us).") var alphaUs = 1.2
    @Option(help: "All-reduce time per byte on this machine's loopback, in nanoseconds (bench allreduce's beta_ns_per_byte).") var loopbackBetaNs = 0.54
    @Option(help: "Images per iteration over all ranks.") var globalBatch = 24
    @Option(help: "Iterations of the run (the paper's CUB schedule: 600 epochs × 368).") var iterations = 220_800
    @Option(help: "Rank counts.") var ranks = "1,2,4,8,16,24,32,64"

    func validate() throws {
        let counts = ranks.split(separator: ",").map { Int($0) }
        guard !counts.isEmpty, counts.allSatisfy({ ($0 ?? 0) >= 1 }) else { throw ValidationError("--ranks must be positive integers, got '\(ranks)'") }
        guard globalBatch >= 1, iterations >= 1, computeSeconds > 0, alphaUs >= 0, loopbackBetaNs >= 0 else {
            throw ValidationError("--global-batch, --iterations and --compute-seconds must be positive, --alpha-us and --loopback-beta-ns not negative")
        }
    }

    func run() throws {
        let counts = try RDGArchitecture.reference.parameterCounts()
        print("gradients per iteration: " + counts.map { "\($0.network) \(String(format: "%.2f", Double($0.parameters) / 1e6)) M" }.joined(separator: ", ")
              + String(format: " = %.1f MB", Double(counts.reduce(0) { $0 + $1.parameters } * 4) / 1e6))
        let links: [(String, AllReduceModel)] = [("loopback", AllReduceModel(alpha: alphaUs * 1e-6, beta: loopbackBetaNs * 1e-9))]
            + [10, 25, 100].map { ("\($0) Gb/s", AllReduceModel(alpha: alphaUs * 1e-6, beta: 0).onLink(bitsPerSecond: Double($0) * 1e9)) }
        print("ranks  link        compute s  all-reduce s  iteration s  days for \(iterations)")
        for p in integers(ranks) {
            for (name, link) in links {
                let model = DataParallelScaling(computeSeconds: computeSeconds, gradientBytes: counts.map { $0.parameters * 4 }, globalBatch: globalBatch,
                                                communication: link)
                guard let seconds = model.iterationSeconds(ranks: p) else {
                    print(String(format: "%5d  %-10@  more ranks than the %d images of a batch", p, name, globalBatch))
                    break
                }
                print(String(format: "%5d  %-10@  %9.2f  %12.3f  %11.2f  %8.1f", p, name, computeSeconds / Double(p), model.communicationSeconds(ranks: p),
                             seconds, seconds * Double(iterations) / 86_400))
            }
        }
    }
}

/// The options of data-parallel training (`gan train`, `sen train`), and the start of such a run.
struct DataParallelOptions: ParsableArguments {
    @Flag(help: "Train data-parallel over the ranks of an MPI job (mpirun -np N s2igan … --distributed): each rank trains its share of every global batch (--batch-size, which the rank count must divide), gradients are averaged before every step, rank 0 writes.")
    var distributed = false
    @Flag(name: .customLong("sync-batch-norm"), help: "With --distributed: BatchNorm normalises the global batch (SyncBatchNorm), so N ranks train as one process does; without it each rank's shard, as the reference's DataParallel.")
    var syncBatchNorm = false
    @Option(help: "With --distributed: seconds without progress after which a hung or dead rank ends the job (0: never).")
    var timeout: Double = 1800
    @Option(help: "With --distributed: the size of one gradient all-reduce, in MB.")
    var bucketMb: Double = 25
    @Option(help: "With --distributed: worker threads of each rank (default: this machine's cores divided by the ranks on it).")
    var threadsPerRank: Int?

    func validate() throws {
        guard distributed || !syncBatchNorm else { throw ValidationError("--sync-batch-norm needs --distributed") }
        guard timeout >= 0, bucketMb > 0 else { throw ValidationError("--timeout must not be negative and --bucket-mb must be positive") }
        if let threadsPerRank, threadsPerRank < 1 { throw ValidationError("--threads-per-rank must be at least 1, got \(threadsPerRank)") }
    }

    /// The process group and the data-parallel settings of a `--distributed` run (`nil` without it): every rank
    /// must run the same build with the same `configuration` (the training configuration and every option that
    /// changes what the ranks exchange or how long they train) and these options. The watchdog starts when every
    /// rank is ready to train (``DataParallel/startTraining()``), after setup that may take long on some ranks.
    ///
    /// Each rank's worker threads are `--threads-per-rank`, or the machine's cores shared among the ranks the launcher
    /// put on it, so that ranks on one machine do not oversubscribe its cores (`threads: false` leaves them as they
    /// are, for the benchmarks' own `--threads`).
    func start(configuration: String, threads: Bool = true) throws -> (group: ProcessGroup, parallel: DataParallel)? {
        guard distributed else { return nil }
        let group = try ProcessGroup.world()
        if threads { Parallel.workerCount = threadsPerRank ?? group.threadsPerRank }
        try group.requireSame(try ProcessGroup.executableIdentity(), what: "build")
        try group.requireSame(configuration + "\nsync-batch-norm: \(syncBatchNorm)\nbucket-mb: \(bucketMb)\ntimeout: \(timeout)", what: "configuration")
        let parallel = try DataParallel(replicas: group, bucketMegabytes: bucketMb, synchroniseBatchNorm: syncBatchNorm)
        let timeout = timeout
        parallel.onTrainingStart = { group.watch(timeout: timeout) }
        return (group, parallel)
    }
}
