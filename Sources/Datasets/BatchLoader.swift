import Foundation
import Tensor

/// Prepares batches on background threads while the caller trains on earlier ones.
///
/// Batch `i` is made by `make(i)` on one of `workers` threads, at most `prefetch` batches ahead of the
/// consumer; ``next()`` returns them in order. `make` must derive its randomness from `i` alone (see
/// ``RandomStreams``), so the batches are the same whatever the thread timing.
public final class BatchLoader<Batch: Sendable>: @unchecked Sendable {
    private let count: Int
    private let prefetch: Int
    private let make: @Sendable (Int) throws -> Batch
    private let condition = NSCondition()
    private var ready: [Int: Result<Batch, Error>] = [:]
    private var nextToClaim = 0
    private var consumed = 0
    private var cancelled = false
    private var threads: [Thread] = []

    /// Starts `workers` threads making batches `0..<count`.
    public init(count: Int, workers: Int = 2, prefetch: Int = 4, make: @escaping @Sendable (Int) throws -> Batch) {
        self.count = max(0, count)
        self.prefetch = max(1, prefetch)
        self.make = make
        for _ in 0..<max(1, min(workers, self.count)) {
            let thread = Thread { [self] in work() }
            thread.stackSize = 8 << 20
            threads.append(thread)
            thread.start()
        }
    }

    deinit { cancel() }

    private func work() {
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

    /// The next batch in order, or `nil` after the last. Rethrows the error that making it raised.
    public func next() throws -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        guard consumed < count, !cancelled else { return nil }
        while ready[consumed] == nil { condition.wait() }
        let result = ready.removeValue(forKey: consumed)!
        consumed += 1
        condition.broadcast()
        return try result.get()
    }

    /// Stops the workers after the batches they are making.
    public func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
