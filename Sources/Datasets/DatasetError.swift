import S2IGANTensor

/// An error of the dataset layer: a dataset file or folder that is missing, unreadable or malformed, an option of a
/// dataset job outside its range, or a request the dataset cannot serve. The description is the line a user reads
/// (`'cub/train/filenames.pickle': filenames: item 3 '../x' is not a path inside the dataset …`).
public enum DatasetError: S2IGANError, Equatable {
    /// A file or folder of the dataset (images, captions, features, split and class files, manifests) that is missing,
    /// cannot be read or written, or holds something else than the layout says.
    case file(path: String, reason: String)
    /// An option of a dataset job (synthesis sizes, split fractions, layouts) outside what it accepts.
    case invalidOption(String)
    /// A request the loaded dataset cannot serve: an index outside it, a batch of nothing, items of mixed shapes.
    case invalidRequest(String)
    /// Every problem found in a split when it was opened (missing files, wrong caption counts, corrupt images…).
    case split(DatasetSplitProblems)

    /// The problems of a split that could not be opened (``split(_:)``); empty for the other cases.
    public var problems: [DatasetProblem] {
        if case .split(let report) = self { return report.problems }
        return []
    }

    public var description: String {
        switch self {
        case .file(let path, let reason): return "'\(path)': \(reason)"
        case .invalidOption(let message), .invalidRequest(let message): return message
        case .split(let report): return report.description
        }
    }

    public var filePath: String? {
        if case .file(let path, _) = self { return path }
        return nil
    }
}
