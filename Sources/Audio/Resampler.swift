import Foundation
import S2IGANTensor

/// Band-limited resampling with a Kaiser-windowed sinc: resampy's `kaiser_best` filter (50 zero
/// crossings, 2¹³ table entries per crossing, roll-off 0.91734737, β 12.9846 — the table resampy ≥ 0.3 ships,
/// reproduced here to 1e-8) and its interpolation, followed by librosa's length rule: ⌈N·target/source⌉
/// samples, the last ones zero where the filter's output is shorter.
public enum Resampler {
    static let zeroCrossings = 50, precision = 13
    static let rolloff = 0.917_347_371_260_876_1, beta = 12.9846

    /// The right wing of the interpolation filter and its first differences.
    static let filter: (window: [Double], delta: [Double]) = {
        let perCrossing = 1 << precision, n = perCrossing * zeroCrossings
        let i0Beta = besselI0(beta)
        var window = [Double](repeating: 0, count: n + 1)
        for j in 0...n {
            let x = Double(j) * Double(zeroCrossings) / Double(n)
            let t = rolloff * x
            let sinc = t == 0 ? 1 : Foundation.sin(Double.pi * t) / (Double.pi * t)
            let r = Double(j) / Double(n)
            window[j] = rolloff * sinc * besselI0(beta * (1 - r * r).squareRoot()) / i0Beta
        }
        var delta = [Double](repeating: 0, count: n + 1)
        for j in 0..<n { delta[j] = window[j + 1] - window[j] }
        return (window, delta)
    }()

    /// The modified Bessel function of the first kind, order 0 (power series).
    static func besselI0(_ x: Double) -> Double {
        var sum = 1.0, term = 1.0, k = 1.0
        let quarter = x * x / 4
        while term > 1e-17 * sum {
            term *= quarter / (k * k)
            sum += term
            k += 1
        }
        return sum
    }

    /// `samples` at `sourceRate` resampled to `targetRate` (unchanged when the rates are equal).
    public static func resample(_ samples: [Float], from sourceRate: Int, to targetRate: Int) throws -> [Float] {
        guard sourceRate > 0, targetRate > 0 else {
            throw AudioError.invalidSetting("resample: invalid rates \(sourceRate) → \(targetRate) Hz")
        }
        if sourceRate == targetRate { return samples }
        let ratio = Double(targetRate) / Double(sourceRate)
        // Checked as a Double first: a huge target rate must be an error, not a trap converting to Int.
        let limit = ResourceLimits.current.audioSamples
        let produced = (Double(samples.count) * ratio).rounded(.up)
        guard produced <= Double(limit) else {
            throw AudioError.resources("resample: \(samples.count) samples at \(sourceRate) → \(targetRate) Hz would be "
                + String(format: "%.0f", produced) + " samples, more than the limit of \(limit) (raise it with \(ResourceLimits.variable(for: \.audioSamples)))")
        }
        let filtered = Int(Double(samples.count) * ratio)
        guard filtered >= 1 else {
            throw AudioError.unusableSignal("resample: \(samples.count) samples are too few to resample \(sourceRate) → \(targetRate) Hz")
        }
        let length = Int((Double(samples.count) * ratio).rounded(.up))
        let (window, delta) = filter
        let table = Double(1 << precision)
        let scale = Swift.min(1, ratio)
        // Downsampling widens the filter and scales it by the ratio, as resampy does.
        let gain = ratio < 1 ? ratio : 1
        let step = Int(scale * table), count = window.count
        var out = [Float](repeating: 0, count: length)
        samples.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in
                Parallel.forRanges(filtered, cost: 2 * zeroCrossings * 4) { range in
                    for t in range {
                        let time = Double(t) / ratio
                        let n = Int(time)
                        var acc = 0.0
                        var frac = scale * (time - Double(n))
                        var index = frac * table, offset = Int(index), eta = index - Double(offset)
                        let left = Swift.min(n + 1, (count - offset) / step)
                        for i in 0..<left {
                            let at = offset + i * step
                            acc += (window[at] + eta * delta[at]) * Double(x[n - i])
                        }
                        frac = scale - frac
                        index = frac * table
                        offset = Int(index)
                        eta = index - Double(offset)
                        let right = Swift.min(x.count - n - 1, (count - offset) / step)
                        for k in 0..<Swift.max(right, 0) {
                            let at = offset + k * step
                            acc += (window[at] + eta * delta[at]) * Double(x[n + k + 1])
                        }
                        y[t] = Float(acc * gain)
                    }
                }
            }
        }
        return out
    }
}

extension AudioSignal {
    /// The signal at `rate` (itself when it already is).
    public func resampled(to rate: Int) throws -> AudioSignal {
        AudioSignal(samples: try Resampler.resample(samples, from: sampleRate, to: rate), sampleRate: rate)
    }
}
