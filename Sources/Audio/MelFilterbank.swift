import Foundation
import S2IGANTensor

/// The Slaney mel scale of librosa (`htk=False`): linear below 1 kHz (200/3 Hz per mel), logarithmic above.
public enum MelScale {
    static let minLogHz = 1000.0, spacing = 200.0 / 3, minLogMel = 15.0, logStep = Foundation.log(6.4) / 27

    public static func mel(_ hz: Double) -> Double {
        hz >= minLogHz ? minLogMel + Foundation.log(hz / minLogHz) / logStep : hz / spacing
    }

    public static func hz(_ mel: Double) -> Double {
        mel >= minLogMel ? minLogHz * Foundation.exp(logStep * (mel - minLogMel)) : spacing * mel
    }

    /// A Slaney-normalised (area) triangular mel filterbank `[melBands, 1 + nFFT/2]`, as
    /// `librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk=False, norm='slaney')`: FFT bin
    /// frequencies from `linspace(0, sr/2, 1 + nFFT/2)` (also for odd `nFFT`), computed in Double.
    public static func filterbank(sampleRate: Int, nFFT: Int, melBands: Int, fMin: Double = 0, fMax: Double? = nil) throws -> Tensor {
        let key = FilterbankKey(sampleRate: sampleRate, nFFT: nFFT, melBands: melBands, fMin: fMin, fMax: fMax ?? Double(sampleRate) / 2)
        cache.lock.lock()
        defer { cache.lock.unlock() }
        if let bank = cache.banks[key] { return bank }
        let bank = try computeFilterbank(key)
        cache.banks[key] = bank
        return bank
    }

    struct FilterbankKey: Hashable {
        let sampleRate, nFFT, melBands: Int
        let fMin, fMax: Double
    }

    /// Filterbanks by parameters: every utterance of a dataset uses the same one.
    private final class Cache: @unchecked Sendable {
        let lock = NSLock()
        var banks: [FilterbankKey: Tensor] = [:]
    }
    private static let cache = Cache()

    private static func computeFilterbank(_ key: FilterbankKey) throws -> Tensor {
        let (sampleRate, nFFT, melBands, fMin, top) = (key.sampleRate, key.nFFT, key.melBands, key.fMin, key.fMax)
        guard sampleRate > 0, nFFT > 1, melBands > 0, fMin >= 0, top > fMin else {
            throw AudioError.invalidSetting("mel filterbank: invalid sample rate \(sampleRate), n_fft \(nFFT), bands \(melBands) or range \(fMin)–\(top) Hz")
        }
        let bins = 1 + nFFT / 2
        let fftFrequencies = (0..<bins).map { Double(sampleRate) / 2 * Double($0) / Double(bins - 1) }
        let (low, high) = (mel(fMin), mel(top))
        let edges = (0..<(melBands + 2)).map { hz(low + (high - low) * Double($0) / Double(melBands + 1)) }
        var weights = [Float](repeating: 0, count: melBands * bins)
        for m in 0..<melBands {
            let (left, centre, right) = (edges[m], edges[m + 1], edges[m + 2])
            let norm = 2 / (right - left)
            for k in 0..<bins {
                let f = fftFrequencies[k]
                let rising = (f - left) / (centre - left), falling = (right - f) / (right - centre)
                weights[m * bins + k] = Float(Swift.max(0, Swift.min(rising, falling)) * norm)
            }
        }
        return try Tensor(shape: [melBands, bins], scalars: weights)
    }
}
