import CSndfile
import Foundation
import S2IGANTensor

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
        guard FileManager.default.fileExists(atPath: path) else { throw AudioError.file(path: path, reason: "no such file") }
        var info = SF_INFO()
        guard let file = sf_open(path, Int32(SFM_READ), &info) else {
            throw AudioError.file(path: path, reason: "audio: \(String(cString: sf_strerror(nil)))")
        }
        defer { sf_close(file) }
        let channels = Int(info.channels), frames = Int(info.frames)
        guard channels > 0, info.samplerate > 0 else { throw AudioError.file(path: path, reason: "audio: invalid header") }
        guard frames > 0 else { throw AudioError.file(path: path, reason: "audio: 0 frames") }
        guard frames <= Int(Int32.max) / channels else { throw AudioError.file(path: path, reason: "audio: \(frames) frames is too long") }
        try ResourceLimits.check(frames * channels, \.audioSamples, what: "audio: \(channels) channel(s) of \(frames) frames: samples", path: path)
        var interleaved = [Float](repeating: 0, count: frames * channels)
        let read = interleaved.withUnsafeMutableBufferPointer { sf_readf_float(file, $0.baseAddress, sf_count_t(frames)) }
        guard read == frames else {
            throw AudioError.file(path: path, reason: "audio: read \(read) of \(frames) frames (truncated or corrupt)")
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

    /// Writes the signal as a 16-bit PCM mono WAV file (atomically: a temporary file, then renamed).
    public func write(to url: URL) throws {
        let path = url.path
        guard sampleRate > 0 else { throw AudioError.invalidSetting("audio: invalid sample rate \(sampleRate)") }
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UInt32.random(in: 0...UInt32.max)).tmp")
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = 1
        info.format = Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
        guard let file = sf_open(temporary.path, Int32(SFM_WRITE), &info) else {
            throw AudioError.file(path: path, reason: "audio: cannot be written (\(String(cString: sf_strerror(nil))))")
        }
        let written = samples.withUnsafeBufferPointer { sf_writef_float(file, $0.baseAddress, sf_count_t(samples.count)) }
        sf_close(file)
        guard written == samples.count else {
            try? FileManager.default.removeItem(at: temporary)
            throw AudioError.file(path: path, reason: "audio: wrote \(written) of \(samples.count) samples")
        }
        do {
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(at: url) }
            try FileManager.default.moveItem(at: temporary, to: url)
        } catch {
            throw AudioError.file(path: path, reason: "audio: cannot be written (\(error.localizedDescription))")
        }
    }
}
