import Dispatch
import Foundation

/// Runs the model's work one job at a time, on a thread of its own (never on the server's event loops), with at
/// most `limit` jobs waiting behind the running one. A job past its deadline is answered with a timeout at once;
/// if it had not started it never runs, and if it had, its result is dropped when it ends.
public final class JobQueue: @unchecked Sendable {
    public let limit: Int
    private let queue = DispatchQueue(label: "s2igan.serve.model")
    private let lock = NSLock()
    private var pending = 0
    private var averageSeconds = 1.0

    public init(limit: Int) { self.limit = limit }

    /// Jobs waiting or running.
    public var depth: Int { lock.lock(); defer { lock.unlock() }; return pending }

    /// Seconds a new job would wait, from the jobs ahead and their recent time (at least 1, for Retry-After).
    public var expectedWait: Int {
        lock.lock(); defer { lock.unlock() }
        return max(1, Int((Double(pending) * averageSeconds).rounded(.up)))
    }

    /// Counts a new job in, unless `limit` are already waiting behind the running one.
    private func admit() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard pending <= limit else { return false }
        pending += 1
        return true
    }

    /// Runs `work` when the jobs ahead of it are done. Throws ``ServeError/refused(status:message:)`` with 503 when
    /// `limit` jobs are already waiting, and when `timeout` seconds pass first.
    public func run<T: Sendable>(timeout: Double, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        guard admit() else { throw ServeError.refused(status: 503, message: "busy: \(limit) requests are already waiting; try again later") }
        let once = Once<T>()
        return try await withCheckedThrowingContinuation { continuation in
            once.continuation = continuation
            queue.async { [self] in
                defer {
                    lock.lock()
                    pending -= 1
                    lock.unlock()
                }
                guard !once.isFinished else { return }
                let started = DispatchTime.now().uptimeNanoseconds
                let result = Result { try work() }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                lock.lock()
                averageSeconds = 0.8 * averageSeconds + 0.2 * seconds
                lock.unlock()
                once.finish(result)
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                once.finish(.failure(ServeError.refused(status: 503, message: String(format: "timed out after %.0f s; try again later", timeout))))
            }
        }
    }
}

/// A continuation resumed once, by whichever of the job and its deadline comes first.
final class Once<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    var continuation: CheckedContinuation<T, any Error>?
    private var finished = false

    var isFinished: Bool { lock.lock(); defer { lock.unlock() }; return finished }

    func finish(_ result: Result<T, any Error>) {
        lock.lock()
        guard !finished, let c = continuation else { lock.unlock(); return }
        (finished, continuation) = (true, nil)
        lock.unlock()
        c.resume(with: result)
    }
}
