import CFFTW
import CTensorSupport
import Foundation
import S2IGANTensor

/// Short-time Fourier power spectra, librosa's `stft` with `center=True`: frames of `nFFT` samples every
/// `hop`, centred by `nFFT/2` samples of reflect padding, a periodic Hann window, and `1 + nFFT/2` bins
/// (odd `nFFT` included).
///
/// Lengths that are a product of two coprime factors up to 64 — the reference's 551 = 19 · 29 at 22 050 Hz
/// and 400 = 16 · 25 at 16 kHz — run on a prime-factor DFT vectorised across frames (`StftPower.c`, about
/// 13× faster than FFTW on 551, which has no fast codelets for 19 and 29); other lengths on FFTW.
public enum Spectrogram {
    private final class Plans: @unchecked Sendable {
        let lock = NSLock()
        var byLength: [Int: OpaquePointer] = [:]
        var primeFactor: [Int: OpaquePointer?] = [:]
    }
    private static let plans = Plans()

    /// The prime-factor plan for a length (with the periodic Hann window), or nil when the length has no
    /// suitable factorisation.
    private static func primeFactorPlan(_ n: Int) -> OpaquePointer? {
        plans.lock.lock()
        defer { plans.lock.unlock() }
        if let p = plans.primeFactor[n] { return p }
        let p = periodicHann(n).withUnsafeBufferPointer { s2i_stft_plan_create(Int32(n), $0.baseAddress) }
        plans.primeFactor[n] = p
        return p
    }

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
        guard nFFT > 1, hop > 0 else { throw AudioError.invalidSetting("stft: invalid n_fft \(nFFT) or hop \(hop)") }
        let pad = nFFT / 2
        guard samples.count > pad else {
            throw AudioError.unusableSignal("stft: \(samples.count) samples are too few to centre \(nFFT)-sample frames (need more than \(pad))")
        }
        // Reflect padding without repeating the edge sample (a pooled buffer: no fresh pages per call).
        let n = samples.count
        let padded = Tensor(shape: [n + 2 * pad]) { out in
            samples.withUnsafeBufferPointer { src in
                (out.baseAddress! + pad).update(from: src.baseAddress!, count: n)
                for i in 0..<pad {
                    out[pad - 1 - i] = src[Swift.min(i + 1, n - 1)]
                    out[pad + n + i] = src[Swift.max(n - 2 - i, 0)]
                }
            }
        }
        let frames = frameCount(samples: samples.count, nFFT: nFFT, hop: hop), bins = nFFT / 2 + 1
        var allocationFailed = false
        if let pfa = primeFactorPlan(nFFT) {
            let power = padded.withUnsafeBufferPointer { signal in
                Tensor(shape: [bins, frames]) { out in
                    let blocks = (frames + batch - 1) / batch
                    Parallel.forRanges(blocks, cost: batch * nFFT * 4) { range in
                        let first = range.lowerBound * batch, count = Swift.min(range.upperBound * batch, frames) - first
                        if s2i_stft_power(pfa, signal.baseAddress! + first * hop, Int32(hop), Int32(count),
                                          out.baseAddress! + first, frames) != 0 {
                            allocationFailed = true
                        }
                    }
                }
            }
            guard !allocationFailed else { throw AudioError.resources("stft: out of memory for scratch buffers") }
            return power
        }
        let window = periodicHann(nFFT)
        var power = [Float](repeating: 0, count: bins * frames)
        guard let plan = plan(nFFT) else { throw AudioError.invalidSetting("stft: FFTW could not plan a transform of \(nFFT)") }
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
        guard !allocationFailed else { throw AudioError.resources("stft: out of memory for FFT buffers") }
        return try Tensor(shape: [bins, frames], scalars: power)
    }
}
