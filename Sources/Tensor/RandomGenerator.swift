import Foundation

/// The one seedable random generator of the project: xoshiro256** seeded through SplitMix64.
///
/// The same seed gives the same sequence on every run and machine: integers come from integer
/// arithmetic only, uniform floats from the top bits of those integers, and normal samples from the
/// Box–Muller transform in Double precision (rounded to Float where a Float is asked for).
public struct RandomGenerator: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64
    private var spareNormal: Double?

    /// A generator whose state is derived from `seed` with SplitMix64 (so nearby seeds give unrelated streams).
    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            return SplitMix64.mix(x)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func nextFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A standard normal sample (Box–Muller; the second value of each pair is kept for the next call).
    public mutating func nextNormal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        let u1 = Double((next() >> 11) + 1) * 0x1p-53  // (0, 1]: the logarithm stays finite
        let u2 = Double(next() >> 11) * 0x1p-53
        let r = (-2 * Foundation.log(u1)).squareRoot()
        let theta = 2 * Double.pi * u2
        spareNormal = r * Foundation.sin(theta)
        return r * Foundation.cos(theta)
    }

    /// Uniform integer in `0..<bound` without modulo bias (Lemire's multiply-and-reject).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:) needs a positive bound")
        let n = UInt64(bound)
        var product = next().multipliedFullWidth(by: n)
        if product.low < n {
            let threshold = (0 &- n) % n
            while product.low < threshold { product = next().multipliedFullWidth(by: n) }
        }
        return Int(product.high)
    }

    /// True with probability `p`.
    public mutating func bernoulli(_ p: Double) -> Bool { nextDouble() < p }

    /// A uniformly random permutation of `0..<n` (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var result = Array(0..<Swift.max(n, 0))
        shuffle(&result)
        return result
    }

    /// Shuffles `array` in place (Fisher–Yates, with this generator's integers).
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, nextInt(below: i + 1))
        }
    }
}

extension Tensor {
    /// Values uniform in `[low, high)`.
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1, using rng: inout RandomGenerator) throws -> Tensor {
        try Shape.validate(shape, "uniform")
        guard low <= high else { throw TensorError.invalidArgument("uniform: low \(low) is above high \(high)") }
        let result = Tensor(uninitializedShape: shape)
        let p = result.storage.pointer, width = high - low
        for i in 0..<result.count { p[i] = low + width * rng.nextFloat() }
        return result
    }

    /// Values from a normal distribution with the given mean and standard deviation.
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1, using rng: inout RandomGenerator) throws -> Tensor {
        try Shape.validate(shape, "normal")
        guard std >= 0 else { throw TensorError.invalidArgument("normal: negative standard deviation \(std)") }
        let result = Tensor(uninitializedShape: shape)
        let p = result.storage.pointer
        for i in 0..<result.count { p[i] = Float(Double(mean) + Double(std) * rng.nextNormal()) }
        return result
    }

    /// 1 with probability `probability`, else 0.
    public static func bernoulli(_ shape: [Int], probability: Float, using rng: inout RandomGenerator) throws -> Tensor {
        try Shape.validate(shape, "bernoulli")
        guard probability >= 0 && probability <= 1 else {
            throw TensorError.invalidArgument("bernoulli: probability \(probability) is outside [0, 1]")
        }
        let result = Tensor(uninitializedShape: shape)
        let p = result.storage.pointer
        for i in 0..<result.count { p[i] = rng.bernoulli(Double(probability)) ? 1 : 0 }
        return result
    }
}
