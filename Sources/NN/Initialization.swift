import Foundation
import S2IGANTensor

/// Parameter initialisers with PyTorch's formulas, and the shared generator that layers draw their
/// default initial values (and dropout masks) from. `Initialization.seeded(_:_:)` makes model construction
/// reproducible.
public enum Initialization {
    private final class Shared: @unchecked Sendable {
        // Recursive: ``seeded(_:_:)`` holds it while the layers it builds draw from the generator.
        let lock = NSRecursiveLock()
        var generator = RandomGenerator(seed: 0)
    }
    private static let shared = Shared()

    /// Reseeds the shared generator. What is built afterwards depends on the seed only if no other thread draws from
    /// the generator in between; ``seeded(_:_:)`` holds it for the whole construction.
    public static func seed(_ seed: UInt64) {
        shared.lock.lock()
        shared.generator = RandomGenerator(seed: seed)
        shared.lock.unlock()
    }

    /// Reseeds the shared generator and runs `body` (typically a model's construction) with exclusive use of
    /// it, so that what `body` draws depends only on `seed`, even while other threads create layers too.
    public static func seeded<R>(_ seed: UInt64, _ body: () throws -> R) rethrows -> R {
        shared.lock.lock()
        defer { shared.lock.unlock() }
        shared.generator = RandomGenerator(seed: seed)
        return try body()
    }

    /// Runs `body` with exclusive use of the shared generator.
    public static func withGenerator<R>(_ body: (inout RandomGenerator) throws -> R) rethrows -> R {
        shared.lock.lock()
        defer { shared.lock.unlock() }
        return try body(&shared.generator)
    }

    /// How a gain is chosen for a nonlinearity (`torch.nn.init.calculate_gain`).
    public enum Nonlinearity: Sendable {
        case linear, sigmoid, tanh, relu
        case leakyRelu(negativeSlope: Float)

        public var gain: Float {
            switch self {
            case .linear, .sigmoid: return 1
            case .tanh: return 5.0 / 3
            case .relu: return Float(2).squareRoot()
            case .leakyRelu(let slope): return (2 / (1 + slope * slope)).squareRoot()
            }
        }
    }

    /// Which fan Kaiming initialisation preserves.
    public enum FanMode: Sendable { case fanIn, fanOut }

    /// `(fanIn, fanOut)` of a weight shape `[out, in, k...]` (`_calculate_fan_in_and_fan_out`).
    public static func fans(_ shape: [Int]) throws -> (fanIn: Int, fanOut: Int) {
        guard shape.count >= 2 else {
            throw NNError.invalidConfiguration("fan in/out needs a tensor of at least 2 dimensions, got \(shape)")
        }
        // Checked products: the sizes may come from a configuration file.
        func product(_ values: some Sequence<Int>) throws -> Int {
            try values.reduce(1) { n, d in
                let (p, overflow) = n.multipliedReportingOverflow(by: d)
                guard !overflow, d >= 0 else { throw NNError.invalidConfiguration("fan in/out: shape \(shape) has more elements than can be counted") }
                return p
            }
        }
        let receptive = try product(shape.dropFirst(2))
        return (try product([shape[1], receptive]), try product([shape[0], receptive]))
    }

    /// Uniform in `[-bound, bound)`.
    public static func uniform(_ shape: [Int], bound: Float) throws -> Tensor {
        try withGenerator { try Tensor.uniform(shape, low: -bound, high: bound, using: &$0) }
    }

