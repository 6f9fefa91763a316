import CSndfile
import Foundation
import Tensor

/// Mono audio samples in [−1, 1) at a sample rate.
public struct AudioSignal: Sendable {
    public var samples: [Float]
    public var sampleRate: Int

    public init(samples: [Float], sampleRate: Int) {
        self.samples = samples
        self.sampleRate = sampleRate
    }

    /// Duration in seconds.
    public var duration: Double { Double(samples.count) / Double(Swift.max(sampleRate, 1)) }

    /// Reads WAV (PCM 8/16/24/32-bit or float), FLAC or OGG through libsndfile. Channels are averaged to
    /// mono; integer PCM is scaled as librosa scales it (16-bit: divided by 32 768).
    /// - Throws: for missing, unreadable or empty files, naming the file.
    public static func read(_ url: URL) throws -> AudioSignal {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw TensorError.file(path: path, reason: "no such file") }
        var info = SF_INFO()
        guard let file = sf_open(path, Int32(SFM_READ), &info) else {
            throw TensorError.file(path: path, reason: "audio: \(String(cString: sf_strerror(nil)))")
        }
        defer { sf_close(file) }
        let channels = Int(info.channels), frames = Int(info.frames)
        guard channels > 0, info.samplerate > 0 else { throw TensorError.file(path: path, reason: "audio: invalid header") }
        guard frames > 0 else { throw TensorError.file(path: path, reason: "audio: 0 frames") }
        guard frames <= Int(Int32.max) / channels else { throw TensorError.file(path: path, reason: "audio: \(frames) frames is too long") }
        var interleaved = [Float](repeating: 0, count: frames * channels)
        let read = interleaved.withUnsafeMutableBufferPointer { sf_readf_float(file, $0.baseAddress, sf_count_t(frames)) }
        guard read == frames else {
            throw TensorError.file(path: path, reason: "audio: read \(read) of \(frames) frames (truncated or corrupt)")
        }
        guard channels > 1 else { return AudioSignal(samples: interleaved, sampleRate: Int(info.samplerate)) }
        var mono = [Float](repeating: 0, count: frames)
        let scale = 1 / Float(channels)
        for f in 0..<frames {
            var sum: Float = 0
            for c in 0..<channels { sum += interleaved[f * channels + c] }
            mono[f] = sum * scale
        }
        return AudioSignal(samples: mono, sampleRate: Int(info.samplerate))
    }
}
