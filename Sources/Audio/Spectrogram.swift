import CFFTW
import Foundation
import Tensor

/// Short-time Fourier power spectra through FFTW (single precision), librosa's `stft` with
/// `center=True`: frames of `nFFT` samples every `hop`, centred by `nFFT/2` samples of reflect padding,
/// a periodic Hann window, and `1 + nFFT/2` bins (odd `nFFT` included).
public enum Spectrogram {
    private final class Plans: @unchecked Sendable {
        let lock = NSLock()
        var byLength: [Int: OpaquePointer] = [:]
    }
    private static let plans = Plans()

    /// One plan per length, made once (FFTW's planner is not thread-safe; executing a plan on new arrays is).
    private static func plan(_ n: Int) -> OpaquePointer? {
        plans.lock.lock()
        defer { plans.lock.unlock() }
        if let p = plans.byLength[n] { return p }
        let input = fftwf_alloc_real(n), output = fftwf_alloc_complex(n / 2 + 1)
        defer { fftwf_free(input); fftwf_free(output) }
        let p = fftwf_plan_dft_r2c_1d(Int32(n), input, output, UInt32(FFTW_ESTIMATE | FFTW_UNALIGNED))
        plans.byLength[n] = p
        return p
    }

    /// `w[n] = 0.5 − 0.5·cos(2πn/N)` (`scipy.signal.get_window('hann', N, fftbins=True)`).
    public static func periodicHann(_ n: Int) -> [Float] {
        (0..<n).map { Float(0.5 - 0.5 * Foundation.cos(2 * Double.pi * Double($0) / Double(n))) }
    }

    /// The number of centred frames of a signal.
    public static func frameCount(samples: Int, nFFT: Int, hop: Int) -> Int { 1 + (samples + 2 * (nFFT / 2) - nFFT) / hop }

    /// `|STFT|²` as `[1 + nFFT/2, frames]`.
    /// - Throws: when the signal is too short to reflect-pad (`nFFT/2` samples or fewer) or arguments are invalid.
    public static func power(_ samples: [Float], nFFT: Int, hop: Int) throws -> Tensor {
        guard nFFT > 1, hop > 0 else { throw TensorError.invalidArgument("stft: invalid n_fft \(nFFT) or hop \(hop)") }
        let pad = nFFT / 2
        guard samples.count > pad else {
            throw TensorError.invalidArgument("stft: \(samples.count) samples are too few to centre \(nFFT)-sample frames (need more than \(pad))")
        }
        guard let plan = plan(nFFT) else { throw TensorError.invalidArgument("stft: FFTW could not plan a transform of \(nFFT)") }
        // Reflect padding without repeating the edge sample.
        var padded = [Float](repeating: 0, count: samples.count + 2 * pad)
        for i in 0..<padded.count {
            let j = i - pad
            padded[i] = samples[j < 0 ? -j : (j >= samples.count ? 2 * (samples.count - 1) - j : j)]
        }
        let frames = frameCount(samples: samples.count, nFFT: nFFT, hop: hop), bins = nFFT / 2 + 1
        let window = periodicHann(nFFT)
        var power = [Float](repeating: 0, count: bins * frames)
        padded.withUnsafeBufferPointer { signal in
            power.withUnsafeMutableBufferPointer { out in
                Parallel.forRanges(frames, cost: nFFT * 16) { range in
                    let frame = fftwf_alloc_real(nFFT)!, spectrum = fftwf_alloc_complex(bins)!
                    defer { fftwf_free(frame); fftwf_free(spectrum) }
                    for t in range {
                        let start = t * hop
                        for i in 0..<nFFT { frame[i] = signal[start + i] * window[i] }
                        fftwf_execute_dft_r2c(plan, frame, spectrum)
                        for k in 0..<bins {
                            let (re, im) = (spectrum[k].0, spectrum[k].1)
                            out[k * frames + t] = re * re + im * im
                        }
                    }
                }
            }
        }
        return try Tensor(shape: [bins, frames], scalars: power)
    }
}
