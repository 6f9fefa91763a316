import ArgumentParser
import Foundation
import S2IGANFormats
import S2IGANDistributed

struct DistributedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distributed",
        abstract: "Jobs across processes and machines on MPI.",
        subcommands: [DistributedCheck.self]
    )
}

struct DistributedCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check that the ranks of an MPI job can work together, and time one all-reduce.",
        discussion: """
        Run it under the launcher, e.g. `mpirun -np 2 s2igan distributed check` or with `--hostfile hosts` across \\
        machines. Every rank checks the same code version, a broadcast, a sum and a maximum over the ranks and a \\
        barrier; rank 0 prints the result and the time of an all-reduce of --megabytes of floats.
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
                print("\(report.ranks) rank(s): version, broadcast, all-reduce (sum, max) and barrier agree")
                if report.ranks == 1 {
                    print("all-reduce: one rank, nothing to exchange")
                } else {
                    print(String(format: "all-reduce of %.1f MB: %.3f ms (%.2f GB/s)", Double(report.bytes) / 1_048_576, report.allReduceSeconds * 1000,
                                 report.bytesPerSecond / 1e9))
                }
            }
            try group.finalize()
        } catch {
            group.abort("\(error)")
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
        if group.size > 1 { group.abort(readableDescription(of: error)) }
        throw error
    }
    try group.finalize()
}
