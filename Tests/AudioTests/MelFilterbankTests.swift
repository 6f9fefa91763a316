import Foundation
import TestSupport
import Testing
import S2IGANTensor
@testable import S2IGANAudio

/// The anchor values of the reference specification (section 1.4), worked out from librosa 0.6.3's formulas.
@Suite struct MelFilterbankTests {
    @Test func slaneyScaleAnchors() {
        #expect(abs(MelScale.mel(11_025) - 49.9106) < 1e-4)
        #expect(abs(MelScale.mel(1000) - 15) < 1e-12 && abs(MelScale.hz(15) - 1000) < 1e-9)
        for hz in [0.0, 81.1554, 999.0, 1000.0, 5000.0, 11_025.0] { #expect(abs(MelScale.hz(MelScale.mel(hz)) - hz) < 1e-9) }
    }

    @Test func filterbankAt22050HzMatchesTheSpecification() throws {
        let bank = try MelScale.filterbank(sampleRate: 22_050, nFFT: 551, melBands: 40)
        #expect(bank.shape == [40, 276])
        let row0 = Array(bank.scalars[0..<276])
        #expect(row0.indices.filter { row0[$0] > 0 } == [1, 2, 3, 4])
        for (k, v) in zip(1...4, [0.006087, 0.012174, 0.006383, 0.000296]) { #expect(abs(Double(row0[k]) - v) < 5e-7) }
        #expect(abs(Double(row0.reduce(0, +)) - 0.02494) < 1e-5)
        let last = Array(bank.scalars[(39 * 276)..<(40 * 276)])
        #expect(last.filter { $0 > 0 }.count == 42)
        #expect(abs(Double(last.reduce(0, +)) - 0.0249461) < 1e-6)
        #expect(throws: AudioError.self) { try MelScale.filterbank(sampleRate: 22_050, nFFT: 551, melBands: 0) }
    }

    @Test func filterbankAt16kHzMatchesTheSpecification() throws {
        let bank = try MelScale.filterbank(sampleRate: 16_000, nFFT: 400, melBands: 40)
        #expect(bank.shape == [40, 201])
        let row0 = Array(bank.scalars[0..<201])
        #expect(row0.indices.filter { row0[$0] > 0 } == [1, 2, 3])
        #expect(abs(Double(row0.max()!) - 0.0124045) < 1e-6)
    }

    @Test func recipeSizesAndFrameCounts() throws {
        let recipe = LogMelRecipe()
        #expect(recipe.nFFT == 551 && recipe.hop == 220)
        var r16 = LogMelRecipe()
        r16.sampleRate = 16_000
        #expect(r16.nFFT == 400 && r16.hop == 160)
        #expect(Spectrogram.frameCount(samples: 22_050, nFFT: 551, hop: 220) == 101)
        let tone = (0..<22_050).map { Float(0.5 * sin(2 * Double.pi * 440 * Double($0) / 22_050)) }
        let features = try recipe.features(tone)
        #expect(features.shape == [101, 40])
        // CMVN: every band has mean 0 and population standard deviation 1 over time.
        let means = try features.mean(axes: [0]), stds = try features.variance(axes: [0], correction: 0).sqrt()
        #expect(try means.abs().max().item() < 1e-4 && (stds - 1).abs().max().item() < 1e-3)
        #expect(throws: AudioError.self) { try recipe.features([Float](repeating: 0, count: 200)) }
        #expect(throws: AudioError.self) { try recipe.features([Float]()) }
    }
}
