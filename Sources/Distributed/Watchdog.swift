import Dispatch
import Foundation
import S2IGANTensor

/// Ends a job that stopped making progress, with one line naming the rank and what it saw, instead of leaving every
/// rank waiting forever (MPI itself never times out). It watches the collectives of its process group from a thread
/// of its own:
/// - a rank that has not entered a collective for `timeout` seconds is the hung one (stuck in its computation or
///   its I/O): it says so and exits;
/// - a rank waiting inside a collective for longer (`timeout` plus a grace of a tenth, at least 5 s, so that the hung
///   rank speaks first) says that another rank is hung or dead, and exits.
/// The exit, without MPI's finalisation, makes the launcher end every other rank of the job.
final class Watchdog: @unchecked Sendable {
    let timeout: Double
    let grace: Double
    let rank: Int, size: Int
    private let lock = NSLock()
    private var operation: String?
    private var since: UInt64
    private var stopped = false

    init(timeout: Double, rank: Int, size: Int) {
        (self.timeout, self.rank, self.size) = (timeout, rank, size)
        grace = max(5, timeout / 10)
        since = DispatchTime.now().uptimeNanoseconds
    }

    func start() {
        let interval = min(1, timeout / 20)
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: interval)
                lock.lock()
                let (operation, since, stopped) = (self.operation, self.since, self.stopped)
                lock.unlock()
                if stopped { return }
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - since) / 1e9
                if let operation, elapsed > timeout + grace {
                    fire(String(format: "waited %.0f s in %@ for the other ranks: another rank is hung or dead (the timeout is %.0f s)", elapsed, operation, timeout))
                } else if operation == nil, elapsed > timeout {
                    fire(String(format: "this rank made no progress for %.0f s (hung in its computation or I/O, or a phase longer than the timeout of %.0f s)", elapsed, timeout))
                }
            }
        }
        thread.name = "s2igan-watchdog"
        thread.start()
    }

    func enter(_ operation: String) { mark(operation) }
    func leave() { mark(nil) }

    private func mark(_ operation: String?) {
        lock.lock()
        (self.operation, since) = (operation, DispatchTime.now().uptimeNanoseconds)
        lock.unlock()
    }

    func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
    }

    private func fire(_ message: String) -> Never {
        FileHandle.standardError.write(Data("rank \(rank) of \(size): \(message)\n".utf8))
        _exit(1)
    }
}

extension ProcessGroup {
    /// Ends the job when a rank hangs or dies (``Watchdog``): from now on, a rank with no collective for `timeout`
    /// seconds, or one waiting in a collective for longer, ends it with one line naming itself and the cause.
    /// Choose a timeout longer than the longest phase without communication (one iteration, rank 0's validation or
    /// checkpoint). ``finalize()`` stops it.
    public func watch(timeout: Double) {
        guard timeout > 0, size > 1, watchdog == nil else { return }
        let dog = Watchdog(timeout: timeout, rank: rank, size: size)
        watchdog = dog
        dog.start()
    }
}

/// The process group as the replicas of data-parallel training see it (SyncBatchNorm, gathered embeddings, gradient
/// averaging, state broadcast).
extension ProcessGroup: ReplicaGroup {
    public var replicaIndex: Int { rank }
    public var replicaCount: Int { size }
    public func sumOverReplicas(_ values: inout [Float]) throws { try allReduce(&values, .sum) }
    public func sumOverReplicas(_ values: inout [Double]) throws { try allReduce(&values, .sum) }
    public func broadcastFromReplica(_ bytes: inout [UInt8], root: Int) throws { try broadcast(bytes: &bytes, root: root) }
}
