import S2IGANTensor

/// An error of the file formats: a file that cannot be read or written or whose contents are malformed (naming the
/// file and, where it helps, the byte, entry or member at fault), or a value that a format cannot hold. The
/// description is the line a user reads (`'w.pth': zip: no entry 'w/data/0'`, `pickle: writing sets
/// and globals is not supported`). A declared size past a `ResourceLimits` budget is the budget's `TensorError`.
public enum FormatError: S2IGANError, Equatable {
    /// A file that is missing, cannot be read or written, or whose contents are malformed.
    case file(path: String, reason: String)
    /// A value a format cannot hold or a request it cannot serve (a missing tensor name, an unsupported dtype).
    case unsupported(String)
    /// Bytes and shapes that do not go together.
    case shapeMismatch(String)

    public var description: String {
        switch self {
        case .file(let path, let reason): return "'\(path)': \(reason)"
        case .unsupported(let message), .shapeMismatch(let message): return message
        }
    }

    public var filePath: String? {
        if case .file(let path, _) = self { return path }
        return nil
    }
}
