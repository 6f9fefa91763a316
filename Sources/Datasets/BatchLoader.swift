import Foundation
import S2IGANTensor

/// Prepares batches on background threads while the caller trains on earlier ones.
///
/// Batch `i` is made by `make(i)` on one of `workers` threads, at most `prefetch` batches ahead of the
/// consumer; ``next()`` returns them in order. `make` must derive its randomness from `i` alone (see
/// ``RandomStreams``), so the batches are the same whatever the thread timing. Dropping the loader before
/// the last batch (an early stop) stops its threads.
public final class BatchLoader<Batch: Sendable>: @unchecked Sendable {
    /// The state the worker threads share. The threads hold this, not the loader, so that releasing the
    /// loader can cancel them.
    private final class Queue: @unchecked Sendable {
        let count: Int
        let prefetch: Int
        let make: @Sendable (Int) throws -> Batch
        let condition = NSCondition()
        var ready: [Int: Result<Batch, Error>] = [:]
        var nextToClaim = 0
        var consumed = 0
        var cancelled = false

        init(count: Int, prefetch: Int, make: @escaping @Sendable (Int) throws -> Batch) {
            (self.count, self.prefetch, self.make) = (count, prefetch, make)
        }

        func work() {
            while true {
                condition.lock()
                while !cancelled && nextToClaim < count && nextToClaim >= consumed + prefetch { condition.wait() }
                guard !cancelled, nextToClaim < count else {
                    condition.unlock()
                    return
                }
                let index = nextToClaim
                nextToClaim += 1
                condition.unlock()
                let result = Result { try make(index) }
                condition.lock()
                ready[index] = result
                condition.broadcast()
                condition.unlock()
            }
        }

        func next() throws -> Batch? {
            condition.lock()
            defer { condition.unlock() }
            while !cancelled && consumed < count && ready[consumed] == nil { condition.wait() }
            guard !cancelled, consumed < count, let result = ready.removeValue(forKey: consumed) else { return nil }
            consumed += 1
            condition.broadcast()
            return try result.get()
        }

        func cancel() {
            condition.lock()
            cancelled = true
            condition.broadcast()
            condition.unlock()
        }
    }

    private let queue: Queue

    /// Starts `workers` threads making batches `0..<count`.
    public init(count: Int, workers: Int = 2, prefetch: Int = 4, make: @escaping @Sendable (Int) throws -> Batch) {
        let queue = Queue(count: max(0, count), prefetch: max(1, prefetch), make: make)
        self.queue = queue
        for _ in 0..<max(1, min(workers, queue.count)) {
            let thread = Thread { queue.work() }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    deinit { queue.cancel() }

    /// The next batch in order, or `nil` after the last (or after ``cancel()``). Rethrows the error that
    /// making it raised.
    public func next() throws -> Batch? { try queue.next() }

    /// Stops the workers after the batches they are making.
    public func cancel() { queue.cancel() }
}
