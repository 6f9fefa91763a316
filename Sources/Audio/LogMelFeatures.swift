import Foundation
import Tensor

/// The S2IGAN speech features: log-mel filterbank energies with per-utterance CMVN, `(frames, melBands)`
/// float32, exactly as the reference computes them with librosa 0.6 (`melspectrogram` with a 25 ms periodic
/// Hann window, 10 ms hop, centred reflect-padded frames, Slaney mel bands; `ln(mel + 1e-6)`; mean and
/// population standard deviation (+1e-16) of each band over time).
public struct LogMelRecipe: Sendable, Equatable {
    public var sampleRate = 22_050
    public var windowMilliseconds = 25.0
    public var hopMilliseconds = 10.0
    public var melBands = 40
    public var fMin = 0.0
    public var fMax: Double?
    public var cmvn = true

    public init() {}

    /// `int(sr · 0.001 · 25)`: 551 at 22 050 Hz.
    public var nFFT: Int { Int(Double(sampleRate) * 0.001 * windowMilliseconds) }
    /// `int(sr · 0.001 · 10)`: 220 at 22 050 Hz.
    public var hop: Int { Int(Double(sampleRate) * 0.001 * hopMilliseconds) }

    /// The mel power spectrogram `[melBands, frames]` (before the logarithm).
    public func melPower(_ samples: [Float]) throws -> Tensor {
        guard !samples.isEmpty else { throw TensorError.invalidArgument("log-mel: the audio is empty") }
        let power = try Spectrogram.power(samples, nFFT: nFFT, hop: hop)
        let bank = try MelScale.filterbank(sampleRate: sampleRate, nFFT: nFFT, melBands: melBands, fMin: fMin, fMax: fMax)
        return try bank.matmul(power)
    }

    /// The features `(frames, melBands)` of samples at `sampleRate`.
    public func features(_ samples: [Float]) throws -> Tensor {
        let logMel = try (melPower(samples) + 1e-6).log()
        guard cmvn else { return try logMel.transposed() }
        let mean = try logMel.mean(axes: [1], keepDims: true)
        let std = try logMel.variance(axes: [1], correction: 0, keepDims: true).sqrt()
        return try ((logMel - mean) / (std + 1e-16)).transposed()
    }

    /// The features of an audio signal, which must already be at `sampleRate`.
    public func features(_ signal: AudioSignal) throws -> Tensor {
        guard signal.sampleRate == sampleRate else {
            throw TensorError.invalidArgument("log-mel: audio at \(signal.sampleRate) Hz, recipe at \(sampleRate) Hz (resample first)")
        }
        return try features(signal.samples)
    }
}
