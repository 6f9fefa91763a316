import CSndfile
import Foundation
import S2IGANTensor
import S2IGANFormats

/// How one caption is spoken: an espeak-ng voice name (with an optional `+variant`), a speed in words per
/// minute and a pitch in 0…99 (espeak-ng's `-v`, `-s` and `-p`). A command engine receives them as
/// `{voice}`, `{speed}` and `{pitch}` and may ignore them.
public struct VoiceSettings: Sendable, Equatable, Codable {
    public var voice: String
    public var wordsPerMinute: Int
    public var pitch: Int

    public init(voice: String = "en-us", wordsPerMinute: Int = 160, pitch: Int = 50) {
        (self.voice, self.wordsPerMinute, self.pitch) = (voice, wordsPerMinute, pitch)
    }
}

/// The voices, speeds and pitches captions are drawn from, so that a dataset's speech is not monotone.
public struct VoicePalette: Sendable, Equatable {
    /// Base voices (espeak-ng language voices such as `en-us`, `en-gb-scotland`, or full names with `+variant`).
    public var voices: [String]
    /// espeak-ng voice variants appended as `+variant` to a base voice that has none.
    public var variants: [String]
    public var wordsPerMinute: ClosedRange<Int>
    public var pitch: ClosedRange<Int>

    public init(voices: [String], variants: [String] = [], wordsPerMinute: ClosedRange<Int> = 135...185, pitch: ClosedRange<Int> = 25...75) {
        (self.voices, self.variants, self.wordsPerMinute, self.pitch) = (voices, variants, wordsPerMinute, pitch)
    }

    /// English voices of espeak-ng 1.51 (no MBROLA voices, which need another package), with its male and
    /// female variants.
    public static let english = VoicePalette(
        voices: ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-029"],
        variants: ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5"])

    /// One caption's settings drawn from the palette.
    public func settings(using rng: inout RandomGenerator) -> VoiceSettings {
        var voice = voices.isEmpty ? "en-us" : voices[rng.nextInt(below: voices.count)]
        if !voice.contains("+") && !variants.isEmpty { voice += "+" + variants[rng.nextInt(below: variants.count)] }
        let speed = wordsPerMinute.lowerBound + rng.nextInt(below: wordsPerMinute.count)
        let pitch = pitch.lowerBound + rng.nextInt(below: pitch.count)
        return VoiceSettings(voice: voice, wordsPerMinute: speed, pitch: pitch)
    }
}

/// What turns text into speech.
public enum SpeechEngine: Sendable, Equatable {
    /// The espeak-ng program (Debian package `espeak-ng`), which writes 22 050 Hz 16-bit mono WAV.
    case espeakNG
    /// A shell command run by `/bin/sh -c` after substituting, shell-quoted: `{wav}` the WAV file it must
    /// write, `{text}` the caption, `{textfile}` a UTF-8 file holding the caption, `{voice}`, `{speed}` and
    /// `{pitch}`. Any sample rate and channel count are accepted and converted.
    case command(String)

    /// The engine's name in manifests.
    public var name: String {
        switch self {
        case .espeakNG: return "espeak-ng"
        case .command: return "command"
        }
    }
}

/// Speaks captions into WAV files at a fixed sample rate (22 050 Hz, the rate of the reference's
/// Tacotron 2 audio) with an external engine, one program run per caption.
public struct SpeechSynthesizer: Sendable {
    public var engine: SpeechEngine
    /// The rate of the files written; other rates produced by the engine are resampled (resampy's
    /// `kaiser_best`, as ``AudioSignal/resampled(to:)``).
    public var sampleRate: Int
    /// Seconds after which one engine run is killed and reported as failed.
    public var timeout: Double
    /// The espeak-ng program looked up on `PATH` (another name only in tests of the missing-program error).
    var espeakProgram = "espeak-ng"

    public init(engine: SpeechEngine = .espeakNG, sampleRate: Int = 22_050, timeout: Double = 120) {
        (self.engine, self.sampleRate, self.timeout) = (engine, sampleRate, timeout)
    }

