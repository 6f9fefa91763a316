import Foundation
import S2IGANTensor

/// Distances between feature distributions: FID and KID.
public enum FeatureDistance {
    /// The Fréchet distance of two Gaussian fits (FID): `|μ1 − μ2|² + tr Σ1 + tr Σ2 − 2 tr (Σ1 Σ2)^½`.
    ///
    /// `tr (Σ1 Σ2)^½` is computed through symmetric eigendecompositions — `Σ1^½ = V √Λ Vᵀ`, then the eigenvalues
    /// `μ_i` of the symmetric `Σ1^½ Σ2 Σ1^½`, which has the same spectrum as `Σ1 Σ2`, and `Σ √max(μ_i, 0)` — so it
    /// stays real and finite for the singular covariances of small sample sets, where pytorch-fid's `sqrtm` needs its
    /// ε retry.
    public static func frechet(_ a: GaussianStatistics, _ b: GaussianStatistics) throws -> Double {
        guard a.dimensions == b.dimensions, a.dimensions > 0 else {
            throw MetricsError.shapeMismatch("FID: statistics of \(a.dimensions) and \(b.dimensions) dimensions")
        }
        let meanTerm = zip(a.mean, b.mean).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let (values, vectors) = try a.covariance.symmetricEigen()
        let d = a.dimensions
        // V · diag(√λ) · Vᵀ
        var scaled = vectors
        for j in 0..<d {
            let root = max(values[j], 0).squareRoot()
            for i in 0..<d { scaled.values[i * d + j] *= root }
        }
        let rootA = try scaled.multiplied(by: vectors, transposeOther: true)
        var product = try rootA.multiplied(by: b.covariance).multiplied(by: rootA)
        for i in 0..<d { for j in (i + 1)..<d {
            let mean = (product.values[i * d + j] + product.values[j * d + i]) / 2
            product.values[i * d + j] = mean
            product.values[j * d + i] = mean
        } }
        let traceRoot = try product.symmetricEigen().values.reduce(0) { $0 + max($1, 0).squareRoot() }
        let distance = meanTerm + a.covariance.trace + b.covariance.trace - 2 * traceRoot
        guard distance.isFinite else {
            throw MetricsError.invalidInput("FID: the distance is not finite (the statistics hold values too large to compare)")
        }
        return distance
    }

    /// The result of ``kernel(_:_:subsets:subsetSize:seed:)``.
    public struct KernelDistance: Sendable, Equatable, Codable {
        public var mean: Double
        public var standardDeviation: Double
        public var subsets: Int
        public var subsetSize: Int
    }

    /// KID (Bińkowski et al.; torch-fidelity's estimator): the unbiased squared MMD with the polynomial kernel
    /// `k(x, y) = (xᵀy / D + 1)³`, averaged over `subsets` random subsets of `subsetSize` rows drawn without
    /// replacement from each set; standard deviation over subsets with ddof 0. The subsets come from our generator
    /// seeded with `seed` (torch-fidelity draws them with NumPy's), so values agree exactly only when every subset
    /// holds all rows.
    public static func kernel(_ x: Tensor, _ y: Tensor, subsets: Int = 100, subsetSize: Int = 1000, seed: UInt64 = 0) throws -> KernelDistance {
        guard x.rank == 2, y.rank == 2, x.shape[1] == y.shape[1] else {
            throw MetricsError.shapeMismatch("KID: features \(x.shape) and \(y.shape) must be [N, D] with the same D")
        }
        let m = min(subsetSize, x.shape[0], y.shape[0])
        guard m >= 2, subsets >= 1 else {
            throw MetricsError.invalidInput("KID: need at least 2 samples per set and 1 subset (sets of \(x.shape[0]) and \(y.shape[0]))")
        }
        let a = try DoubleMatrix(x), b = try DoubleMatrix(y), d = Double(x.shape[1])
        var rng = RandomGenerator(seed: seed)
        var values: [Double] = []
        for _ in 0..<subsets {
            let xs = try rows(a, Array(rng.permutation(a.rows).prefix(m))), ys = try rows(b, Array(rng.permutation(b.rows).prefix(m)))
            func kernelSum(_ p: DoubleMatrix, _ q: DoubleMatrix, offDiagonal: Bool) throws -> Double {
                let g = try p.multiplied(by: q, transposeOther: true)
                var sum = 0.0
                for i in 0..<m { for j in 0..<m where !(offDiagonal && i == j) {
                    let k = g.values[i * m + j] / d + 1
                    sum += k * k * k
                } }
                return sum
            }
            let within = try kernelSum(xs, xs, offDiagonal: true) + kernelSum(ys, ys, offDiagonal: true)
            let across = try kernelSum(xs, ys, offDiagonal: false)
            let mm = Double(m)
            values.append(within / (mm * (mm - 1)) - 2 * across / (mm * mm))
        }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        return KernelDistance(mean: mean, standardDeviation: variance.squareRoot(), subsets: subsets, subsetSize: m)
    }

    static func rows(_ m: DoubleMatrix, _ indices: [Int]) throws -> DoubleMatrix {
        var values: [Double] = []
        values.reserveCapacity(indices.count * m.columns)
        for i in indices { values += m.values[(i * m.columns)..<((i + 1) * m.columns)] }
        return try DoubleMatrix(rows: indices.count, columns: m.columns, values: values)
    }
}