    /// Normal with the given mean and standard deviation.
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1) throws -> Tensor {
        try withGenerator { try Tensor.normal(shape, mean: mean, std: std, using: &$0) }
    }

    /// Normal with the given mean and standard deviation, redrawn until inside `[a, b]`
    /// (`torch.nn.init.trunc_normal_`; the bounds are absolute values, not multiples of `std`).
    public static func truncatedNormal(_ shape: [Int], mean: Float = 0, std: Float = 1, a: Float = -2, b: Float = 2) throws -> Tensor {
        guard a < b, std > 0 else { throw NNError.invalidConfiguration("truncated normal: need a < b and std > 0, got [\(a), \(b)], std \(std)") }
        // Draws outside the bounds are rare unless the interval is narrow; bound the loop anyway.
        let low = Double(a), high = Double(b)
        return try withGenerator { rng in
            var values = [Float](repeating: 0, count: try Tensor.validatedCount(shape, for: "truncated normal"))
            for i in values.indices {
                var draw = Double(mean)
                for _ in 0..<10_000 {
                    let candidate = Double(mean) + Double(std) * rng.nextNormal()
                    if candidate >= low && candidate <= high { draw = candidate; break }
                }
                values[i] = Float(min(max(draw, low), high))
            }
            return try Tensor(shape: shape, scalars: values)
        }
    }

    /// A constant.
    public static func constant(_ shape: [Int], value: Float) throws -> Tensor { try Tensor.full(shape, value: value) }

    /// Kaiming (He) uniform: bound `gain · √(3 / fan)`, with the gain of a leaky ReLU of slope `a`
    /// unless `nonlinearity` is given (PyTorch's layer default is `a = √5`).
    public static func kaimingUniform(_ shape: [Int], a: Float = 0, mode: FanMode = .fanIn,
                                      nonlinearity: Nonlinearity? = nil) throws -> Tensor {
        let (fanIn, fanOut) = try fans(shape)
        let fan = Float(mode == .fanIn ? fanIn : fanOut)
        let gain = (nonlinearity ?? .leakyRelu(negativeSlope: a)).gain
        return try uniform(shape, bound: gain * (3 / fan).squareRoot())
    }

    /// Kaiming (He) normal: standard deviation `gain / √fan`.
    public static func kaimingNormal(_ shape: [Int], a: Float = 0, mode: FanMode = .fanIn,
                                     nonlinearity: Nonlinearity? = nil) throws -> Tensor {
        let (fanIn, fanOut) = try fans(shape)
        let fan = Float(mode == .fanIn ? fanIn : fanOut)
        let gain = (nonlinearity ?? .leakyRelu(negativeSlope: a)).gain
        return try normal(shape, std: gain / fan.squareRoot())
    }

    /// Xavier (Glorot) uniform: bound `gain · √(6 / (fanIn + fanOut))`.
    public static func xavierUniform(_ shape: [Int], gain: Float = 1) throws -> Tensor {
        let (fanIn, fanOut) = try fans(shape)
        return try uniform(shape, bound: gain * (6 / Float(fanIn + fanOut)).squareRoot())
    }

    /// Orthogonal initialisation (`torch.nn.init.orthogonal_`): the tensor viewed as `[rows, rest]` gets
    /// orthonormal rows or columns from the QR decomposition of a Gaussian matrix, with the signs of R's
    /// diagonal folded into Q so that the result is uniformly distributed, times `gain`.
    public static func orthogonal(_ shape: [Int], gain: Float = 1) throws -> Tensor {
        guard shape.count >= 2 else {
            throw NNError.invalidConfiguration("orthogonal: needs a tensor of at least 2 dimensions, got \(shape)")
        }
        let rows = shape[0], columns = try Tensor.validatedCount(Array(shape.dropFirst()), for: "orthogonal")
        guard rows > 0 && columns > 0 else { return try Tensor.zeros(shape) }
        var flat = try normal([rows, columns])
        if rows < columns { flat = try flat.transposed() }
        let (q, r) = try flat.qr()
        let k = Swift.min(rows, columns)
        var signs = [Float](repeating: 1, count: k)
        for i in 0..<k { signs[i] = try r.value(at: [i, i]) < 0 ? -1 : 1 }
        var result = try q * Tensor(signs)
        if rows < columns { result = try result.transposed() }
        return try (result * gain).reshaped(shape)
    }
}
