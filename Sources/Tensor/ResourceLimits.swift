import Foundation

/// Budgets that bound how much memory and time one input file or argument can make the library spend.
///
/// A small file can declare a huge amount of work: a 4 kB JPEG header claiming 13 000 × 13 000 pixels, a PNG
/// or a `.pth` member that inflates a thousandfold, an audio file or a resampling rate that asks for billions of
/// samples, a caption of a hundred thousand characters. Each reader checks the declared size against its budget
/// before it allocates, and refuses past it with an error naming the file, the size, the budget and how to raise
/// it. The defaults are far above what the reference datasets need (their images are under 1 megapixel,
/// their captions under 20 seconds and 300 characters).
///
/// Each budget can be raised (or lowered) for a process with an environment variable, read once at first use,
/// or from code by assigning ``current``.
public struct ResourceLimits: Sendable, Equatable {
    /// Pixels of one decoded image (`S2IGAN_MAX_IMAGE_PIXELS`; default 50 000 000, a 50-megapixel photo).
    public var imagePixels: Int
    /// Bytes of one decompressed archive member, e.g. a `.pth` storage or an `.npz` array
    /// (`S2IGAN_MAX_DECOMPRESSED_BYTES`; default 1 GiB, far above the reference models' largest tensors, which are tens of megabytes).
    public var decompressedBytes: Int
    /// Samples of one decoded or resampled audio signal, all channels (`S2IGAN_MAX_AUDIO_SAMPLES`;
    /// default 48 000 000: 1 000 s at 48 kHz).
    public var audioSamples: Int
    /// Characters of one caption to speak (`S2IGAN_MAX_CAPTION_CHARACTERS`; default 2 000).
    public var captionCharacters: Int

    public init(imagePixels: Int = 50_000_000, decompressedBytes: Int = 1 << 30, audioSamples: Int = 48_000_000,
                captionCharacters: Int = 2_000) {
        (self.imagePixels, self.decompressedBytes, self.audioSamples, self.captionCharacters) =
            (imagePixels, decompressedBytes, audioSamples, captionCharacters)
    }

    /// The environment variable of each budget, with the key path it sets.
    public static var environmentVariables: [(name: String, keyPath: WritableKeyPath<ResourceLimits, Int>)] {
        [("S2IGAN_MAX_IMAGE_PIXELS", \.imagePixels), ("S2IGAN_MAX_DECOMPRESSED_BYTES", \.decompressedBytes),
         ("S2IGAN_MAX_AUDIO_SAMPLES", \.audioSamples), ("S2IGAN_MAX_CAPTION_CHARACTERS", \.captionCharacters)]
    }

    /// The defaults with the environment's values applied. A variable that is not a positive integer is
    /// ignored here (and reported by ``environmentProblems(_:)``).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> ResourceLimits {
        var limits = ResourceLimits()
        for (name, keyPath) in environmentVariables {
            if let text = environment[name], let value = Int(text), value > 0 { limits[keyPath: keyPath] = value }
        }
        return limits
    }

    /// One message for each budget variable that is set but is not a positive integer.
    public static func environmentProblems(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        environmentVariables.compactMap { name, _ in
            guard let text = environment[name] else { return nil }
            return Int(text).map { $0 > 0 } == true ? nil : "\(name)='\(text)' is not a positive integer"
        }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var stored: ResourceLimits?

    /// The budgets in force: the environment's at first use, or what was assigned since.
    public static var current: ResourceLimits {
        get {
            lock.lock()
            defer { lock.unlock() }
            if let stored { return stored }
            let limits = fromEnvironment()
            stored = limits
            return limits
        }
        set {
            lock.lock()
            stored = newValue
            lock.unlock()
        }
    }

    /// The environment variable that raises the budget at `keyPath`.
    public static func variable(for keyPath: WritableKeyPath<ResourceLimits, Int>) -> String {
        environmentVariables.first { $0.keyPath == keyPath }?.name ?? "S2IGAN_MAX_*"
    }

    /// Throws `TensorError.file(path:)` when `amount` of `what` exceeds the budget at `keyPath`, saying how to raise it.
    public static func check(_ amount: Int, _ keyPath: WritableKeyPath<ResourceLimits, Int>, what: String, path: String) throws {
        let limit = current[keyPath: keyPath]
        guard amount <= limit else {
            throw TensorError.file(path: path, reason: "\(what) \(amount) exceeds the limit of \(limit) (raise it with \(variable(for: keyPath)))")
        }
    }
}
