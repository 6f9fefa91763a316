/// Scratch memory for kernels (im2col columns, transposition buffers), from ``MemoryPool`` so that
/// large buffers are not page-faulted in again on every call.
enum Scratch {
    /// Calls `body` with at least `count` floats of uninitialised memory.
    static func withBuffer<R>(count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let block = MemoryPool.allocate(Swift.max(count, 1) * MemoryLayout<Float>.stride)
        defer { MemoryPool.release(block.pointer, capacity: block.capacity) }
        return try body(block.pointer.bindMemory(to: Float.self, capacity: Swift.max(count, 1)))
    }
}
