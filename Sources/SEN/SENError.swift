import S2IGANTensor

/// An error of the speech embedding network: its weights, configuration, training data and runs. The description
/// is the line a user reads (`'runs/sen/checkpoint.safetensors': …`, `SpeechEncoder: lengths [0] must be in 1…2048`).
public enum SENError: S2IGANError, Equatable {
    /// A file or folder (weights, runs, features, embeddings, configurations) that is missing or cannot be used.
    case file(path: String, reason: String)
    /// Inputs, weights or embeddings whose shapes do not go together.
    case shapeMismatch(String)
    /// A configuration, architecture or pairing of models and data that cannot work together.
    case invalidConfiguration(String)
    /// A request the models cannot serve with the inputs given (empty inputs, counts that do not add up).
    case invalidInput(String)
    /// Training that stopped because a loss became NaN or infinite.
    case trainingStopped(String)

    public var description: String {
        switch self {
        case .file(let path, let reason): return "'\(path)': \(reason)"
        case .shapeMismatch(let message), .invalidConfiguration(let message), .invalidInput(let message),
             .trainingStopped(let message):
            return message
        }
    }

    public var filePath: String? {
        if case .file(let path, _) = self { return path }
        return nil
    }
}
