import Foundation
import S2IGANTensor
import S2IGANFormats

/// The Gaussian fit of a feature set that FID compares: the mean and the covariance (divided by N − 1, as
/// `numpy.cov`), in Double. Saved as `.npz` with keys `mu` and `sigma`, so pytorch-fid's `--save-stats` files and
/// ours are interchangeable.
public struct GaussianStatistics: Sendable, Equatable {
    public var mean: [Double]
    public var covariance: DoubleMatrix
    /// Samples the fit was made from (0 when read from a file that does not say).
    public var count: Int

    public init(mean: [Double], covariance: DoubleMatrix, count: Int = 0) throws {
        guard covariance.rows == mean.count, covariance.columns == mean.count else {
            throw MetricsError.shapeMismatch("statistics: mean of \(mean.count) with a \(covariance.rows)×\(covariance.columns) covariance")
        }
        (self.mean, self.covariance, self.count) = (mean, covariance, count)
    }

    /// The fit of `features` `[N, D]` (N ≥ 2).
    public init(features: Tensor) throws {
        guard features.rank == 2, features.shape[0] >= 2 else {
            throw MetricsError.shapeMismatch("statistics: need features [N ≥ 2, D], got \(features.shape)")
        }
        let m = try DoubleMatrix(features)
        try self.init(mean: m.columnMeans(), covariance: m.covariance(), count: m.rows)
    }

    public var dimensions: Int { mean.count }

    /// Reads an `.npz` with `mu` (D) and `sigma` (D × D).
    public static func read(_ url: URL) throws -> GaussianStatistics {
        let arrays = try NPZ.read(url)
        guard let mu = arrays["mu"], let sigma = arrays["sigma"] else {
            throw MetricsError.file(path: url.path, reason: "statistics: the archive needs arrays 'mu' and 'sigma', has \(arrays.keys.sorted())")
        }
        let d = mu.count
        guard mu.shape.count == 1, sigma.shape == [d, d] else {
            throw MetricsError.file(path: url.path, reason: "statistics: mu \(mu.shape) and sigma \(sigma.shape) are not (D,) and (D, D)")
        }
        let values = sigma.doubleValues(), mean = mu.doubleValues()
        guard values.allSatisfy(\.isFinite), mean.allSatisfy(\.isFinite) else {
            throw MetricsError.file(path: url.path, reason: "statistics: mu or sigma holds NaN or infinite values")
        }
        let statistics = try GaussianStatistics(mean: mean, covariance: DoubleMatrix(rows: d, columns: d, values: values))
        do { try statistics.checkCovariance() } catch { throw MetricsError.file(path: url.path, reason: "\(readableDescription(of: error))") }
        return statistics
    }

    /// Throws unless ``covariance`` can be a covariance: symmetric and positive semi-definite, up to the
    /// rounding of the float32 or float64 file it came from (relative tolerance 10⁻⁵ of its largest entry or
    /// eigenvalue). A matrix that is not would make FID's square root imaginary and its value meaningless
    /// (negative, for one).
    public func checkCovariance() throws {
        let d = dimensions, c = covariance.values
        let scale = c.reduce(0) { Swift.max($0, abs($1)) }
        let tolerance = 1e-5 * Swift.max(scale, Double.leastNormalMagnitude)
        for i in 0..<d { for j in (i + 1)..<d where abs(c[i * d + j] - c[j * d + i]) > tolerance {
            throw MetricsError.notACovariance("statistics: sigma is not symmetric (sigma[\(i), \(j)] = \(c[i * d + j]), sigma[\(j), \(i)] = \(c[j * d + i]))")
        } }
        let eigenvalues = try covariance.symmetricEigen().values
        let largest = eigenvalues.reduce(0) { Swift.max($0, abs($1)) }
        if let smallest = eigenvalues.min(), smallest < -1e-5 * Swift.max(largest, Double.leastNormalMagnitude) {
            throw MetricsError.notACovariance("statistics: sigma is not positive semi-definite (eigenvalue \(smallest), largest \(largest)): not a covariance")
        }
    }

    /// Writes `mu` and `sigma` (float64) as an `.npz`, atomically.
    public func write(to url: URL) throws {
        try NPZ.write(["mu": TypedArray(float64: mean, shape: [dimensions]),
                       "sigma": TypedArray(float64: covariance.values, shape: [dimensions, dimensions])], to: url)
    }
}
