/// 64-bit FNV-1a: a stable fingerprint or seed from names, files and weights (fast, not for security). It can be
/// fed bytes or whole words; a word-fed hash differs from the byte-fed hash of the same memory, so every use keeps to
/// one way of feeding.
public struct FNV1a: Sendable, Hashable {
    public static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    public static let prime: UInt64 = 0x100_0000_01b3

    /// The hash of everything combined so far.
    public private(set) var value: UInt64

    /// An empty hash, or one continuing from an earlier `value`.
    public init(continuing value: UInt64 = FNV1a.offsetBasis) { self.value = value }

    /// One step with a whole word (a byte, or a wider value such as a Float's bit pattern).
    @inline(__always)
    public mutating func combine(_ word: UInt64) { value = (value ^ word) &* Self.prime }

    /// One step per byte.
    public mutating func combine<Bytes: Sequence>(bytes: Bytes) where Bytes.Element == UInt8 {
        for byte in bytes { combine(UInt64(byte)) }
    }

    /// One step per 8-byte word of `raw` (read unaligned, in the machine's byte order), then one per remaining byte.
    public mutating func combine(words raw: UnsafeRawBufferPointer) {
        let words = raw.count / 8
        for i in 0..<words { combine(raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) }
        for i in (words * 8)..<raw.count { combine(UInt64(raw[i])) }
    }

    /// One step per value, with its bit pattern (so −0 and 0, or two NaNs, can differ).
    public mutating func combine(_ values: UnsafeBufferPointer<Float>) {
        for v in values { combine(UInt64(v.bitPattern)) }
    }

    /// The byte-fed hash of `bytes` (of a string's UTF-8, for example).
    public static func hash<Bytes: Sequence>(bytes: Bytes, continuing value: UInt64 = FNV1a.offsetBasis) -> UInt64 where Bytes.Element == UInt8 {
        var h = FNV1a(continuing: value)
        h.combine(bytes: bytes)
        return h.value
    }
}

/// SplitMix64's output function (Steele, Lea and Flood): a bijective mix of 64 bits, where nearby inputs give
/// unrelated outputs. ``RandomGenerator`` seeds itself with it; seeds of random streams are derived with it.
public enum SplitMix64 {
    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
