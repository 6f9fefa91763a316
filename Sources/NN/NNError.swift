import S2IGANTensor

/// An error of the layers and optimisers: a layer or optimiser built with settings it cannot have, an input or
/// gradient of the wrong shape or with values it cannot use, saved optimiser state that does not fit, or a weights
/// file of an unknown kind. The description is the line a user reads (`Linear: input [4, 3] must end in 5 features`).
/// Weights that do not match a model's parameters are a `StateDictError`.
public enum NNError: S2IGANError, Equatable {
    /// Settings a layer, initialiser, optimiser or schedule cannot be built with.
    case invalidConfiguration(String)
    /// An input, state or gradient whose shape the layer or optimiser cannot take.
    case shapeMismatch(String)
    /// An input or gradient whose values cannot be used (NaN gradients, a batch of one in training BatchNorm).
    case invalidInput(String)
    /// Saved optimiser or moving-average state that does not fit the parameters it is loaded into.
    case optimizerState(String)
    /// A weights file that cannot be used.
    case file(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let message), .shapeMismatch(let message), .invalidInput(let message),
             .optimizerState(let message):
            return message
        case .file(let path, let reason): return "'\(path)': \(reason)"
        }
    }

    public var filePath: String? {
        if case .file(let path, _) = self { return path }
        return nil
    }
}
