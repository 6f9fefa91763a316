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

    /// Frames transformed together by one plan: FFTW vectorises across the transforms of a batch,
    /// which matters for lengths such as 551 = 19 · 29 that have no fast codelets of their own.
    static let batch = 64

    /// One batched plan per length, measured once (FFTW's planner is not thread-safe; executing a plan
    /// on new arrays of the same alignment is).
    private static func plan(_ n: Int) -> OpaquePointer? {
        plans.lock.lock()
        defer { plans.lock.unlock() }
        if let p = plans.byLength[n] { return p }
        let bins = n / 2 + 1
        let input = fftwf_alloc_real(n * batch), output = fftwf_alloc_complex(bins * batch)
        defer { fftwf_free(input); fftwf_free(output) }
        var length = Int32(n)
        let p = fftwf_plan_many_dft_r2c(1, &length, Int32(batch), input, nil, 1, Int32(n), output, nil, 1, Int32(bins),
                                        UInt32(FFTW_MEASURE))
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
        var allocationFailed = false
        padded.withUnsafeBufferPointer { signal in
            power.withUnsafeMutableBufferPointer { out in
                let blocks = (frames + batch - 1) / batch
                Parallel.forRanges(blocks, cost: batch * nFFT * 16) { range in
                    // FFTW's allocator gives the SIMD alignment the measured plan was made for.
                    guard let frame = fftwf_alloc_real(nFFT * batch), let spectrum = fftwf_alloc_complex(bins * batch) else {
                        allocationFailed = true
                        return
                    }
                    defer { fftwf_free(frame); fftwf_free(spectrum) }
                    for block in range {
                        let first = block * batch, count = Swift.min(batch, frames - first)
                        for f in 0..<batch {
                            let dst = frame + f * nFFT
                            guard f < count else { dst.update(repeating: 0, count: nFFT); continue }
                            let start = (first + f) * hop
                            for i in 0..<nFFT { dst[i] = signal[start + i] * window[i] }
                        }
                        fftwf_execute_dft_r2c(plan, frame, spectrum)
                        for f in 0..<count {
                            let s = spectrum + f * bins, t = first + f
                            for k in 0..<bins {
                                let (re, im) = (s[k].0, s[k].1)
                                out[k * frames + t] = re * re + im * im
                            }
                        }
                    }
                }
            }
        }
        guard !allocationFailed else { throw TensorError.invalidArgument("stft: out of memory for FFT buffers") }
        return try Tensor(shape: [bins, frames], scalars: power)
    }
}
