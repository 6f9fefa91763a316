import Foundation

/// A caching allocator for large tensor buffers.
///
/// glibc hands blocks of 128 KiB and more to `mmap` and returns them to the kernel when freed, so
/// every large temporary of every step is page-faulted in afresh; on the benchmark machine that cost
/// up to half of a training step (`shared/bench` finding 5). Freed large blocks are kept here in size
/// classes (powers of two split in four) and reused, up to a cap of a quarter of the physical memory
/// (at most 4 GiB). Small blocks go straight to the system allocator.
enum MemoryPool {
    static let minimumBytes = 1 << 16
    static let limitBytes = Swift.min(4 << 30, Int(ProcessInfo.processInfo.physicalMemory / 4))

    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var free: [[UnsafeMutableRawPointer]] = Array(repeating: [], count: 256)
        var cachedBytes = 0
    }
    private static let state = State()

    /// The size class of a request: its index and the bytes a block of that class holds.
    static func sizeClass(_ bytes: Int) -> (index: Int, bytes: Int) {
        let exponent = Swift.max(16, Int.bitWidth - (bytes - 1).leadingZeroBitCount)  // 2^exponent >= bytes
        let quarter = 1 << (exponent - 3)  // classes 2^(e-1) · (1 + k/4), k = 1...4
        let base = 1 << (exponent - 1)
        let k = Swift.max(1, (bytes - base + quarter - 1) / quarter)
        return ((exponent - 16) * 4 + k - 1, base + k * quarter)
    }

    /// A 64-byte aligned block of at least `bytes` bytes, and the capacity to give back to `release`.
    static func allocate(_ bytes: Int) -> (pointer: UnsafeMutableRawPointer, capacity: Int) {
        guard bytes >= minimumBytes else {
            return (UnsafeMutableRawPointer.allocate(byteCount: Swift.max(bytes, 4), alignment: 64), bytes)
        }
        let cls = sizeClass(bytes)
        if cls.index < state.free.count {
            state.lock.lock()
            if let block = state.free[cls.index].popLast() {
                state.cachedBytes -= cls.bytes
                state.lock.unlock()
                return (block, cls.bytes)
            }
            state.lock.unlock()
        }
        return (UnsafeMutableRawPointer.allocate(byteCount: cls.bytes, alignment: 64), cls.bytes)
    }

    /// Returns a block from `allocate` (with the capacity it reported).
    static func release(_ pointer: UnsafeMutableRawPointer, capacity: Int) {
        if capacity >= minimumBytes {
            let cls = sizeClass(capacity)
            state.lock.lock()
            if cls.index < state.free.count && cls.bytes == capacity && state.cachedBytes + capacity <= limitBytes {
                state.free[cls.index].append(pointer)
                state.cachedBytes += capacity
                state.lock.unlock()
                return
            }
            state.lock.unlock()
        }
        pointer.deallocate()
    }

    /// Bytes currently held for reuse.
    static var cachedBytes: Int {
        state.lock.lock()
        defer { state.lock.unlock() }
        return state.cachedBytes
    }

    /// Gives every cached block back to the system.
    static func trim() {
        state.lock.lock()
        for i in state.free.indices {
            for p in state.free[i] { p.deallocate() }
            state.free[i].removeAll()
        }
        state.cachedBytes = 0
        state.lock.unlock()
    }
}

extension Tensor {
    /// Bytes of freed large buffers the library keeps for reuse (at most a quarter of the physical memory).
    public static var cachedMemoryBytes: Int { MemoryPool.cachedBytes }

    /// Gives the cached buffers back to the system, e.g. after training, before a memory-hungry phase.
    public static func releaseCachedMemory() { MemoryPool.trim() }
}