    /// Checks that the engine can run and describes it (`"espeak-ng 1.51"`, or the command template).
    /// - Throws: when espeak-ng is not installed (naming the Debian package), or the template has no `{wav}`.
    public func check() throws -> String {
        switch engine {
        case .espeakNG:
            guard ChildProcess.exists(espeakProgram) else {
                throw AudioError.speechEngine(
                    "espeak-ng is not installed: install the Debian package 'espeak-ng' (apt-get install espeak-ng, or run scripts/setup.sh)")
            }
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("s2igan-espeak-\(UInt64.random(in: 0...UInt64.max)).log")
            let outcome = try ChildProcess.run([espeakProgram, "--version"], timeout: timeout, log: log)
            guard outcome.status == 0 else {
                throw AudioError.speechEngine("espeak-ng --version failed (status \(outcome.status)): \(Self.firstLine(outcome.output))")
            }
            // "eSpeak NG text-to-speech: 1.51  Data at: …"
            let version = outcome.output.split(separator: ":").dropFirst().first?.split(separator: " ").first.map(String.init) ?? "?"
            return "espeak-ng \(version)"
        case .command(let template):
            guard template.contains("{wav}") else {
                throw AudioError.speechEngine("speech command '\(template)' has no {wav} placeholder for the file it must write")
            }
            guard template.contains("{text}") || template.contains("{textfile}") else {
                throw AudioError.speechEngine("speech command '\(template)' has neither {text} nor {textfile}")
            }
            return template
        }
    }

    /// Speaks `text` into `url` (mono 16-bit PCM WAV at ``sampleRate``, written atomically) and returns the
    /// signal written.
    /// - Throws: for an empty caption, an engine that fails, times out or writes no usable audio — naming
    ///   `url` and quoting the engine's first line of output.
    @discardableResult
    public func speak(_ text: String, settings: VoiceSettings, to url: URL) throws -> AudioSignal {
        let caption = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !caption.isEmpty else { throw AudioError.file(path: url.path, reason: "speech: the caption is empty") }
        try ResourceLimits.check(caption.count, \.captionCharacters, what: "speech: caption characters", path: url.path)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("s2igan-speak-\(UInt64.random(in: 0...UInt64.max))")
        try createFolder(scratch)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let wav = scratch.appendingPathComponent("speech.wav"), textFile = scratch.appendingPathComponent("caption.txt")
        try Data(caption.utf8).write(to: textFile)
        let arguments: [String]
        switch engine {
        case .espeakNG:
            arguments = [espeakProgram, "-v", settings.voice, "-s", "\(settings.wordsPerMinute)", "-p", "\(settings.pitch)",
                         "-w", wav.path, "-f", textFile.path]
        case .command(let template):
            let values = ["{wav}": wav.path, "{text}": caption, "{textfile}": textFile.path, "{voice}": settings.voice,
                          "{speed}": "\(settings.wordsPerMinute)", "{pitch}": "\(settings.pitch)"]
            var command = template
            for (placeholder, value) in values { command = command.replacingOccurrences(of: placeholder, with: ChildProcess.shellQuoted(value)) }
            arguments = ["/bin/sh", "-c", command]
        }
        let outcome: ChildProcess.Outcome
        do {
            outcome = try ChildProcess.run(arguments, timeout: timeout, log: scratch.appendingPathComponent("output.log"))
        } catch {
            throw AudioError.file(path: url.path, reason: "speech: \(readableDescription(of: error))")
        }
        if outcome.timedOut {
            throw AudioError.file(path: url.path, reason: "speech: \(engine.name) did not finish within \(Int(timeout)) s")
        }
        guard outcome.status == 0 else {
            let said = Self.firstLine(outcome.output)
            throw AudioError.file(path: url.path, reason: "speech: \(engine.name) exited with status \(outcome.status)\(said.isEmpty ? "" : ": \(said)")")
        }
        guard FileManager.default.fileExists(atPath: wav.path) else {
            throw AudioError.file(path: url.path, reason: "speech: \(engine.name) wrote no audio file")
        }
        let signal: AudioSignal
        do {
            signal = try AudioSignal.read(wav)
        } catch {
            throw AudioError.file(path: url.path, reason: "speech: \(engine.name) wrote unusable audio (\(readableDescription(of: error)))")
        }
        try createFolder(url.deletingLastPathComponent())
        if signal.sampleRate == sampleRate && AudioSignal.isMonoPCM16WAV(wav) {
            // Already in the target format: keep the engine's bytes rather than re-quantising them.
            try writeFileAtomically(Data(contentsOf: wav), to: url)
            return signal
        }
        let converted = signal.sampleRate == sampleRate ? signal : try signal.resampled(to: sampleRate)
        try converted.write(to: url)
        return converted
    }

    static func firstLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).first.map { String($0.prefix(300)) } ?? ""
    }
}

extension AudioSignal {
    /// Whether `url` is a mono 16-bit PCM WAV file.
    static func isMonoPCM16WAV(_ url: URL) -> Bool {
        var info = SF_INFO()
        guard let file = sf_open(url.path, Int32(SFM_READ), &info) else { return false }
        sf_close(file)
        return info.channels == 1 && info.format & Int32(SF_FORMAT_TYPEMASK) == Int32(SF_FORMAT_WAV)
            && info.format & Int32(SF_FORMAT_SUBMASK) == Int32(SF_FORMAT_PCM_16)
    }
}
