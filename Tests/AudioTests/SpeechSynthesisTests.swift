import Foundation
import S2IGANTensor
import Testing
@testable import S2IGANAudio

/// espeak-ng is installed by the set-up (scripts/setup.sh); these tests run the real program.
@Suite struct SpeechSynthesisTests {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("s2igan-speech-tests-\(UUID().uuidString)")

    func reason(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    @Test func espeakWritesMono16BitAt22050AndRepeatsItself() throws {
        let synthesizer = SpeechSynthesizer()
        #expect(try synthesizer.check().hasPrefix("espeak-ng "))
        let settings = VoiceSettings(voice: "en-gb+f3", wordsPerMinute: 150, pitch: 60)
        let a = scratch.appendingPathComponent("a.wav"), b = scratch.appendingPathComponent("b/b.wav")
        let short = try synthesizer.speak("a red flower", settings: settings, to: a)
        try synthesizer.speak("a red flower", settings: settings, to: b)
        #expect(short.sampleRate == 22_050)
        #expect(AudioSignal.isMonoPCM16WAV(a))
        #expect(try Data(contentsOf: a) == Data(contentsOf: b))
        let read = try AudioSignal.read(a)
        #expect(read.samples == short.samples)
        #expect(read.samples.contains { abs($0) > 0.05 })

        let long = try synthesizer.speak("this flower has five pink petals and a yellow center with thin green leaves",
                                         settings: settings, to: scratch.appendingPathComponent("c.wav"))
        #expect(long.samples.count > 2 * short.samples.count)
        let slow = try synthesizer.speak("a red flower", settings: VoiceSettings(voice: "en-gb+f3", wordsPerMinute: 100, pitch: 60),
                                         to: scratch.appendingPathComponent("d.wav"))
        #expect(slow.samples.count > short.samples.count)
        try? FileManager.default.removeItem(at: scratch)
    }

    @Test func commandEngineOutputIsResampledToTheTargetRate() throws {
        let source = fixtures.url("tone16k_pcm16.wav")
        let synthesizer = SpeechSynthesizer(engine: .command("cp \(source.path) {wav} # {text}"))
        let url = scratch.appendingPathComponent("tone.wav")
        let signal = try synthesizer.speak("anything", settings: VoiceSettings(), to: url)
        let original = try AudioSignal.read(source)
        #expect(signal.sampleRate == 22_050)
        #expect(signal.samples.count == (original.samples.count * 22_050 + 15_999) / 16_000)
        #expect(try AudioSignal.read(url).sampleRate == 22_050)
        try? FileManager.default.removeItem(at: scratch)
    }

    @Test func commandTemplatesGetQuotedValues() throws {
        // The text holds quotes and a `$`: it must reach the command as one literal argument.
        let text = "it's a $HOME \"flower\""
        let synthesizer = SpeechSynthesizer(engine: .command("test {text} = \(ChildProcess.shellQuoted(text)) && espeak-ng -v {voice} -w {wav} -f {textfile}"))
        let signal = try synthesizer.speak(text, settings: VoiceSettings(voice: "en-us"), to: scratch.appendingPathComponent("q.wav"))
        #expect(signal.samples.count > 1000)
        try? FileManager.default.removeItem(at: scratch)
    }

    @Test func failuresNameTheFileAndTheCause() throws {
        let url = scratch.appendingPathComponent("x.wav")
        #expect(reason { try SpeechSynthesizer().speak("   ", settings: VoiceSettings(), to: url) }.contains("caption is empty"))
        let failing = SpeechSynthesizer(engine: .command("echo broken voice >&2; exit 3 # {wav} {text}"))
        let message = reason { try failing.speak("hello", settings: VoiceSettings(), to: url) }
        #expect(message.contains("x.wav") && message.contains("status 3") && message.contains("broken voice"))
        let silent = SpeechSynthesizer(engine: .command("true {wav} {text}"))
        #expect(reason { try silent.speak("hello", settings: VoiceSettings(), to: url) }.contains("wrote no audio file"))
        let garbage = SpeechSynthesizer(engine: .command("echo nonsense > {wav} # {text}"))
        #expect(reason { try garbage.speak("hello", settings: VoiceSettings(), to: url) }.contains("unusable audio"))
        var slow = SpeechSynthesizer(engine: .command("sleep 5 # {wav} {text}"))
        slow.timeout = 0.3
        #expect(reason { try slow.speak("hello", settings: VoiceSettings(), to: url) }.contains("did not finish"))
        #expect(!FileManager.default.fileExists(atPath: url.path))

        #expect(reason { _ = try SpeechSynthesizer(engine: .command("say {text}")).check() }.contains("{wav}"))
        var missing = SpeechSynthesizer()
        missing.espeakProgram = "espeak-ng-not-installed"
        #expect(reason { _ = try missing.check() }.contains("Debian package 'espeak-ng'"))
    }

    @Test func paletteDrawsWithinItsRanges() {
        var rng = RandomGenerator(seed: 3)
        let palette = VoicePalette.english
        var voices = Set<String>()
        for _ in 0..<200 {
            let s = palette.settings(using: &rng)
            #expect(palette.wordsPerMinute.contains(s.wordsPerMinute) && palette.pitch.contains(s.pitch))
            #expect(s.voice.split(separator: "+").count == 2)
            voices.insert(s.voice)
        }
        #expect(voices.count > 30)
        var fixed = RandomGenerator(seed: 3)
        #expect(VoicePalette(voices: ["en-us+m3"], variants: ["f1"]).settings(using: &fixed).voice == "en-us+m3")
    }
}
