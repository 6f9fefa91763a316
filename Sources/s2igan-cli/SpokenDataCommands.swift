import ArgumentParser
import S2IGANAudio
import S2IGANDatasets
import Foundation
import S2IGANTensor

struct DatasetSynth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Build the spoken-flowers dataset: drawn flowers with captions spoken by espeak-ng, in the Oxford-102 layout.",
        discussion: """
        Classes are petal colour × petal count; a fifth of them are held out for the test split, each sharing its
        colour and count with training classes. Every image gets --captions-per-image captions naming its colour
        (and mostly its petal count, shape, centre colour, size and background), spoken at 22 050 Hz with voices,
        speeds and pitches drawn from the seed, then turned into log-mel features. Use it as --dataset spoken-flowers.
        Images and texts depend only on the options; the audio is byte-identical between runs with the same
        espeak-ng version. An interrupted build is completed by running the same command again.
        """
    )

    @Option(help: "Output folder (new or empty, or an unfinished build with the same options).") var output: String
    @Option(help: "Classes (petal colour × petal count), 3–28.") var classes = 20
    @Option(help: "Images per class.") var imagesPerClass = 24
    @Option(help: "Spoken captions per image.") var captionsPerImage = 5
    @Option(help: "Image side in pixels.") var size = 256
    @Option(help: "Seed of images, captions and voices.") var seed: UInt64 = 0
    @Option(help: "Comma-separated espeak-ng voices (default: seven English accents).") var voices: String?
    @Option(help: "Parallel jobs (default: all cores).") var jobs: Int?

    func run() throws {
        var options = SpokenFlowersOptions()
        (options.classes, options.imagesPerClass, options.captionsPerImage, options.imageSize, options.seed) =
            (classes, imagesPerClass, captionsPerImage, size, seed)
        if let voices { options.voices = voices.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        let started = Date()
        let progress = ProgressReporter.standardError()
        let summary = try SpokenFlowers.build(options, root: URL(fileURLWithPath: output), workers: jobs ?? Parallel.coreCount) {
            progress.report($0.rawValue, $1, $2)
        }
        print("spoken-flowers at \(output): \(summary.trainImages) train images (\(summary.trainClasses) classes), "
              + "\(summary.testImages) test images (\(summary.testClasses) classes); drew \(summary.imagesDrawn) images, "
              + "spoke \(summary.captionsSpoken) captions (\(summary.captionsKept) kept) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }
}

struct DatasetSpeak: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "speak",
        abstract: "Speak text captions (one per line of <key>.txt) into <n>.wav files, then make their log-mel features.",
        discussion: """
        --text is a folder of caption files such as Reed et al.'s text_c10/<class>/<image>.txt (10 captions per image).
        Caption n of an image (line n, from 0) goes to <audio>/<key>/<n>.wav at 22 050 Hz mono: CUB_200_2011/audio
        for cub, Oxford102/audio for oxford, audio/ for generic (features in audio_mel beside it). Voices, speeds and
        pitches are drawn per caption from --seed. --engine command runs a template through /bin/sh with {wav}, {text},
        {textfile}, {voice}, {speed} and {pitch} substituted (shell-quoted); the WAV it writes may have any rate.
        A manifest (audio/manifest.jsonl) records text, engine and voice of every file; re-running skips what is done.
        Empty captions and engine failures are listed and make the exit code 1; the rest are still written.
        """
    )

    @Option(help: "Where the audio goes under --root (any case).") var dataset: CaptionSpeaker.Layout
    @Option(help: "Dataset root the audio is written under.") var root: String
    @Option(help: "Folder of <key>.txt caption files.") var text: String
    @Option(help: "The speech engine (espeak is espeak-ng).") var engine = EngineChoice.espeakNG
    @Option(help: "Command template for --engine command, e.g. 'mytts --out {wav} --text {text}'.") var command: String?
    @Option(help: "Comma-separated voices (espeak-ng names; default: seven English accents).") var voices: String?
    @Option(help: "Seed of the voice choices.") var seed: UInt64 = 0
    @Option(help: "Parallel jobs (default: all cores).") var jobs: Int?
    @Option(help: "Seconds before one engine run is killed.") var timeout = 120.0
    @Flag(inversion: .prefixedNo, help: "Also write the log-mel features (default) or only the audio.") var features = true

    func run() throws {
        let speechEngine: SpeechEngine
        switch engine {
        case .espeakNG, .espeak:
            guard command == nil else { throw ValidationError("--command is only for --engine command") }
            speechEngine = .espeakNG
        case .command:
            guard let command else { throw ValidationError("--engine command needs --command TEMPLATE") }
            speechEngine = .command(command)
        }
        var palette = VoicePalette.english
        if let voices { palette.voices = voices.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        let speaker = CaptionSpeaker(synthesizer: SpeechSynthesizer(engine: speechEngine, timeout: timeout), palette: palette, seed: seed)
        let captions = try CaptionSpeaker.readCaptions(textFolder: URL(fileURLWithPath: text))
        let progress = ProgressReporter.standardError()
        let report = try speaker.run(captions, root: URL(fileURLWithPath: root), layout: dataset, workers: jobs ?? Parallel.coreCount,
                                     features: features) { progress.report($0.rawValue, $1, $2) }
        print("spoke \(report.written) caption(s), kept \(report.skipped), failed \(report.failures.count) of \(captions.count)"
              + (features ? "; wrote \(report.featuresWritten) feature file(s)" : ""))
        if !report.failures.isEmpty {
            for failure in report.failures { FileHandle.standardError.write(Data("failed: \(failure)\n".utf8)) }
            throw ExitCode(1)
        }
    }
}
