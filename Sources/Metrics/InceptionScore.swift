import Foundation
import S2IGANTensor

/// The Inception Score `exp(E_x KL(p(y|x) ‖ p(y)))` of class probabilities, per split, then the mean and the
/// population standard deviation over the splits.
public enum InceptionScore {
    /// How the images are cut into splits.
    public enum Splitting: String, Sendable, Codable {
        /// The S2IGAN reference (`inception_score.py`): `splits` consecutive splits of ⌊N / splits⌋ images each;
        /// the last N mod splits images are not used.
        case reference
        /// torch-fidelity: split i holds rows ⌊i·N / splits⌋ ..< ⌊(i+1)·N / splits⌋, so every image is used.
        case fidelity
    }

    public struct Score: Sendable, Equatable, Codable {
        public var mean: Double
        public var standardDeviation: Double
        public var splits: Int
        public var images: Int
    }

    /// The score of `logits` `[N, classes]` (a softmax in Double turns them into probabilities).
    public static func score(logits: Tensor, splits: Int = 10, splitting: Splitting = .reference) throws -> Score {
        guard logits.rank == 2, logits.shape[1] >= 2 else { throw MetricsError.shapeMismatch("IS: logits \(logits.shape) are not [N, classes]") }
        let n = logits.shape[0], c = logits.shape[1], x = logits.scalars
        guard splits >= 1, n >= splits else { throw MetricsError.invalidInput("IS: \(n) images cannot make \(splits) splits") }
        guard x.allSatisfy(\.isFinite) else { throw MetricsError.invalidInput("IS: the logits hold NaN or infinite values") }
        var logP = [Double](repeating: 0, count: n * c)
        for i in 0..<n {
            let row = (i * c)..<((i + 1) * c)
            let peak = Double(x[row].reduce(-Float.infinity, Swift.max))  // c ≥ 2 finite values
            let logSum = x[row].reduce(0.0) { $0 + Foundation.exp(Double($1) - peak) }.log()
            for j in row { logP[j] = Double(x[j]) - peak - logSum }
        }
        var scores: [Double] = []
        for s in 0..<splits {
            let range: Range<Int>
            switch splitting {
            case .reference: range = (s * (n / splits))..<((s + 1) * (n / splits))
            case .fidelity: range = (s * n / splits)..<((s + 1) * n / splits)
            }
            var marginal = [Double](repeating: 0, count: c)
            for i in range { for j in 0..<c { marginal[j] += Foundation.exp(logP[i * c + j]) } }
            let logMarginal = marginal.map { ($0 / Double(range.count)).log() }
            var kl = 0.0
            for i in range { for j in 0..<c {
                let lp = logP[i * c + j]
                kl += Foundation.exp(lp) * (lp - logMarginal[j])
            } }
            scores.append(Foundation.exp(kl / Double(range.count)))
        }
        let mean = scores.reduce(0, +) / Double(splits)
        let variance = scores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(splits)
        return Score(mean: mean, standardDeviation: variance.squareRoot(), splits: splits, images: n)
    }
}

extension Double {
    fileprivate func log() -> Double { Foundation.log(self) }
}
