import Foundation
import S2IGANTensor

/// Replicas of a data-parallel job as threads of one process, for testing the layers that synchronise across
/// replicas without MPI: ``run(_:_:)`` starts one thread per replica and gives each its ``ReplicaGroup``; their
/// sums meet in a shared exchange (the sum in Double, in replica order, the same result on every replica).
public final class ThreadReplicas: @unchecked Sendable {
    public let count: Int
    private let condition = NSCondition()
    private var contributions: [[Double]?]
    /// The root's bytes of the round under way, and the results of the last finished round. A replica reads the
    /// results after it wakes, possibly after the root has entered the next round, which only sets `pending`.
    private var pending: [UInt8] = []
    private var bytes: [UInt8] = []
    private var result: [Double] = []
    private var arrived = 0, generation = 0

    init(count: Int) {
        self.count = count
        contributions = Array(repeating: nil, count: count)
    }

    /// Runs `body` on `count` threads, one per replica, and returns their results in replica order (rethrowing
    /// the first error).
    public static func run<R: Sendable>(_ count: Int, _ body: @escaping @Sendable (any ReplicaGroup) throws -> R) throws -> [R] {
        let hub = ThreadReplicas(count: count)
        let results = Results<R>(count: count)
        let done = DispatchGroup()
        for index in 0..<count {
            done.enter()
            let thread = Thread {
                results.set(index, Result { try body(Replica(hub: hub, index: index)) })
                done.leave()
            }
            thread.stackSize = 16 << 20
            thread.start()
        }
        done.wait()
        return try results.values.map { try $0!.get() }
    }

    func exchange(_ values: [Double], index: Int, bytes root: [UInt8]?) -> ([Double], [UInt8]) {
        condition.lock()
        defer { condition.unlock() }
        let round = generation
        contributions[index] = values
        if let root { pending = root }
        arrived += 1
        if arrived == count {
            var sum = [Double](repeating: 0, count: values.count)
            for c in contributions { for (i, v) in c!.enumerated() { sum[i] += v } }
            (result, bytes) = (sum, pending)
            (arrived, generation) = (0, generation + 1)
            condition.broadcast()
        } else {
            while round == generation { condition.wait() }
        }
        return (result, bytes)
    }

    final class Results<R>: @unchecked Sendable {
        private let lock = NSLock()
        var values: [Result<R, Error>?]
        init(count: Int) { values = Array(repeating: nil, count: count) }
        func set(_ i: Int, _ r: Result<R, Error>) { lock.lock(); values[i] = r; lock.unlock() }
    }

    final class Replica: ReplicaGroup, @unchecked Sendable {
        let hub: ThreadReplicas
        let replicaIndex: Int
        var replicaCount: Int { hub.count }
        init(hub: ThreadReplicas, index: Int) { (self.hub, replicaIndex) = (hub, index) }

        func sumOverReplicas(_ values: inout [Double]) throws { values = hub.exchange(values, index: replicaIndex, bytes: nil).0 }
        func sumOverReplicas(_ values: inout [Float]) throws {
            values = hub.exchange(values.map(Double.init), index: replicaIndex, bytes: nil).0.map(Float.init)
        }
        func broadcastFromReplica(_ bytes: inout [UInt8], root: Int) throws {
            bytes = hub.exchange([], index: replicaIndex, bytes: replicaIndex == root ? bytes : nil).1
        }
    }
}
