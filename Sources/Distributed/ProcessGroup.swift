import CMPIShim
import Foundation
import S2IGANTensor

/// The processes of one job on MPI (Open MPI, launched by `mpirun`, `mpiexec` or `srun --mpi=pmix`): every rank runs
/// the same program on its share of the work, and these collectives move the numbers between them. MPI does all of
/// the communication; this type only hands it buffers. One group per process: ``world()`` initialises MPI on first use
/// (only the main thread calls MPI afterwards), and ``finalize()`` ends it.
public final class ProcessGroup: @unchecked Sendable {
    /// This process's rank, 0 ..< ``size``.
    public let rank: Int
    /// The number of ranks.
    public let size: Int
    /// The ranks on this rank's machine, this one included (those that share its memory, as MPI sees them): with
    /// ``threadsPerRank``, what keeps ranks placed on one machine from oversubscribing its cores.
    public let ranksOnThisMachine: Int
    /// Rank 0 writes logs, snapshots and checkpoints.
    public var isRoot: Bool { rank == 0 }

    /// Reductions over the ranks.
    public enum Reduction: Sendable {
        case sum, max, min
        var code: s2_mpi_op {
            switch self {
            case .sum: return S2_MPI_SUM
            case .max: return S2_MPI_MAX
            case .min: return S2_MPI_MIN
            }
        }
    }

    nonisolated(unsafe) private static var shared: ProcessGroup?
    private static let lock = NSLock()

    private init(rank: Int, size: Int, ranksOnThisMachine: Int) {
        (self.rank, self.size, self.ranksOnThisMachine) = (rank, size, ranksOnThisMachine)
    }

    /// The worker threads one rank should use: this machine's cores shared equally among the ranks placed on it
    /// (at least one).
    public var threadsPerRank: Int { Swift.max(1, Parallel.coreCount / Swift.max(1, ranksOnThisMachine)) }

    /// Whether an MPI launcher started this process (`mpirun`/`mpiexec` of Open MPI, or a PMI/PMIx launcher such as
    /// SLURM's `srun --mpi=pmix`).
    public static var isLaunchedByMPI: Bool {
        let environment = ProcessInfo.processInfo.environment
        return ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"].contains { environment[$0] != nil }
    }

    /// The group of every rank of the job, MPI initialised on first use. A process not started by a launcher is a
    /// group of one.
    public static func world() throws -> ProcessGroup {
        lock.lock()
        defer { lock.unlock() }
        if let shared { return shared }
        var initialized: Int32 = 0
        try check(s2_mpi_initialized(&initialized), "Initialized", rank: -1)
        if initialized == 0 { try check(s2_mpi_init(), "Init_thread", rank: -1) }
        var rank: Int32 = 0, size: Int32 = 0
        try check(s2_mpi_rank(&rank), "Comm_rank", rank: -1)
        try check(s2_mpi_size(&size), "Comm_size", rank: Int(rank))
        var local: Int32 = 1
        try check(s2_mpi_local_size(&local), "Comm_split_type", rank: Int(rank))
        let group = ProcessGroup(rank: Int(rank), size: Int(size), ranksOnThisMachine: Int(local))
        shared = group
        return group
    }

    static func check(_ code: Int32, _ operation: String, rank: Int) throws {
        guard code != 0 else { return }
        var text = [CChar](repeating: 0, count: 512)
        s2_mpi_error_string(code, &text, Int32(text.count))
        let message = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw DistributedError.mpi(operation: operation, rank: rank, message: message)
    }

    func check(_ code: Int32, _ operation: String) throws { try Self.check(code, operation, rank: rank) }

    /// The watchdog of a long job (``watch(timeout:)``), told when each collective starts and ends.
    var watchdog: Watchdog?

    /// Runs one MPI collective, under the watchdog if there is one.
    func collective(_ operation: String, _ body: () -> Int32) throws {
        watchdog?.enter(operation)
        let code = body()
        watchdog?.leave()
        try check(code, operation)
    }

    /// Every rank gets `root`'s values (the arrays must have the same length on every rank).
    public func broadcast(_ values: inout [Float], root: Int = 0) throws {
        let count = values.count
        try values.withUnsafeMutableBufferPointer { buffer in try collective("Bcast") { s2_mpi_bcast_float(buffer.baseAddress, count, Int32(root)) } }
    }

