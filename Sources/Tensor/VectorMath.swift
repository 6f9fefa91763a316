/// Eight-lane exponential, logistic and tanh for the recurrent cells' gates, where libm's scalar calls
/// would take half of a GRU step. The exponential is the Cephes single-precision polynomial (about
/// 1 ulp on the clamped range); tanh and the logistic function are formed from it stably for either sign. A NaN
/// input gives NaN, as the scalar functions do, so a NaN in a recurrent layer's input is never turned into numbers.
enum VectorMath {
    typealias V = SIMD8<Float>

    @inline(__always)
    static func exp(_ x: V) -> V {
        let clamped = x.clamped(lowerBound: V(repeating: -87.3), upperBound: V(repeating: 88.3))
        let n = (clamped * 1.442_695_040_888_963_4).rounded(.toNearestOrEven)
        var r = clamped - n * 0.693_359_375
        r = r - n * -2.121_944_400_546_905_8e-4
        var p = V(repeating: 1.987_569_150_0e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        let y = p * r * r + r + 1
        // 2^n from the bits: adding 1.5 · 2^23 leaves the integer n + 127 in the low mantissa bits
        // (a lane-wise integer trick; the generic Float → Int32 vector conversion is not vectorised).
        let shifted = unsafeBitCast(n + (12_582_912 + 127), to: SIMD8<UInt32>.self)
        let scale = unsafeBitCast((shifted & 0x7F_FFFF) &<< 23, to: V.self)
        // A NaN lane would leave the clamp as a bound: it stays NaN, as libm's expf keeps it (and PyTorch's gates).
        return (y * scale).replacing(with: x, where: x .!= x)
    }

    /// `1 / (1 + e^(−x))`, from `e^(−|x|)` so that nothing overflows.
    @inline(__always)
    static func logistic(_ x: V) -> V {
        let e = exp(-abs(x))
        let positive = 1 / (1 + e)
        return positive.replacing(with: e * positive, where: x .< 0)
    }

    /// `tanh(x) = sign(x) · (1 − e^(−2|x|)) / (1 + e^(−2|x|))`; below 1e-3 in magnitude, x itself (to 1e-7).
    @inline(__always)
    static func tanh(_ x: V) -> V {
        let a = abs(x)
        let e = exp(-2 * a)
        var t = (1 - e) / (1 + e)
        t = t.replacing(with: a, where: a .< 1e-3)
        return t.replacing(with: -t, where: x .< 0)
    }

    @inline(__always)
    static func abs(_ x: V) -> V { x.replacing(with: -x, where: x .< 0) }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }

    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }
}
