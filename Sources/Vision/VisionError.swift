import S2IGANTensor

/// An error of the vision layer: an image file that cannot be read or written, a transform or network given images of
/// the wrong shape, or a setting outside its range. The description is the line a user reads (`'a.png': image: not a
/// PNG file`, `center crop: size must be positive, got 0×3`).
public enum VisionError: S2IGANError, Equatable {
    /// An image file or folder that is missing, cannot be decoded, encoded or listed.
    case file(path: String, reason: String)
    /// Images or batches whose shapes a transform or network cannot take.
    case shapeMismatch(String)
    /// A size, crop, normalisation or network setting outside what it accepts.
    case invalidSetting(String)

    public var description: String {
        switch self {
        case .file(let path, let reason): return "'\(path)': \(reason)"
        case .shapeMismatch(let message), .invalidSetting(let message): return message
        }
    }

    public var filePath: String? {
        if case .file(let path, _) = self { return path }
        return nil
    }
}
