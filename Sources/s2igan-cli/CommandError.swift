import S2IGANTensor

/// An error of a command itself, after the libraries it called succeeded: a result it cannot use, or a file it
/// expected beside another. Printed like every other error, as one line (`s2igan: '<path>': <reason>`).
enum CommandError: S2IGANError, Equatable {
    /// A file a command expected, or a result of the libraries that cannot be used for the command's output.
    case file(path: String, reason: String)
    /// A command that cannot produce what it was asked for.
    case failed(String)

    var description: String {
        switch self {
        case .file(let path, let reason): return "'\(path)': \(reason)"
        case .failed(let message): return message
        }
    }

    var filePath: String? {
        if case .file(let path, _) = self { return path }
        return nil
    }
}
