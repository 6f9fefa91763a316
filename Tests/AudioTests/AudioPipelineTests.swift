import Foundation
import TestSupport
import Testing
import S2IGANTensor
@testable import S2IGANAudio
import S2IGANFormats

/// The audio front end against librosa (Tools/fixtures/make_audio_fixtures.py). librosa 0.11 places the
/// FFT bins of an odd n_fft at `rfftfreq` where 0.6 (the reference) used `linspace`, so at 22 050 Hz the
/// goldens are taken apart: the STFT power from librosa, the 0.6 filterbank from the reference's formula;
/// at 16 kHz (even n_fft) the whole recipe is compared end to end.
@Suite struct AudioPipelineTests {
    let mel: SafeTensorsFile, bank: SafeTensorsFile, wav: SafeTensorsFile

    init() throws {
        (mel, bank, wav) = (try fixtures.load("mel"), try fixtures.load("filterbank"), try fixtures.load("wav_expected"))
    }

    /// Largest absolute difference, relative to the largest expected magnitude.
    func relativeError(_ a: Tensor, _ b: Tensor) throws -> Float {
        try (a - b).abs().max().item() / Swift.max(b.abs().max().item(), 1e-30)
    }

    @Test(arguments: [("tone_pcm16", 22_050), ("stereo_pcm16", 22_050), ("tone_float", 22_050), ("tone16k_pcm16", 16_000)])
    func wavFilesReadAsLibrosaLoadsThem(_ name: String, _ rate: Int) throws {
        let signal = try AudioSignal.read(fixtures.url("\(name).wav"))
        #expect(signal.sampleRate == rate)
        #expect(Tensor(signal.samples).isIdentical(to: try wav.tensor(name)), "\(name)")
    }

    @Test func badAudioFilesFailClearly() throws {
        #expect { try AudioSignal.read(fixtures.url("empty.wav")) } throws: { "\($0)".contains("0 frames") }
        #expect { try AudioSignal.read(fixtures.url("missing.wav")) } throws: { "\($0)".contains("no such file") }
        let junk = FileManager.default.temporaryDirectory.appendingPathComponent("junk-\(UInt64.random(in: 0...UInt64.max)).wav")
        defer { try? FileManager.default.removeItem(at: junk) }
        try Data("RIFF....WAVEnot really".utf8).write(to: junk)
        #expect { try AudioSignal.read(junk) } throws: { "\($0)".contains("audio:") }
    }

    /// Both transforms — the prime-factor kernel (551 = 19 · 29, 400 = 16 · 25, 6 = 2 · 3) and FFTW (512, 17,
    /// which have no coprime factorisation) — against a direct DFT in Double, frame counts not a multiple of 8.
    @Test(arguments: [551, 400, 512, 17, 6])
    func powerSpectrogramMatchesADirectDFT(_ n: Int) throws {
        var rng = RandomGenerator(seed: UInt64(n))
        let samples = (0..<(n * 5 + 13)).map { _ in Float(rng.nextDouble() * 2 - 1) }
        let hop = max(1, n / 3)
        let power = try Spectrogram.power(samples, nFFT: n, hop: hop)
        let frames = Spectrogram.frameCount(samples: samples.count, nFFT: n, hop: hop), bins = n / 2 + 1
        #expect(power.shape == [bins, frames])
        let pad = n / 2
        let padded = (0..<(samples.count + 2 * pad)).map { i -> Double in
            let j = i - pad
            return Double(samples[j < 0 ? -j : (j >= samples.count ? 2 * (samples.count - 1) - j : j)])
        }
        let window = Spectrogram.periodicHann(n).map(Double.init)
        var worst = 0.0, peak = 0.0
        let values = power.scalars
        for f in [0, frames / 2, frames - 1] {
            for k in 0..<bins {
                var re = 0.0, im = 0.0
                for t in 0..<n {
                    let x = padded[f * hop + t] * window[t], angle = -2 * Double.pi * Double(k * t % n) / Double(n)
                    re += x * Foundation.cos(angle)
                    im += x * Foundation.sin(angle)
                }
                let expected = re * re + im * im
                peak = max(peak, expected)
                worst = max(worst, abs(Double(values[k * frames + f]) - expected))
            }
        }
        #expect(worst <= 2e-6 * peak, "n = \(n): error \(worst) against peak \(peak)")
    }

    @Test func filterbanksMatchLibrosa() throws {
        expectClose(try MelScale.filterbank(sampleRate: 22_050, nFFT: 551, melBands: 40), try bank.tensor("fb22050_v06"),
                    rtol: 1e-5, atol: 1e-8, "0.6 filterbank at 22 050 Hz")
        expectClose(try MelScale.filterbank(sampleRate: 16_000, nFFT: 400, melBands: 40), try bank.tensor("fb16000"),
                    rtol: 1e-5, atol: 1e-8, "filterbank at 16 kHz")
        expectClose(Tensor(Spectrogram.periodicHann(551)), try bank.tensor("window551"), rtol: 0, atol: 1e-7, "window")
    }

    @Test func powerSpectrogramMatchesLibrosa() throws {
        let power = try Spectrogram.power(try mel.tensor("tone.y").scalars, nFFT: 551, hop: 220)
        #expect(power.shape == [276, 101])
        #expect(try relativeError(power, try bank.tensor("power_tone")) < 2e-6)
    }

    @Test func wholeRecipeAt16kHzMatchesLibrosa() throws {
        var recipe = LogMelRecipe()
        recipe.sampleRate = 16_000
        let y = try mel.tensor("tone16.y").scalars
        #expect(try relativeError(try recipe.melPower(y), try mel.tensor("tone16.mel")) < 2e-6)
        let features = try recipe.features(y)
        #expect(features.shape == [61, 40])
        #expect(try (features - mel.tensor("tone16.logmel")).abs().max().item() < 1e-3)
    }

    /// At 22 050 Hz: our mel energies equal the reference filterbank applied to librosa's power spectra, and
    /// the frame counts and CMVN of every signal agree with librosa's output.
    @Test(arguments: ["tone", "chirp", "noise", "short", "speechlike", "silence"])
    func recipeAt22050Hz(_ name: String) throws {
        let recipe = LogMelRecipe()
        let y = try mel.tensor("\(name).y").scalars
        let energies = try recipe.melPower(y)
        #expect(energies.shape == (try mel.tensor("\(name).mel")).shape)
        if name == "tone" {
            let expected = try bank.tensor("fb22050_v06").matmul(bank.tensor("power_tone"))
            #expect(try relativeError(energies, expected) < 2e-6)
        }
        if name == "silence" {
            #expect(try energies.abs().max().item() == 0)
        }
        let features = try recipe.features(y)
        #expect(features.shape == (try mel.tensor("\(name).logmel")).shape)
    }

    @Test func kaiserBestResamplingMatchesResampy() throws {
        let signal = try AudioSignal.read(fixtures.url("tone16k_pcm16.wav")).resampled(to: 22_050)
        let expected = try wav.tensor("resampled_tone16k")
        #expect(signal.samples.count == 13_230 && expected.count == 13_230)
        #expect(try (Tensor(signal.samples) - expected).abs().max().item() < 1e-5)
        #expect(try Resampler.resample([1, 2, 3], from: 22_050, to: 22_050) == [1, 2, 3])
        #expect(throws: AudioError.self) { try Resampler.resample([1], from: 48_000, to: 8_000) }
    }
}
