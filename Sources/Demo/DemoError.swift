import S2IGANTensor

/// An error of the whole pipeline: a demo configuration or model folder that cannot be used, or a request the
/// report and evaluation cannot serve. The description is the line a user reads (`demo: the budget must be a
/// positive number of minutes`).
public enum DemoError: S2IGANError, Equatable {
    /// A model folder, dataset or report file that is missing or cannot be used.
    case file(path: String, reason: String)
    /// A demo configuration, or a choice of models and options, that cannot work.
    case invalidConfiguration(String)
    /// A request the evaluation or report cannot serve with what it was given.
    case invalidInput(String)

    public var description: String {
        switch self {
        case .file(let path, let reason): return "'\(path)': \(reason)"
        case .invalidConfiguration(let message), .invalidInput(let message): return message
        }
    }

    public var filePath: String? {
        if case .file(let path, _) = self { return path }
        return nil
    }
}
