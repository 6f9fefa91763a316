import Testing
@testable import S2IGANTensor

@Suite struct MemoryPoolTests {
    @Test func sizeClassesRoundUpAndInvert() {
        for bytes in [1 << 16, (1 << 16) + 1, 100_000, 1 << 20, 3 << 20, (5 << 20) + 7, 1 << 30] {
            let cls = BlockCache.sizeClass(bytes)
            #expect(cls.bytes >= bytes && cls.bytes < bytes + bytes / 4 + (1 << 14), "\(bytes) → \(cls.bytes)")
            #expect(BlockCache.bytes(ofClass: cls.index) == cls.bytes)
            #expect(BlockCache.sizeClass(cls.bytes) == cls)
        }
    }

    @Test func freedBlocksAreReusedWithinThePeak() {
        let cache = BlockCache(limit: 1 << 30)
        let mib = 1 << 20
        let a = cache.allocate(mib), b = cache.allocate(3 * mib)
        cache.release(a.pointer, capacity: a.capacity)
        cache.release(b.pointer, capacity: b.capacity)
        #expect(cache.statistics.cached == a.capacity + b.capacity)
        #expect(cache.statistics.peakLive == a.capacity + b.capacity)

        // The same class comes back from the cache.
        let again = cache.allocate(mib - 100)
        #expect(again.pointer == a.pointer && again.capacity == a.capacity)
        #expect(cache.statistics.cached == b.capacity)

        // A miss grows the peak to 1 + 8 MiB; the cached 3 MiB would take the process past it, so it goes back.
        let big = cache.allocate(8 * mib)
        let stats = cache.statistics
        #expect(stats.live == a.capacity + big.capacity && stats.peakLive == stats.live)
        #expect(stats.cached == 0)
        cache.release(big.pointer, capacity: big.capacity)
        cache.release(again.pointer, capacity: again.capacity)
        #expect(cache.statistics.cached == a.capacity + big.capacity && cache.statistics.live == 0)
        cache.trim()
        #expect(cache.statistics.cached == 0)
    }

    @Test func theLimitAndSmallBlocksBypassTheCache() {
        let cache = BlockCache(limit: 2 << 20)
        let big = cache.allocate(3 << 20), small = cache.allocate(1000)
        #expect(small.capacity == 1000)
        cache.release(big.pointer, capacity: big.capacity)
        cache.release(small.pointer, capacity: small.capacity)
        #expect(cache.statistics.cached == 0 && cache.statistics.live == 0)
    }
}
