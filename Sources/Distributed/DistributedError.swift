import S2IGANTensor

/// Why a distributed job cannot go on. The description names the rank and the cause.
public enum DistributedError: S2IGANError, Equatable {
    /// An MPI call failed: the operation, the rank and MPI's own message.
    case mpi(operation: String, rank: Int, message: String)
    /// The ranks disagree about something they must share (configuration, code version); every rank finds it in the
    /// same collective.
    case mismatch(String)
    /// A value that cannot be distributed as asked.
    case invalidRequest(String)

    /// Whether every rank finds this error together, in the same collective (so all of them can report it).
    public var isFoundByEveryRank: Bool {
        if case .mismatch = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .mpi(let operation, let rank, let message): return "rank \(rank): MPI \(operation) failed: \(message)"
        case .mismatch(let message): return "ranks disagree: \(message)"
        case .invalidRequest(let message): return message
        }
    }
}
