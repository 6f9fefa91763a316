import S2IGANTensor

/// An error of a training run: a configuration file, run folder or checkpoint that cannot be used, or a run that
/// stopped because a loss became NaN or infinite. The description is the line a user reads (`'runs/sen': cannot
/// resume: the folder does not exist, …`, `RDG training stopped at epoch 3, iteration 40: …`).
public enum TrainingError: S2IGANError, Equatable {
    /// A configuration file, run folder or checkpoint that is missing, malformed or belongs to another run.
    case file(path: String, reason: String)
    /// Training stopped: a loss became NaN or infinite (the last checkpoint is kept).
    case stopped(String)
    /// Settings that cannot work together (a global batch that does not split over the ranks).
    case invalidConfiguration(String)
    /// The replicas of a data-parallel run disagree (their weights diverged).
    case replicasDiverged(String)

    public var description: String {
        switch self {
        case .file(let path, let reason): return "'\(path)': \(reason)"
        case .stopped(let message), .invalidConfiguration(let message), .replicasDiverged(let message): return message
        }
    }

    public var filePath: String? {
        if case .file(let path, _) = self { return path }
        return nil
    }
}
