/// The α–β cost of an all-reduce: a start-up latency α per message step and a time β per byte on a link. Open MPI's
/// ring all-reduce of n bytes over p ranks takes 2(p − 1) steps, each moving n/p bytes, so
/// `T = 2(p − 1)·α + 2(p − 1)/p · n · β`. α and β are fitted to timings of one machine; a network's β is
/// `8 / (link bits per second)`.
public struct AllReduceModel: Sendable, Equatable {
    /// Seconds per message step.
    public var alpha: Double
    /// Seconds per byte.
    public var beta: Double

    public init(alpha: Double, beta: Double) { (self.alpha, self.beta) = (alpha, beta) }

    /// The fit of `T = 2(p − 1)·α + 2(p − 1)/p · n · β` to `(bytes, seconds)` timings on `ranks` ranks (at least two
    /// timings of different sizes), least squares in relative error, so the small messages decide α and the large
    /// ones β. Negative estimates (noise) are clamped to 0.
    public static func fit(_ timings: [(bytes: Int, seconds: Double)], ranks: Int) throws -> AllReduceModel {
        guard ranks >= 2, Set(timings.map(\.bytes)).count >= 2, timings.allSatisfy({ $0.seconds > 0 }) else {
            throw DistributedError.invalidRequest("all-reduce model: need positive timings of at least two sizes on at least two ranks")
        }
        let steps = 2 * Double(ranks - 1), share = steps / Double(ranks)
        // T = a + b·x with x = share·n, each timing weighted by 1/T²; then α = a / steps and β = b.
        var (sw, swx, swy, swxx, swxy) = (0.0, 0.0, 0.0, 0.0, 0.0)
        for t in timings {
            let (x, y) = (share * Double(t.bytes), t.seconds)
            let w = 1 / (y * y)
            (sw, swx, swy, swxx, swxy) = (sw + w, swx + w * x, swy + w * y, swxx + w * x * x, swxy + w * x * y)
        }
        let determinant = sw * swxx - swx * swx
        let b = max((sw * swxy - swx * swy) / determinant, 0)
        let a = max((swy - b * swx) / sw, 0)
        return AllReduceModel(alpha: a / steps, beta: b)
    }

    /// Seconds for one ring all-reduce of `bytes` on `ranks` ranks.
    public func seconds(bytes: Double, ranks: Int) -> Double {
        guard ranks > 1 else { return 0 }
        let steps = 2 * Double(ranks - 1)
        return steps * alpha + steps / Double(ranks) * bytes * beta
    }

    /// The same α on a link of `bitsPerSecond` (β = 8 / bits per second).
    public func onLink(bitsPerSecond: Double) -> AllReduceModel { AllReduceModel(alpha: alpha, beta: 8 / bitsPerSecond) }
}
