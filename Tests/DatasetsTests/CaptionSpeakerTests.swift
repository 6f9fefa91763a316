import S2IGANAudio
import Foundation
import S2IGANTensor
import TestSupport
import Testing
@testable import S2IGANDatasets
import S2IGANFormats

/// The text tree in Fixtures/captions/text_c10 (Reed et al.'s layout): image_00001 has three captions (one short,
/// one long) and a trailing blank line, image_00002 a blank caption in the middle, image_00003 a caption the
/// failing command template refuses. espeak-ng is installed by the set-up.
@Suite(.serialized) struct CaptionSpeakerTests {
    let text = fixtures.url("captions/text_c10")

    @Test func captionFilesAreReadLineByLine() throws {
        let captions = try CaptionSpeaker.readCaptions(textFolder: text)
        #expect(captions.map(\.key) == Array(repeating: "class_00001/image_00001", count: 3) + Array(repeating: "class_00002/image_00002", count: 3)
                + Array(repeating: "class_00002/image_00003", count: 2))
        #expect(captions.map(\.index) == [0, 1, 2, 0, 1, 2, 0, 1])
        #expect(captions[4].text.isEmpty && captions[5].text == "the petals are white")
        #expect(throws: DatasetError.self) { try CaptionSpeaker.readCaptions(textFolder: text.appendingPathComponent("missing")) }
    }

    @Test func espeakSpeaksEveryCaptionIntoTheLayoutWithAManifestAndFeatures() throws {
        let root = temporaryRoot("speak"), other = temporaryRoot("speak")
        defer { for r in [root, other] { try? FileManager.default.removeItem(at: r) } }
        let captions = try CaptionSpeaker.readCaptions(textFolder: text)
        let speaker = CaptionSpeaker(seed: 5)
        let report = try speaker.run(captions, root: root, layout: .generic, workers: 3)
        #expect(report.written == 7 && report.skipped == 0)
        #expect(report.failures.map { "\($0.key) \($0.index ?? -1)" } == ["class_00002/image_00002 1"])
        #expect(report.failures[0].reason.contains("empty"))

        let audio = root.appendingPathComponent("audio")
        var lengths: [String: Int] = [:]
        for caption in captions where !caption.text.isEmpty {
            let signal = try AudioSignal.read(CaptionSpeaker.wavFile(caption, audioFolder: audio))
            #expect(signal.sampleRate == 22_050)
            lengths["\(caption.key)/\(caption.index)"] = signal.samples.count
        }
        #expect(lengths.count == 7)
        #expect(lengths["class_00001/image_00001/1"]! > 3 * lengths["class_00001/image_00001/0"]!)

        let manifest = try CaptionSpeaker.readManifest(CaptionSpeaker.manifestFile(audioFolder: audio))
        #expect(manifest.count == 7)
        for record in manifest {
            let caption = try #require(captions.first { $0.key == record.key && $0.index == record.caption })
            #expect(record.text == caption.text && record.wav == "\(caption.key)/\(caption.index).wav")
            #expect(record.engine == "espeak-ng" && record.engineDetail.hasPrefix("espeak-ng ") && record.sampleRate == 22_050)
            #expect(record.samples == lengths["\(record.key)/\(record.caption)"])
            #expect(speaker.settings(for: caption) == VoiceSettings(voice: record.voice, wordsPerMinute: record.wordsPerMinute, pitch: record.pitch))
        }
        // Features for the images whose captions were all spoken, one matrix per caption in line order.
        let mel = root.appendingPathComponent("audio_mel")
        #expect(try NPY.readMatrices(mel.appendingPathComponent("class_00001/image_00001.npy")).map { $0.shape[0] }.count == 3)
        #expect(try NPY.readMatrices(mel.appendingPathComponent("class_00002/image_00003.npy")).count == 2)
        #expect(!FileManager.default.fileExists(atPath: mel.appendingPathComponent("class_00002/image_00002.npy").path))
        #expect(report.featuresWritten == 2)

        // The same seed elsewhere gives the same bytes; a second run keeps everything.
        _ = try speaker.run(captions, root: other, layout: .generic, workers: 1)
        #expect(try files(under: root) == files(under: other))
        let again = try speaker.run(captions, root: root, layout: .generic, workers: 2)
        #expect(again.written == 0 && again.skipped == 7 && again.featuresWritten == 0 && again.failures.count == 1)

        // Another seed asks for other voices: everything is spoken again and the features are remade.
        let before = try Data(contentsOf: mel.appendingPathComponent("class_00001/image_00001.npy"))
        let reseeded = try CaptionSpeaker(seed: 6).run(captions, root: root, layout: .generic, workers: 2)
        #expect(reseeded.written == 7 && reseeded.featuresWritten == 2)
        #expect(try Data(contentsOf: mel.appendingPathComponent("class_00001/image_00001.npy")) != before)
    }

    @Test func aFailingCommandIsReportedPerCaptionAndTheRestAreWritten() throws {
        let root = temporaryRoot("speak")
        defer { try? FileManager.default.removeItem(at: root) }
        let template = "case {text} in *fail*) echo refused >&2; exit 4;; esac; espeak-ng -v {voice} -s {speed} -p {pitch} -w {wav} -f {textfile}"
        let speaker = CaptionSpeaker(synthesizer: SpeechSynthesizer(engine: .command(template)), seed: 1)
        let captions = try CaptionSpeaker.readCaptions(textFolder: text)
        let report = try speaker.run(captions, root: root, layout: .oxford, workers: 2)
        #expect(report.failures.map { "\($0.key) \($0.index ?? -1)" } == ["class_00002/image_00002 1", "class_00002/image_00003 0"])
        #expect(report.failures[1].reason.contains("status 4") && report.failures[1].reason.contains("refused"))
        #expect(report.written == 6)
        let audio = CaptionSpeaker.Layout.oxford.audioFolder(root: root)
        #expect(audio.path.hasSuffix("Oxford102/audio"))
        #expect(FileManager.default.fileExists(atPath: audio.appendingPathComponent("class_00002/image_00003/1.wav").path))
        #expect(try CaptionSpeaker.readManifest(CaptionSpeaker.manifestFile(audioFolder: audio)).allSatisfy { $0.engine == "command" && $0.engineDetail == template })
    }
}
