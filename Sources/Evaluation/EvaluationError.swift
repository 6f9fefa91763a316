import S2IGANTensor

/// An error of evaluation on files: an image folder or evaluation list that cannot be used, or a request the loaded
/// network cannot serve. The description is the line a user reads (`'gen': holds no .jpg, .jpeg or .png images to
/// evaluate`).
public enum EvaluationError: S2IGANError, Equatable {
    /// An image, image folder or evaluation list that is missing or cannot be used.
    case file(path: String, reason: String)
    /// A request the evaluation cannot serve: nothing to evaluate, the wrong Inception variant, a name with no class.
    case invalidRequest(String)

    public var description: String {
        switch self {
        case .file(let path, let reason): return "'\(path)': \(reason)"
        case .invalidRequest(let message): return message
        }
    }

    public var filePath: String? {
        if case .file(let path, _) = self { return path }
        return nil
    }
}