    /// Every rank gets `root`'s bytes.
    public func broadcast(bytes: inout [UInt8], root: Int = 0) throws {
        let count = bytes.count
        try bytes.withUnsafeMutableBufferPointer { buffer in try collective("Bcast") { s2_mpi_bcast_bytes(buffer.baseAddress, count, Int32(root)) } }
    }

    /// `root`'s text on every rank (its length first, so the other ranks need not know it; their `text` is unused).
    public func broadcast(_ text: String, root: Int = 0) throws -> String {
        var length = [Int64(rank == root ? text.utf8.count : 0)]
        try allReduce(&length, .max)
        var bytes = rank == root ? Array(text.utf8) : [UInt8](repeating: 0, count: Int(length[0]))
        try broadcast(bytes: &bytes, root: root)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The element-wise reduction over every rank, in place on every rank.
    public func allReduce(_ values: inout [Float], _ reduction: Reduction = .sum) throws {
        let count = values.count
        try values.withUnsafeMutableBufferPointer { buffer in try collective("Allreduce") { s2_mpi_allreduce_float(buffer.baseAddress, count, reduction.code) } }
    }

    public func allReduce(_ values: inout [Double], _ reduction: Reduction = .sum) throws {
        let count = values.count
        try values.withUnsafeMutableBufferPointer { buffer in try collective("Allreduce") { s2_mpi_allreduce_double(buffer.baseAddress, count, reduction.code) } }
    }

    public func allReduce(_ values: inout [Int64], _ reduction: Reduction = .sum) throws {
        let count = values.count
        try values.withUnsafeMutableBufferPointer { buffer in try collective("Allreduce") { s2_mpi_allreduce_int64(buffer.baseAddress, count, reduction.code) } }
    }

    /// The element-wise mean over every rank, in place (the sum, divided by ``size`` on each rank).
    public func allReduceMean(_ values: inout [Float]) throws {
        try allReduce(&values, .sum)
        let scale = 1 / Float(size)
        for i in values.indices { values[i] *= scale }
    }

    /// Returns when every rank has called it.
    public func barrier() throws { try collective("Barrier") { s2_mpi_barrier() } }

    /// Refuses to go on unless every rank holds the same `value` (a configuration, a code version): the ranks
    /// compare a 64-bit hash of it, and all of them throw, naming `what`, if any differs.
    public func requireSame(_ value: String, what: String) throws {
        let hash = FNV1a.hash(bytes: value.utf8)
        // max(h) and max(¬h) = ¬min(h): every rank sees whether the largest and the smallest hash are its own.
        var bounds = [Int64(bitPattern: hash), ~Int64(bitPattern: hash)]
        try allReduce(&bounds, .max)
        guard bounds[0] == Int64(bitPattern: hash) && ~bounds[1] == Int64(bitPattern: hash) else {
            let shown = value.count <= 80 && !value.contains("\n") ? value : String(format: "one hashing to %016llx", hash)
            throw DistributedError.mismatch("the ranks were started with different \(what)s (rank \(rank) has \(shown))")
        }
    }

    /// Ends every rank of the job after writing `message` (prefixed with this rank) to standard error. `together`:
    /// every rank is ending here for the same reason, found in the same collective (a ``DistributedError/mismatch``);
    /// the ranks then wait for each other after writing, so that every rank's line is out before MPI ends the job.
    public func abort(_ message: String, code: Int32 = 1, together: Bool = false) -> Never {
        FileHandle.standardError.write(Data("rank \(rank) of \(size): \(message)\n".utf8))
        if together { _ = s2_mpi_barrier() }
        s2_mpi_abort(code)
        exit(code)
    }

    /// Ends MPI for this process (after the last collective).
    public func finalize() throws {
        watchdog?.stop()
        var finalized: Int32 = 0
        try check(s2_mpi_finalized(&finalized), "Finalized")
        if finalized == 0 { try check(s2_mpi_finalize(), "Finalize") }
    }

    /// Seconds on MPI's clock.
    public static func wallTime() -> Double { s2_mpi_wtime() }
}
