import S2IGANTensor

/// An error of the audio layer: a recording that cannot be read, written or used, a setting no filterbank can be
/// computed with, or a speech engine that cannot speak. The description is the line a user reads, naming the file
/// or setting (`'x.wav': audio: 0 frames`, `log-mel: sample rate 50 Hz is outside 1000–384000 Hz`).
public enum AudioError: S2IGANError, Equatable {
    /// A recording (or a folder of them) that cannot be read or written, or whose contents cannot be used.
    case file(path: String, reason: String)
    /// A setting of the analysis outside its valid range: sample rates, FFT and hop sizes, mel bands, resampling.
    case invalidSetting(String)
    /// A signal the analysis cannot use: empty, or too short for the requested frames or resampling.
    case unusableSignal(String)
    /// A speech engine, or a program the layer runs, that is missing or misconfigured.
    case speechEngine(String)
    /// Memory the FFT could not get, or a `ResourceLimits` budget the signal would exceed.
    case resources(String)

    public var description: String {
        switch self {
        case .file(let path, let reason): return "'\(path)': \(reason)"
        case .invalidSetting(let message), .unusableSignal(let message), .speechEngine(let message), .resources(let message):
            return message
        }
    }

    public var filePath: String? {
        if case .file(let path, _) = self { return path }
        return nil
    }
}
