/// An error from a tensor operation or a tensor file. The description says what went wrong and where.
public enum TensorError: Error, CustomStringConvertible, Equatable {
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
}
