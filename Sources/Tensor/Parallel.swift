import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The library's parallel-for: the element-wise, reduction, im2col, pooling and GEMM kernels split
/// their work into at most one contiguous chunk per worker, and only when there is enough of it to pay
/// for the hand-off. Work started from inside a worker runs inline, so kernels that call kernels never
/// oversubscribe the cores (OpenBLAS itself always runs single-threaded under this scheme).
public enum Parallel {
    /// The number of cores of the machine.
    public static let coreCount: Int = Swift.max(1, ProcessInfo.processInfo.activeProcessorCount)

    nonisolated(unsafe) private static var configuredWorkers = coreCount

    /// How many workers large kernels use (default: all cores). Set it before starting work, not while
    /// kernels run on other threads.
    public static var workerCount: Int {
        get { configuredWorkers }
        set { configuredWorkers = Swift.max(1, newValue) }
    }

    private static let workerKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Whether the current thread is running a chunk of a parallel loop.
    public static var isInsideWorker: Bool { pthread_getspecific(workerKey) != nil }

    /// Calls `body(range)` over disjoint ranges that cover `0..<count`. `cost` is the approximate
    /// work per item in elementary operations; below about 32k operations in total it runs inline.
    @inlinable
    public static func forRanges(_ count: Int, cost: Int = 1, _ body: (Range<Int>) -> Void) {
        forChunks(count, cost: cost) { _, range in body(range) }
    }

    /// The number of chunks `forChunks` splits `count` items of the given cost into.
    public static func chunkCount(_ count: Int, cost: Int = 1) -> Int {
        guard count > 0 else { return 0 }
        if isInsideWorker { return 1 }
        return Swift.min(workerCount, count, Swift.max(1, (count * Swift.max(cost, 1)) / 32_768))
    }

    /// Like `forRanges`, also passing the chunk's number (`0..<chunkCount(count, cost:)`), so that each
    /// chunk can use private accumulators.
    public static func forChunks(_ count: Int, cost: Int = 1, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void) {
        let chunks = chunkCount(count, cost: cost)
        if chunks == 0 { return }
        if chunks == 1 {
            body(0, 0..<count)
            return
        }
        withoutActuallyEscaping(body) { body in
            let work = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let start = count * chunk / chunks
                let end = count * (chunk + 1) / chunks
                guard start < end else { return }
                let outer = pthread_getspecific(workerKey)
                pthread_setspecific(workerKey, UnsafeRawPointer(bitPattern: 1))
                work.value(chunk, start..<end)
                pthread_setspecific(workerKey, outer)
            }
        }
    }

    /// Calls `body(i)` for every `i` in `0..<count` on `workers` threads that each take the next unclaimed
    /// item — for items of very different cost, or that wait on other programs (so `workers` may exceed the
    /// cores). Kernels called from `body` run inline on its thread.
    public static func forEachItem(_ count: Int, workers: Int, _ body: @Sendable (Int) -> Void) {
        guard count > 0 else { return }
        let threads = Swift.max(1, Swift.min(workers, count))
        let counter = ItemCounter()
        withoutActuallyEscaping(body) { body in
            // Each thread object keeps its block until the thread has wound down, which may be after the wait
            // below: the block holds the box, and the box lets go of `body` before it may no longer escape.
            let work = WorkBox(body)
            let group = DispatchGroup()
            for _ in 0..<threads {
                group.enter()
                let thread = Thread {
                    pthread_setspecific(workerKey, UnsafeRawPointer(bitPattern: 1))
                    while case let item = counter.take(), item < count { work.run(item) }
                    group.leave()
                }
                thread.stackSize = 8 << 20
                thread.start()
            }
            group.wait()
            work.release()
        }
    }
}

/// Holds a loop body for worker threads until ``release()``.
private final class WorkBox: @unchecked Sendable {
    private var body: ((Int) -> Void)?

    init(_ body: @escaping (Int) -> Void) { self.body = body }

    func run(_ item: Int) { body?(item) }

    func release() { body = nil }
}

/// Hands out item numbers 0, 1, 2, … to worker threads.
private final class ItemCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0

    func take() -> Int {
        lock.lock()
        defer { lock.unlock() }
        next += 1
        return next - 1
    }
}

/// Carries a value into `concurrentPerform`; the kernels guarantee their chunks touch disjoint memory.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
