import ArgumentParser
import S2IGANAudio
import S2IGANDatasets
import S2IGANDemo
import Foundation
import S2IGANGAN
import S2IGANTensor
import S2IGANVision
import S2IGANFormats

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The whole of S2IGAN on the built-in data: dataset, SEN, embeddings, RDG, generation, evaluation, report.",
        discussion: """
        Builds the spoken-flowers dataset (espeak-ng speech), trains the speech embedding network, embeds every caption,
        trains the RDG (3 stages: 64, 128, 256 px; the first alone at first) for as many epochs as fit in the budget after
        timing an iteration of each phase, generates
        an image for every test caption at every stage, measures them (petal colour and other attributes read from the
        pixels, R@k through the SEN) and writes report.html. Everything goes under --output; running the command again
        continues an interrupted demo (finished stages are kept, the trainers resume from their checkpoints). The default
        budget, 15 minutes, is the wall time on a 2-core machine; --budget trades time for quality.
        """
    )

    @Option(help: "Output folder.") var output = "demo-output"
    @Option(help: "Minutes the whole demo may take (the RDG gets what the other stages leave).") var budget: Double = 15
    @Option(help: "Threads (default: all cores).") var threads: Int?
    @Option(help: "Stop after this stage.") var through = DemoPipeline.Stage.report
    @Flag(help: "A demo small enough for a smoke test (4 classes, one epoch each; minutes).") var tiny = false
    @Flag(help: "Delete the output folder's earlier demo first.") var fresh = false

    func run() throws {
        let workers = threads ?? Parallel.coreCount
        var c = tiny ? DemoConfiguration.tiny(workers: workers) : DemoConfiguration.standard(workers: workers)
        c.budgetMinutes = budget
        let url = URL(fileURLWithPath: output)
        if fresh { try? FileManager.default.removeItem(at: url) }
        let started = Date()
        let pipeline = try DemoPipeline(configuration: c, output: url) { line in
            print(String(format: "%7.1fs  ", Date().timeIntervalSince(started)) + line)
        }
        print("s2igan demo → \(url.path) (budget \(DemoPipeline.duration(c.budgetMinutes * 60)), \(workers) threads)")
        if let evaluation = try pipeline.run(through: through) {
            if let colour = evaluation.score(.color) {
                print(String(format: "petal colour of generated %d px images: %.1f %% of %d test captions (chance %.1f %%)",
                             evaluation.imageSizes.last ?? 0, 100 * (colour.generated.last ?? 0), colour.captions, 100 * colour.uniformChance))
            }
        }
        if pipeline.state.finished(.report) { print("report: \(pipeline.reportFile.path)") }
        print("total " + DemoPipeline.duration(Date().timeIntervalSince(started)) + " in this run")
        if pipeline.state.finished(.report) {
            let binary = CommandLine.arguments.first ?? "s2igan"
            print("try it in a browser: \(binary) serve --model \(output)   (then open http://127.0.0.1:8080)")
        }
    }
}

struct SayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "say",
        abstract: "Speech in, image out: speak a caption with espeak-ng (or give a recording) and draw it with a trained model.",
        discussion: """
        --model is a demo output folder (its sen/ and gan/models/), or give --sen (a SEN run folder or speech encoder file)
        and --generator (a netG_<N> file, or a folder whose largest netG_<N> is used). The text is spoken into
        <output>.wav beside the image; --wav uses a recording instead (any format libsndfile reads, any rate). The image
        is the last stage's (256 px for three stages); --all-stages also writes <output>_<size>.png for every stage.
        The conditioning uses μ unless --sample; --seed draws the noise.
        """
    )

    @Argument(help: "What to say (omit with --wav).") var text: String?
    @Option(help: "Recording to use instead of text.") var wav: String?
    @Option(help: "Demo output folder with sen/ and gan/models/.") var model: String?
    @Option(help: "SEN run folder or speech encoder file.") var sen: String?
    @Option(help: "Generator file or folder of netG_<N> files.") var generator: String?
    @Option(help: "Image file to write (.png or .jpg).") var output = "flower.png"
    @Option(help: "espeak-ng voice.") var voice = "en-us"
    @Option(help: "Seed of the noise.") var seed: UInt64 = 100
    @Flag(help: "Sample the conditioning noise instead of using μ.") var sample = false
    @Flag(help: "Also write every stage's image.") var allStages = false

    func run() throws {
        guard (text == nil) != (wav == nil) else { throw ValidationError("give the text to say or --wav FILE (one of them)") }
        let system = try SpeechToImage(model: model.map { URL(fileURLWithPath: $0) }, sen: sen.map { URL(fileURLWithPath: $0) },
                                       generator: generator.map { URL(fileURLWithPath: $0) })
        let target = URL(fileURLWithPath: output)
        let images: [RGBImage]
        if let wav {
            images = try system.images(wav: URL(fileURLWithPath: wav), seed: seed, deterministic: !sample)
        } else if let text {
            let recording = target.deletingPathExtension().appendingPathExtension("wav")
            images = try system.images(text: text, wav: recording, voice: VoiceSettings(voice: voice), seed: seed, deterministic: !sample)
            print("spoke \"\(text)\" into \(recording.path)")
        } else {
            throw ValidationError("give the text to say or --wav FILE")
        }
        guard let last = images.last else { throw CommandError.failed("say: the generator produced no image") }
        try createFolder(target.deletingLastPathComponent())
        try last.write(to: target)
        print("\(last.width) × \(last.height) image in \(target.path) (generator \(system.generatorSource.lastPathComponent))")
        if allStages {
            let stem = target.deletingPathExtension().path, ext = target.pathExtension.isEmpty ? "png" : target.pathExtension
            for image in images {
                let url = URL(fileURLWithPath: "\(stem)_\(image.width).\(ext)")
                try image.write(to: url)
                print("  \(url.path)")
            }
        }
    }
}

struct EvalFlowers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flowers",
        abstract: "Attributes read from the pixels and R@k through the SEN, for generated spoken-flowers test images.",
        discussion: """
        --generated holds <key>_<size>_sentence<i>.png for every caption of --split (s2igan gan generate --all-stages --keep-last);
        --sen is the SEN run with speech_embeddings_test.safetensors (sen extract --output into the run folder). Prints the
        fraction of generated images whose petal colour, petal count, centre colour, size and background match their
        caption, the same measurement on the real images, chance levels, and R@1/5/10.
        """
    )

    @Option(help: "spoken-flowers dataset root.") var root: String
    @Option(help: "SEN run folder with the test embeddings.") var sen: String
    @Option(help: "Folder of generated images.") var generated: String
    @Option(parsing: .upToNextOption, help: "Image sizes to measure.") var sizes: [Int] = [64, 128, 256]
    @Option(help: "Write the results to this JSON file.") var json: String?
    @Option(help: "The split (train: the training captions, was the conditioning learned at all).") var split = DatasetSplit.test

    func run() throws {
        let evaluation = try DemoEvaluation.compute(dataRoot: URL(fileURLWithPath: root), senRun: URL(fileURLWithPath: sen),
                                                    generated: URL(fileURLWithPath: generated), imageSizes: sizes, sen: nil, split: split)
        for line in evaluation.summaryLines() { print(line) }
        if let json { try evaluation.write(to: URL(fileURLWithPath: json)) }
    }
}
