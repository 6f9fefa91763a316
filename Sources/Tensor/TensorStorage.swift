/// The buffer behind a tensor: 64-byte aligned Float32 memory, shared between tensor values until one
/// of them is mutated (copy-on-write). Large buffers come from, and go back to, ``MemoryPool``.
@usableFromInline
final class TensorStorage: @unchecked Sendable {
    @usableFromInline let pointer: UnsafeMutablePointer<Float>
    @usableFromInline let count: Int
    let capacity: Int

    /// Uninitialised memory for `count` floats.
    @usableFromInline
    init(uninitializedCount count: Int) {
        self.count = count
        let block = MemoryPool.allocate(Swift.max(count, 1) * MemoryLayout<Float>.stride)
        capacity = block.capacity
        pointer = block.pointer.bindMemory(to: Float.self, capacity: Swift.max(count, 1))
    }

    convenience init(repeating value: Float, count: Int) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: value, count: count)
    }

    @usableFromInline
    func copy() -> TensorStorage {
        let result = TensorStorage(uninitializedCount: count)
        result.pointer.update(from: pointer, count: count)
        return result
    }

    deinit {
        MemoryPool.release(UnsafeMutableRawPointer(pointer), capacity: capacity)
    }
}
