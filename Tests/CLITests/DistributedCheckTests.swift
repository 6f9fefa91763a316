import Foundation
import Testing

/// `s2igan distributed check` under Open MPI's `mpirun`: two ranks on this machine agree on the code version, a
/// broadcast, a sum and a maximum, and time an all-reduce.
@Suite(.serialized) struct DistributedCheckTests {
    /// Open MPI refuses to start as root without these (CI runs as root).
    static let environment = ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "OMPI_MCA_rmaps_base_oversubscribe": "1"]

    static func mpirun() throws -> URL {
        let candidates = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"]
        let found = candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
        return URL(fileURLWithPath: try #require(found, "mpirun is missing: scripts/setup.sh installs openmpi-bin"))
    }

    @Test func twoRanksAgreeAndTimeAnAllReduce() throws {
        let result = try runProcess(Self.mpirun(), ["--oversubscribe", "-np", "2", try cliExecutable().path, "distributed", "check", "--megabytes", "4"],
                                    environment: Self.environment)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        // Only rank 0 prints.
        #expect(lines.first == "2 rank(s): version, broadcast, all-reduce (sum, max) and barrier agree", "\(result.stdout)")
        #expect(lines.count == 2 && lines[1].hasPrefix("all-reduce of 4.0 MB: "), "\(result.stdout)")
    }

    @Test func oneProcessWithoutALauncherIsAGroupOfOne() throws {
        let result = try runCLI(["distributed", "check", "--megabytes", "1"], environment: Self.environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "1 rank(s): version, broadcast, all-reduce (sum, max) and barrier agree\nall-reduce: one rank, nothing to exchange\n",
                "\(result.stdout)")
    }

    /// Two builds (here: the same executable and a copy with one byte more) refuse to run as one job, and every rank
    /// says so naming itself.
    @Test func ranksOfDifferentBuildsRefuseToRunTogether() throws {
        let folder = try scratchFolder("mpi-builds")
        defer { try? FileManager.default.removeItem(at: folder) }
        let a = folder.appendingPathComponent("s2igan-a"), b = folder.appendingPathComponent("s2igan-b")
        try FileManager.default.copyItem(at: try cliExecutable(), to: a)
        try FileManager.default.copyItem(at: try cliExecutable(), to: b)
        let handle = try FileHandle(forWritingTo: b)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0]))
        try handle.close()
        let result = try runProcess(Self.mpirun(), ["--oversubscribe", "-np", "1", a.path, "distributed", "check", "--megabytes", "1", ":",
                                                    "-np", "1", b.path, "distributed", "check", "--megabytes", "1"], environment: Self.environment)
        #expect(result.status != 0)
        for rank in 0..<2 {
            #expect(result.stderr.contains("rank \(rank) of 2: ranks disagree: the ranks were started with different code versions"), "\(result.stderr)")
        }
    }
}
