import Foundation
import S2IGANTensor

/// The S2IGAN speech features: log-mel filterbank energies with per-utterance CMVN, `(frames, melBands)`
/// float32, exactly as the reference computes them with librosa 0.6 (`melspectrogram` with a 25 ms periodic
/// Hann window, 10 ms hop, centred reflect-padded frames, Slaney mel bands; `ln(mel + 1e-6)`; mean and
/// population standard deviation (+1e-16) of each band over time).
public struct LogMelRecipe: Sendable, Equatable, Codable {
    public var sampleRate = 22_050
    public var windowMilliseconds = 25.0
    public var hopMilliseconds = 10.0
    public var melBands = 40
    public var fMin = 0.0
    public var fMax: Double?
    public var cmvn = true

    public init() {}

    enum CodingKeys: String, CodingKey {
        case sampleRate = "sample_rate", windowMilliseconds = "window_ms", hopMilliseconds = "hop_ms", melBands = "mel_bands"
        case fMin = "f_min", fMax = "f_max", cmvn
    }

    /// `int(sr · 0.001 · 25)`: 551 at 22 050 Hz.
    public var nFFT: Int { Int(Double(sampleRate) * 0.001 * windowMilliseconds) }
    /// `int(sr · 0.001 · 10)`: 220 at 22 050 Hz.
    public var hop: Int { Int(Double(sampleRate) * 0.001 * hopMilliseconds) }

    /// The sample rates a recipe accepts: telephone speech to studio audio.
    public static let sampleRates = 1_000...384_000

    /// Throws naming the first setting a log-mel filterbank cannot be computed with.
    public func validate() throws {
        func fail(_ message: String) -> AudioError { AudioError.invalidSetting("log-mel: \(message)") }
        guard Self.sampleRates.contains(sampleRate) else {
            throw fail("sample rate \(sampleRate) Hz is outside \(Self.sampleRates.lowerBound)–\(Self.sampleRates.upperBound) Hz")
        }
        guard (1...1024).contains(melBands) else { throw fail("mel bands must be between 1 and 1024, got \(melBands)") }
        guard (0...10_000).contains(windowMilliseconds), (0...10_000).contains(hopMilliseconds), nFFT >= 2, hop >= 1 else {
            throw fail("window \(windowMilliseconds) ms and hop \(hopMilliseconds) ms give no usable frames at \(sampleRate) Hz")
        }
    }

    /// The mel power spectrogram `[melBands, frames]` (before the logarithm).
    public func melPower(_ samples: [Float]) throws -> Tensor {
        let (values, frames) = try bandEnergies(samples)
        return try Tensor(shape: [melBands, frames], scalars: values)
    }

    /// Mel band energies, band-major `[melBands × frames]`: each band sums only the FFT bins where its
    /// triangle is non-zero (a few of the 276), rather than a dense filterbank product.
    private func bandEnergies(_ samples: [Float]) throws -> (values: [Float], frames: Int) {
        try validate()
        guard !samples.isEmpty else { throw AudioError.unusableSignal("log-mel: the audio is empty") }
        let power = try Spectrogram.power(samples, nFFT: nFFT, hop: hop)
        let bank = try MelScale.filterbank(sampleRate: sampleRate, nFFT: nFFT, melBands: melBands, fMin: fMin, fMax: fMax)
        let (bins, frames) = (power.shape[0], power.shape[1])
        var energies = [Float](repeating: 0, count: melBands * frames)
        bank.withUnsafeBufferPointer { w in
            power.withUnsafeBufferPointer { p in
                energies.withUnsafeMutableBufferPointer { out in
                    for m in 0..<melBands {
                        let row = out.baseAddress! + m * frames, weights = w.baseAddress! + m * bins
                        for k in 0..<bins where weights[k] != 0 {
                            let wk = weights[k], line = p.baseAddress! + k * frames
                            for t in 0..<frames { row[t] += wk * line[t] }
                        }
                    }
                }
            }
        }
        return (energies, frames)
    }

    /// The features `(frames, melBands)` of samples at `sampleRate`.
    ///
    /// After the band energies, one pass: the logarithm eight values at a time, the band statistics (in
    /// Double) and the transposed output, without intermediate tensors.
    public func features(_ samples: [Float]) throws -> Tensor {
        var (logMel, frames) = try bandEnergies(samples)
        let bands = melBands, cmvn = self.cmvn
        logMel.withUnsafeMutableBufferPointer { v in
            for m in 0..<bands { LogMelRecipe.logOfShifted(v.baseAddress! + m * frames, count: frames) }
        }
        return Tensor(shape: [frames, bands]) { out in
            logMel.withUnsafeBufferPointer { v in
                for m in 0..<bands {
                    let row = v.baseAddress! + m * frames
                    var scale: Float = 1, shift: Float = 0
                    if cmvn {
                        var sum = 0.0
                        for t in 0..<frames { sum += Double(row[t]) }
                        let mean = sum / Double(frames)
                        var squares = 0.0
                        for t in 0..<frames { let d = Double(row[t]) - mean; squares += d * d }
                        let std = Float((squares / Double(frames)).squareRoot())
                        (scale, shift) = (1 / (std + 1e-16), Float(mean))
                    }
                    for t in 0..<frames { out[t * bands + m] = (row[t] - shift) * scale }
                }
            }
        }
    }

    /// `ln(x + 1e-6)` in place, eight values at a time (Cephes' single-precision logarithm: the mantissa
    /// reduced to [√½, √2), a degree-9 polynomial; within a few ulp for the positive inputs here).
    static func logOfShifted(_ values: UnsafeMutablePointer<Float>, count: Int) {
        typealias V = SIMD8<Float>
        func log8(_ input: V) -> V {
            let x0 = input + 1e-6
            let bits = unsafeBitCast(x0, to: SIMD8<UInt32>.self)
            let exponent = SIMD8<Int32>(truncatingIfNeeded: (bits &>> 23) & 0xFF) &- 126
            var e = V(exponent)
            let mantissa = unsafeBitCast((bits & 0x807F_FFFF) | 0x3F00_0000, to: V.self)
            let small = mantissa .< 0.707_106_781_186_547_524
            e = e.replacing(with: e - 1, where: small)
            let m = (mantissa - 1).replacing(with: mantissa + mantissa - 1, where: small)
            let z = m * m
            var y: V = V(repeating: 7.037_683_629_2e-2)
            for c: Float in [-1.151_461_031_0e-1, 1.167_699_874_0e-1, -1.242_014_084_6e-1, 1.424_932_278_7e-1,
                             -1.666_805_766_5e-1, 2.000_071_476_5e-1, -2.499_999_399_3e-1, 3.333_333_117_4e-1] {
                y = y * m + c
            }
            y = y * m * z
            y += -2.121_944_40e-4 * e
            y += -0.5 * z
            return m + y + 0.693_359_375 * e
        }
        var i = 0
        while i + 8 <= count {
            let raw = UnsafeMutableRawPointer(values + i)
            raw.storeBytes(of: log8(raw.loadUnaligned(as: V.self)), as: V.self)
            i += 8
        }
        while i < count {
            values[i] = Foundation.log(values[i] + 1e-6)
            i += 1
        }
    }

    /// The features of an audio signal, which must already be at `sampleRate`.
    public func features(_ signal: AudioSignal) throws -> Tensor {
        guard signal.sampleRate == sampleRate else {
            throw AudioError.invalidSetting("log-mel: audio at \(signal.sampleRate) Hz, recipe at \(sampleRate) Hz (resample first)")
        }
        return try features(signal.samples)
    }
}
