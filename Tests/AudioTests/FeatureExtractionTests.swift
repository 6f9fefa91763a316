import Foundation
import TestSupport
import Testing
import S2IGANTensor
@testable import S2IGANAudio
import S2IGANFormats

@Suite struct FeatureExtractionTests {
    func tree(_ files: [String: String]) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ds-\(UInt64.random(in: 0...UInt64.max))")
        for (path, fixture) in files {
            let target = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: fixtures.url(fixture), to: target)
        }
        return root
    }

    @Test func layoutsGroupCaptionsAsTheReferenceDoes() throws {
        let cub = try tree(["CUB_200_2011/audio/002.B/x/c1.wav": "tone_pcm16.wav", "CUB_200_2011/audio/002.B/x/c0.wav": "tone_pcm16.wav",
                            "CUB_200_2011/audio/001.A/y/c0.wav": "tone_pcm16.wav"])
        defer { try? FileManager.default.removeItem(at: cub) }
        let groups = try AudioFeatureExtractor.plan(root: cub, layout: .cub)
        #expect(groups.map { $0.output.path.hasSuffix("CUB_200_2011/audio_mel/001.A/y.npy") || $0.output.path.hasSuffix("002.B/x.npy") } == [true, true])
        #expect(groups[1].inputs.map(\.lastPathComponent) == ["c0.wav", "c1.wav"])
        let flickr = try tree(["flickr_audio/wavs/123_abc_0.wav": "tone16k_pcm16.wav", "flickr_audio/wavs/123_abc_1.wav": "tone16k_pcm16.wav",
                               "flickr_audio/wavs/456_def_0.wav": "tone16k_pcm16.wav"])
        defer { try? FileManager.default.removeItem(at: flickr) }
        let fg = try AudioFeatureExtractor.plan(root: flickr, layout: .flickr8k)
        #expect(fg.map { $0.output.lastPathComponent } == ["123_abc.npy", "456_def.npy"] && fg[0].inputs.count == 2)
        let places = try tree(["audio/wav/b/bedroom/gsun_1.wav": "tone_pcm16.wav"])
        defer { try? FileManager.default.removeItem(at: places) }
        #expect(try AudioFeatureExtractor.plan(root: places, layout: .places).first?.output.path.hasSuffix("audio/mel/b/bedroom/gsun_1.npy") == true)
        #expect(throws: AudioError.self) { try AudioFeatureExtractor.plan(root: places, layout: .oxford) }
    }

    @Test func runsResumesAndReportsBadFiles() throws {
        let root = try tree(["CUB_200_2011/audio/001.A/good/c0.wav": "tone_pcm16.wav", "CUB_200_2011/audio/001.A/good/c1.wav": "tone16k_pcm16.wav",
                             "CUB_200_2011/audio/001.A/bad/c0.wav": "empty.wav"])
        defer { try? FileManager.default.removeItem(at: root) }
        let extractor = AudioFeatureExtractor()
        let groups = try AudioFeatureExtractor.plan(root: root, layout: .cub)
        let first = extractor.run(groups)
        #expect(first.written == 1 && first.skipped == 0 && first.failures.count == 1)
        #expect(first.failures[0].reason.contains("0 frames"))
        let good = try #require(groups.first { $0.output.lastPathComponent == "good.npy" })
        let matrices = try NPY.readMatrices(good.output)
        // The 16 kHz caption was resampled to 22 050 Hz first: 9 600 → 13 230 samples → 61 frames.
        #expect(matrices.map(\.shape) == [[101, 40], [61, 40]])
        #expect(matrices[0].isIdentical(to: try extractor.features(of: good.inputs[0])))
        let second = extractor.run(groups)
        #expect(second.written == 0 && second.skipped == 1 && second.failures.count == 1)
        #expect(FileManager.default.fileExists(atPath: AudioFeatureExtractor.recordURL(of: good.output).path))

        // Other settings: the output is recomputed (not kept stale), and the report says so.
        var other = LogMelRecipe()
        other.cmvn = false
        let noCMVN = AudioFeatureExtractor(recipe: other)
        #expect(noCMVN.state(of: good) == .stale)
        let third = noCMVN.run(groups)
        #expect(third.written == 1 && third.recomputed == 1 && third.skipped == 0)
        #expect(try NPY.readMatrices(good.output)[0].isIdentical(to: try noCMVN.features(of: good.inputs[0])))
        #expect(!(try NPY.readMatrices(good.output)[0].isIdentical(to: matrices[0])))
        #expect(noCMVN.state(of: good) == .current && extractor.state(of: good) == .stale)
        // No record (an older version's output, or a run killed between the features and their record): recomputed.
        try FileManager.default.removeItem(at: AudioFeatureExtractor.recordURL(of: good.output))
        #expect(noCMVN.state(of: good) == .stale)
        #expect(noCMVN.run(groups).recomputed == 1)
    }
}

/// Budgets on audio work: a resampling rate or a caption that would ask for gigabytes is an error first.
@Suite struct AudioBudgetTests {
    @Test func resamplingPastTheSampleBudgetIsRefused() throws {
        let second = [Float](repeating: 0.1, count: 22_050)
        let error = try #require(throws: AudioError.self) { try Resampler.resample(second, from: 22_050, to: 100_000_000) }
        #expect("\(error)".contains("100000000 samples, more than the limit of 48000000"), "\(error)")
        #expect(throws: AudioError.self) { try Resampler.resample(second, from: 1, to: Int.max) }
        #expect(try Resampler.resample(second, from: 22_050, to: 16_000).count == 16_000)
    }

    @Test func recipesRefuseSampleRatesOutsideTheRange() throws {
        var recipe = LogMelRecipe()
        recipe.sampleRate = 100_000_000
        let error = try #require(throws: AudioError.self) { try recipe.features([Float](repeating: 0, count: 4000)) }
        #expect("\(error)".contains("sample rate 100000000 Hz is outside 1000–384000 Hz"), "\(error)")
        recipe.sampleRate = 16_000
        #expect(try recipe.features((0..<4000).map { Float(sin(Double($0) * 0.3)) }).shape[1] == 40)
    }

    @Test func captionsPastTheCharacterBudgetAreRefusedBeforeSpeaking() throws {
        // The engine is never started: the command would fail if it were.
        let synthesizer = SpeechSynthesizer(engine: .command("false {wav} {text}"))
        let long = String(repeating: "a pink flower ", count: 8_000)
        let error = try #require(throws: TensorError.self) {
            try synthesizer.speak(long, settings: VoiceSettings(), to: URL(fileURLWithPath: "/tmp/long.wav"))
        }
        #expect("\(error)".contains("caption characters 111999 exceeds the limit of 2000"), "\(error)")
        #expect("\(error)".contains("S2IGAN_MAX_CAPTION_CHARACTERS"))
    }
}
