import Dispatch
import Foundation

/// A small parallel-for used by the element-wise, im2col and pooling kernels. Work is split into at
/// most one contiguous chunk per core, and only when there is enough of it to pay for the hand-off.
public enum Parallel {
    /// Number of worker chunks used for large kernels (the number of active cores).
    public static let coreCount: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Calls `body(range)` over disjoint ranges that cover `0..<count`. `cost` is the approximate
    /// work per item in elementary operations; below about 32k operations in total it runs inline.
    @inlinable
    public static func forRanges(_ count: Int, cost: Int = 1, _ body: (Range<Int>) -> Void) {
        forChunks(count, cost: cost) { _, range in body(range) }
    }

    /// The number of chunks `forChunks` splits `count` items of the given cost into.
    @inlinable
    public static func chunkCount(_ count: Int, cost: Int = 1) -> Int {
        guard count > 0 else { return 0 }
        return min(coreCount, count, max(1, (count * max(cost, 1)) / 32_768))
    }

    /// Like `forRanges`, also passing the chunk's number (`0..<chunkCount(count, cost:)`), so that each
    /// chunk can use private accumulators.
    @inlinable
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
                if start < end { work.value(chunk, start..<end) }
            }
        }
    }
}

/// Carries a value into `concurrentPerform`; the kernels guarantee their chunks touch disjoint memory.
@usableFromInline
struct UncheckedSendable<Value>: @unchecked Sendable {
    @usableFromInline let value: Value
    @usableFromInline init(_ value: Value) { self.value = value }
}
