/// What every error of the framework is: its description is the one line a user reads (the command line prints it as
/// `s2igan: <description>`). Each layer has its own error type (`TensorError`, `FormatError`, `AudioError`, …) so a
/// caller can tell the layer and the kind of problem apart with `catch`; code that only needs "one of ours, already
/// readable" catches `any S2IGANError`.
public protocol S2IGANError: Error, CustomStringConvertible {
    /// The file or folder the error is about, when it is about one (its description then names it too).
    var filePath: String? { get }
}

extension S2IGANError {
    public var filePath: String? { nil }
}

/// An error from a tensor operation. The description says what went wrong and where.
public enum TensorError: S2IGANError, Equatable {
    /// Shapes that an operation cannot combine, e.g. `add: shapes [2, 3] and [4] do not broadcast`.
    case shapeMismatch(String)
    /// An argument outside its valid range, e.g. an axis, a stride or an index.
    case invalidArgument(String)
    /// A file that cannot be read or written, or whose contents are malformed.
    case file(path: String, reason: String)
    /// A failure reported by LAPACK.
    case linearAlgebra(String)

    public var description: String {
        switch self {
        case .shapeMismatch(let message): return message
        case .invalidArgument(let message): return message
        case .file(let path, let reason): return "'\(path)': \(reason)"
        case .linearAlgebra(let message): return message
        }
    }

    public var filePath: String? {
        if case .file(let path, _) = self { return path }
        return nil
    }
}
