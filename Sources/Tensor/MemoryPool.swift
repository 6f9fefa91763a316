import Foundation

/// A caching allocator for large tensor buffers.
///
/// glibc hands blocks of 128 KiB and more to `mmap` and returns them to the kernel when freed, so
/// every large temporary of every step is page-faulted in afresh; on the benchmark machine that cost
/// up to half of a training step (`shared/bench` finding 5), and with a cache capped at 4 GiB still a sixth
/// of the reference RDG iteration (the kernel zeroing pages). Freed large blocks are kept in size classes
/// (powers of two split in four) and reused. Small blocks go straight to the system allocator.
///
/// The cache never makes the process bigger than it has already been: live large blocks plus cached ones
/// stay within the peak of live large blocks so far. When a request misses its class, cached blocks of other
/// classes are given back, largest first, until that holds again. A request takes a cached block of its own
/// class or, failing that, of one of the next four (up to twice its size) before it allocates. So an iteration
/// that frees its graph and builds it again reuses every block, while a phase with other sizes (evaluation after
/// training) trades the old blocks in instead of adding to them. At most `limit` bytes are cached.
final class BlockCache: @unchecked Sendable {
    static let minimumBytes = 1 << 16

    let limit: Int
    private let lock = NSLock()
    private var free: [[UnsafeMutableRawPointer]] = Array(repeating: [], count: 256)
    private var cached = 0
    /// Bytes of large blocks handed out and not yet released, and the most there have been.
    private var live = 0, peakLive = 0
    /// No class above this one holds a cached block (where eviction starts looking).
    private var highestClass = 0

    init(limit: Int) { self.limit = limit }

    /// The size class of a request: its index and the bytes a block of that class holds.
    static func sizeClass(_ bytes: Int) -> (index: Int, bytes: Int) {
        let exponent = Swift.max(16, Int.bitWidth - (bytes - 1).leadingZeroBitCount)  // 2^exponent >= bytes
        let quarter = 1 << (exponent - 3)  // classes 2^(e-1) · (1 + k/4), k = 1...4
        let base = 1 << (exponent - 1)
        let k = Swift.max(1, (bytes - base + quarter - 1) / quarter)
        return ((exponent - 16) * 4 + k - 1, base + k * quarter)
    }

    /// The bytes a block of class `index` holds (the inverse of `sizeClass`).
    static func bytes(ofClass index: Int) -> Int {
        let exponent = index / 4 + 16, k = index % 4 + 1
        return (1 << (exponent - 1)) + k * (1 << (exponent - 3))
    }

    /// A 64-byte aligned block of at least `bytes` bytes, and the capacity to give back to `release`.
    func allocate(_ bytes: Int) -> (pointer: UnsafeMutableRawPointer, capacity: Int) {
        guard bytes >= Self.minimumBytes else {
            return (UnsafeMutableRawPointer.allocate(byteCount: Swift.max(bytes, 4), alignment: 64), bytes)
        }
        let cls = Self.sizeClass(bytes)
        var evicted: [UnsafeMutableRawPointer] = []
        lock.lock()
        // Best fit: this class, or one of the next four (a block up to twice the size) when this one is empty.
        for index in cls.index..<Swift.min(cls.index + 5, free.count) {
            if let block = free[index].popLast() {
                let capacity = Self.bytes(ofClass: index)
                cached -= capacity
                live += capacity
                lock.unlock()
                return (block, capacity)
            }
        }
        live += cls.bytes
        peakLive = Swift.max(peakLive, live)
        var index = highestClass
        while live + cached > peakLive && index >= 0 {
            if let block = free[index].popLast() {
                cached -= Self.bytes(ofClass: index)
                evicted.append(block)
            } else {
                index -= 1
            }
        }
        lock.unlock()
        for block in evicted { block.deallocate() }
        return (UnsafeMutableRawPointer.allocate(byteCount: cls.bytes, alignment: 64), cls.bytes)
    }

    /// Returns a block from `allocate` (with the capacity it reported).
    func release(_ pointer: UnsafeMutableRawPointer, capacity: Int) {
        if capacity >= Self.minimumBytes {
            let cls = Self.sizeClass(capacity)
            lock.lock()
            live -= capacity
            if cls.index < free.count && cls.bytes == capacity && cached + capacity <= limit {
                free[cls.index].append(pointer)
                cached += capacity
                highestClass = Swift.max(highestClass, cls.index)
                lock.unlock()
                return
            }
            lock.unlock()
        }
        pointer.deallocate()
    }

    /// Bytes held for reuse, of large blocks in use, and the most of those there have been.
    var statistics: (cached: Int, live: Int, peakLive: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (cached, live, peakLive)
    }

    /// Gives every cached block back to the system.
    func trim() {
        lock.lock()
        let blocks = free.flatMap { $0 }
        for i in free.indices { free[i].removeAll() }
        cached = 0
        lock.unlock()
        for p in blocks { p.deallocate() }
    }
}

/// The cache behind every tensor's storage: at most half of the physical memory.
enum MemoryPool {
    static let shared = BlockCache(limit: Int(ProcessInfo.processInfo.physicalMemory / 2))

    static func allocate(_ bytes: Int) -> (pointer: UnsafeMutableRawPointer, capacity: Int) { shared.allocate(bytes) }
    static func release(_ pointer: UnsafeMutableRawPointer, capacity: Int) { shared.release(pointer, capacity: capacity) }
}

extension Tensor {
    /// Bytes of freed large buffers the library keeps for reuse. Together with the large buffers in use they
    /// never exceed the most the process has had in use at once (and they are at most half the physical memory).
    public static var cachedMemoryBytes: Int { MemoryPool.shared.statistics.cached }

    /// Gives the cached buffers back to the system, e.g. after training, before a memory-hungry phase.
    public static func releaseCachedMemory() { MemoryPool.shared.trim() }
}
