import Foundation

/// Reusable scratch memory for kernels (im2col columns, transposition buffers). Large buffers that
/// are allocated and freed on every call are page-faulted in again each time, which costs as much as
/// the arithmetic on this kind of machine; a small pool keeps a few of them alive between calls.
enum Scratch {
    private final class Pool: @unchecked Sendable {
        let lock = NSLock()
        var free: [(pointer: UnsafeMutablePointer<Float>, capacity: Int)] = []
    }
    private static let pool = Pool()
    private static let maximumPooled = 4

    /// Calls `body` with at least `count` floats of uninitialised memory.
    static func withBuffer<R>(count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        var buffer: (pointer: UnsafeMutablePointer<Float>, capacity: Int)?
        pool.lock.lock()
        if let i = pool.free.firstIndex(where: { $0.capacity >= count }) {
            buffer = pool.free.remove(at: i)
        }
        pool.lock.unlock()
        if buffer == nil {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
            buffer = (raw.bindMemory(to: Float.self, capacity: max(count, 1)), max(count, 1))
        }
        defer {
            pool.lock.lock()
            pool.free.append(buffer!)
            pool.free.sort { $0.capacity < $1.capacity }
            if pool.free.count > maximumPooled {
                // Keep the largest buffers: they are the expensive ones to fault in.
                let dropped = pool.free.removeFirst()
                UnsafeMutableRawPointer(dropped.pointer).deallocate()
            }
            pool.lock.unlock()
        }
        return try body(buffer!.pointer)
    }
}
