import S2IGANTensor

/// An error of the statistics: inputs of the wrong shapes, values no metric can be computed from, statistics that
/// cannot be a mean and covariance, or a statistics file that holds something else. The description is the line a user
/// reads (`FID: statistics of 2048 and 64 dimensions`, `statistics: sigma is not symmetric …`).
public enum MetricsError: S2IGANError, Equatable {
    /// Features, logits, statistics or class lists whose shapes do not go together.
    case shapeMismatch(String)
    /// Inputs a metric cannot be computed from: too few samples or splits, NaN or infinite values, a distance that
    /// is not finite.
    case invalidInput(String)
    /// A covariance that is not symmetric or not positive semi-definite.
    case notACovariance(String)
    /// A statistics file (`.npz` of `mu` and `sigma`) that cannot be used.
    case file(path: String, reason: String)

    public var description: String {
        switch self {
        case .shapeMismatch(let message), .invalidInput(let message), .notACovariance(let message): return message
        case .file(let path, let reason): return "'\(path)': \(reason)"
        }
    }

    public var filePath: String? {
        if case .file(let path, _) = self { return path }
        return nil
    }
}
