import S2IGANAutograd
import S2IGANDatasets
import Foundation
import S2IGANNN
import S2IGANSEN
import S2IGANTensor
import S2IGANTraining
import TestSupport
import Testing
import S2IGANVision
@testable import S2IGANGAN
import S2IGANFormats

@Suite struct RDGConfigurationTests {
    static let configs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Configs/gan")

    @Test(arguments: DatasetKind.allCases) func repositoryFilesSpellOutTheDefaults(kind: DatasetKind) throws {
        // Read over another dataset's defaults, so every value must come from the file.
        let base = RDGTrainingConfiguration.defaults(for: kind == .spokenFlowers ? .cub : .spokenFlowers)
        let loaded = try RDGTrainingConfiguration.load(file: Self.configs.appendingPathComponent("\(kind.rawValue).yml"), base: base)
        #expect(loaded == RDGTrainingConfiguration.defaults(for: kind))
    }

    @Test func referenceValues() {
        let cub = RDGTrainingConfiguration.defaults(for: .cub), places = RDGTrainingConfiguration.defaults(for: .places)
        #expect(cub.architecture == .reference && cub.batchSize == 24 && cub.epochs == 600 && cub.betas == [0.5, 0.999])
        #expect(cub.losses == RDGLossSettings(kl: 2, unconditional: 1, relation: 1, relationLabels: .released, identicalPair: true))
        #expect(places.epochs == 301 && !places.losses.identicalPair && cub.averageIntoGenerator)
        #expect(cub.iterationsPerEpoch(images: 8855) == 368)
    }

    @Test func yamlOverridesNestedKeysAndNamesBadOnes() throws {
        let base = RDGTrainingConfiguration.defaults(for: .cub)
        let c = try RDGTrainingConfiguration.load(yaml: "architecture:\n  stages: 2\nlosses:\n  relation_labels: four_class\ncaptions_per_image: 3\n",
                                                  base: base, source: "x.yml")
        #expect(c.architecture.stages == 2 && c.architecture.generatorWidth == 64 && c.losses.relationLabels == .fourClass && c.captionsPerImage == 3)
        for (text, fragment) in [("architecture:\n  stage: 2\n", "architecture.stage"), ("epoch: 3\n", "epoch"),
                                 ("architecture:\n  stages: 5\n", "stages"), ("batch_size: 1\n", "batch_size"), ("- 1\n", "mapping")] {
            let error = try #require(throws: TrainingError.self) { try RDGTrainingConfiguration.load(yaml: text, base: base, source: "x.yml") }
            #expect("\(error)".contains(fragment), "\(text)")
            #expect("\(error)".contains("x.yml"))
        }
    }
}

/// A tiny spoken-flowers dataset, random speech embeddings and a SEN run folder holding a fresh convolutional
/// image encoder: enough for the RDG trainer, without training a SEN first.
struct TinyRDGSetup {
    let root: URL, embeddings: URL, sen: URL

    static func make() throws -> TinyRDGSetup {
        let root = temporaryRoot("rdg-data")
        var options = SpokenFlowersOptions()
        (options.classes, options.imagesPerClass, options.captionsPerImage, options.imageSize) = (5, 6, 2, 64)
        _ = try SpokenFlowers.build(options, root: root)
        let folder = temporaryRoot("rdg-sen")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var rng = RandomGenerator(seed: 5)
        for split in [DatasetSplit.train, .test] {
            let data = try SpokenImageDataset.open(kind: .spokenFlowers, root: root, split: split)
            let e = try data.items.map { _ in try Tensor.normal([2, 32], using: &rng) }
            try SpeechEmbeddings.writeSafeTensors(e, keys: data.items.map(\.key), to: folder.appendingPathComponent("speech_embeddings_\(split.rawValue).safetensors"))
        }
        var c = SENTrainingConfiguration.defaults(for: .spokenFlowers)
        (c.convolutionalInputSize, c.convolutionalChannels, c.speechEncoder.hiddenSize) = (32, [8, 16], 16)
        try Data(try c.yaml().utf8).write(to: folder.appendingPathComponent("config.yml"))
        let encoder = try Initialization.seeded(3) { try ConvImageEncoder(inputSize: 32, channels: [8, 16], embeddingSize: 32) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("models"), withIntermediateDirectories: true)
        try encoder.save(to: folder.appendingPathComponent("models/best_image_model.safetensors"))
        return TinyRDGSetup(root: root, embeddings: folder, sen: folder)
    }

    static func configuration(epochs: Int = 2) -> RDGTrainingConfiguration {
        var c = RDGTrainingConfiguration.defaults(for: .spokenFlowers)
        c.architecture = RDGArchitecture(stages: 2, generatorWidth: 8, discriminatorWidth: 4, noiseSize: 10, conditionSize: 8,
                                         speechEmbeddingSize: 32, relationEmbeddingSize: 32, relationHiddenSize: 16)
        (c.batchSize, c.epochs, c.snapshotEvery, c.saveEvery) = (8, epochs, 1, 1)
        return c
    }

    func trainer(_ c: RDGTrainingConfiguration, output: URL) throws -> RDGTrainer {
        try RDGTrainer(configuration: c, root: root, embeddings: embeddings, senRun: sen, inceptionWeights: nil, output: output)
    }
}

/// The generators of a run's `models/` folder, in epoch order (not name order), optionally in a range of epochs.
@Test func generatorFilesAreOrderedByEpochAndFiltered() throws {
    let folder = temporaryRoot("generators")
    defer { try? FileManager.default.removeItem(at: folder) }
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    #expect { try RDGGeneration.generatorFiles(in: folder) } throws: { "\($0)".contains("no netG_") && "\($0)".contains(folder.path) }
    for name in ["netG_10.safetensors", "netG_2.safetensors", "netG_1.pth", "netD0.safetensors", "netG_x.safetensors", "netG_3.txt"] {
        try Data().write(to: folder.appendingPathComponent(name))
    }
    #expect(try RDGGeneration.generatorFiles(in: folder).map(\.epoch) == [1, 2, 10])
    #expect(try RDGGeneration.generatorFiles(in: folder, epochs: 2...600).map(\.url.lastPathComponent) == ["netG_2.safetensors", "netG_10.safetensors"])
    #expect { try RDGGeneration.generatorFiles(in: folder, epochs: 100...600) } throws: { "\($0)".contains("100…600") && "\($0)".contains("1, 2, 10") }
    #expect { try RDGGeneration.generatorFiles(in: folder, epochs: 11...Int.max) } throws: { "\($0)".contains("≥ 11") }
}

@Suite(.serialized) struct RDGTrainingTests {
    static let setup = Result { try TinyRDGSetup.make() }

    /// Two epochs on the built-in data: finite losses, snapshots that change, models saved, a readable log, and a
    /// generator that loads back and writes the reference's file names.
    @Test func shortRunTrainsSavesAndGenerates() throws {
        let setup = try Self.setup.get()
        let output = temporaryRoot("rdg-run")
        let trainer = try setup.trainer(TinyRDGSetup.configuration(), output: output)
        let records = try trainer.run()
        #expect(records.map(\.epoch) == [0, 1])
        #expect(records.allSatisfy { $0.losses.all.allSatisfy(\.isFinite) && $0.iterations == 3 && $0.losses.relation > 0 })
        let images = output.appendingPathComponent("images")
        for name in ["epoch_0000_real_samples.png", "epoch_0000_fake_samples0.png", "epoch_0000_fake_samples1.png", "epoch_0001_fake_samples1.png"] {
            #expect(FileManager.default.fileExists(atPath: images.appendingPathComponent(name).path), "\(name)")
        }
        let first = try RGBImage.read(images.appendingPathComponent("epoch_0000_fake_samples1.png"))
        let second = try RGBImage.read(images.appendingPathComponent("epoch_0001_fake_samples1.png"))
        #expect(first.width == second.width && first.pixels != second.pixels, "the snapshots did not change")
        let log = try String(contentsOf: output.appendingPathComponent("log.jsonl"), encoding: .utf8)
        #expect(log.split(separator: "\n").count == 2)
        // The saved generator loads by itself and generates the test split under the reference's names.
        let g = try Generator.load(from: output.appendingPathComponent("models/netG_1.safetensors"))
        #expect(g.architecture == TinyRDGSetup.configuration().architecture)
        let test = try SpokenImageDataset.open(kind: .spokenFlowers, root: setup.root, split: .test)
        let e = try SpeechEmbeddings.read(split: "test", in: setup.embeddings)
        let folder = temporaryRoot("rdg-gen")
        let count = try RDGGeneration.generateSplit(generator: g, keys: test.items.map(\.key), embeddings: e, folder: folder, batchSize: 4,
                                                    stages: .all)
        #expect(count == (test.count / 4) * 4 * 2 * 2)
        let key = test.items[0].key
        let picture = try RGBImage.read(folder.appendingPathComponent("\(key)_128_sentence1.png"))
        #expect(picture.width == 128 && FileManager.default.fileExists(atPath: folder.appendingPathComponent("\(key)_64_sentence0.png").path))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("\(test.items[test.count - 1].key)_128_sentence0.png").path)
                || test.count % 4 == 0, "the last incomplete batch is dropped")
        // Deterministic generation (c = μ) with given noise is reproducible.
        var rng = RandomGenerator(seed: 9)
        let z = try Tensor.normal([3, 10], using: &rng)
        let rows = try Tensor.stack(e.prefix(3).map { try $0.slice(axis: 0, start: 0, end: 1).reshaped([32]) }, axis: 0)
        let a = try RDGGeneration.images(generator: g, embeddings: rows, noise: z, epsilon: nil)
        let b = try RDGGeneration.images(generator: g, embeddings: rows, noise: z, epsilon: nil)
        #expect(a[1].scalars == b[1].scalars && a[1].shape == [3, 3, 128, 128])
    }

    /// Stopping after one epoch and resuming ends exactly where an uninterrupted run ends, optimiser moments,
    /// moving average and BatchNorm statistics included.
    @Test func resumeContinuesExactly() throws {
        let setup = try Self.setup.get()
        let whole = temporaryRoot("rdg-whole"), split = temporaryRoot("rdg-split")
        try setup.trainer(TinyRDGSetup.configuration(), output: whole).run()
        try setup.trainer(TinyRDGSetup.configuration(), output: split).run(stopAfter: 1)
        #expect(throws: TrainingError.self) { try setup.trainer(TinyRDGSetup.configuration(), output: split).run() }
        try setup.trainer(TinyRDGSetup.configuration(), output: split).run(resume: true)
        let a = try SafeTensorsFile.read(whole.appendingPathComponent(RDGTrainer.checkpointFile))
        let b = try SafeTensorsFile.read(split.appendingPathComponent(RDGTrainer.checkpointFile))
        #expect(a.names == b.names)
        for name in a.names { #expect(a.arrays[name] == b.arrays[name], "\(name)") }
        var other = TinyRDGSetup.configuration()
        other.batchSize = 6
        #expect(throws: TrainingError.self) { try setup.trainer(other, output: split).run(resume: true) }
    }

    /// `init-from`: a run started from another run's `models/` (weights only, as the reference's `Model/` holds them)
    /// has those weights in every network and in the moving average, fresh optimisers, and starts at the epoch after
    /// the weights'; from a run folder with a checkpoint it also takes the optimisers' moments.
    @Test func initialisingFromWeightsStartsAfterTheirEpoch() throws {
        let setup = try Self.setup.get()
        let first = temporaryRoot("rdg-init-a"), second = temporaryRoot("rdg-init-b"), third = temporaryRoot("rdg-init-c")
        defer { for f in [first, second, third] { try? FileManager.default.removeItem(at: f) } }
        let a = try setup.trainer(TinyRDGSetup.configuration(epochs: 1), output: first)
        try a.run()
        func trainer(_ epochs: Int, _ output: URL, from source: URL) throws -> RDGTrainer {
            try RDGTrainer(configuration: TinyRDGSetup.configuration(epochs: epochs), root: setup.root, embeddings: setup.embeddings,
                           senRun: setup.sen, inceptionWeights: nil, output: output, initFrom: source)
        }
        let models = first.appendingPathComponent("models")
        let b = try trainer(3, second, from: models)
        #expect(b.firstEpoch == 1)
        let saved = try Generator.load(from: models.appendingPathComponent("netG_0.safetensors"))
        #expect(b.networks.generator.stateDict().map(\.1.scalars) == saved.stateDict().map(\.1.scalars))
        #expect(b.step.average.averages.map(\.scalars) == saved.parameters().map(\.value.scalars))
        for (x, y) in zip(b.networks.discriminators + [b.networks.relation!], a.networks.discriminators + [a.networks.relation!]) {
            #expect(x.stateDict().map(\.1.scalars) == y.stateDict().map(\.1.scalars))
        }
        #expect(try b.step.generatorOptimizer.stateDict().arrays != a.step.generatorOptimizer.stateDict().arrays, "the optimiser is not fresh")
        #expect(try b.run(stopAfter: 1).map(\.epoch) == [1])
        // Weights of the configuration's last epoch leave nothing to train.
        #expect(throws: GANError.self) { try trainer(1, third, from: models) }
        // Our run folder: the checkpoint's optimiser moments and moving average come too.
        let c = try trainer(3, third, from: first)
        #expect(c.firstEpoch == 1)
        #expect(try c.step.generatorOptimizer.stateDict().arrays == a.step.generatorOptimizer.stateDict().arrays)
        #expect(c.step.average.averages.map(\.scalars) == a.step.average.averages.map(\.scalars))
    }

    /// `resume` without a run to continue is refused naming the folder (missing, or without a checkpoint), and
    /// resuming a run removes the temporary files a killed atomic write left in it and in models/ and images/.
    @Test func resumeNeedsARunAndCleansInterruptedWrites() throws {
        let setup = try Self.setup.get()
        let output = temporaryRoot("rdg-resume")
        defer { try? FileManager.default.removeItem(at: output) }
        let c = TinyRDGSetup.configuration()
        #expect { try setup.trainer(c, output: output).run(resume: true) } throws: {
            "\($0)".contains(output.path) && "\($0)".contains("does not exist") && "\($0)".contains("drop --resume")
        }
        #expect(!FileManager.default.fileExists(atPath: output.path))
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        #expect { try setup.trainer(c, output: output).run(resume: true) } throws: {
            "\($0)".contains(output.path) && "\($0)".contains("holds no checkpoint.safetensors") && "\($0)".contains("drop --resume")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: output.path).isEmpty)

        try setup.trainer(c, output: output).run(stopAfter: 1)
        let leftovers = [".dat.nosync0F0F.abcdef", "models/.netG_0.safetensors.tmp-424242", "images/.epoch_0000_fake_samples0.png.tmp-31337"]
        for name in leftovers { try Data("partial".utf8).write(to: output.appendingPathComponent(name)) }
        final class Lines: @unchecked Sendable { var all: [String] = [] }
        let lines = Lines()
        let trainer = try setup.trainer(c, output: output)
        trainer.report = { lines.all.append($0) }
        #expect(try trainer.run(resume: true).map(\.epoch) == [0, 1])
        for name in leftovers {
            #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent(name).path), "\(name)")
            #expect(lines.all.contains { $0.contains(name) }, "the removal of \(name) is reported")
        }
    }

    /// With `stage_start_epochs: [0, 1]` the first epoch trains the 64-px stage alone: the second stage's
    /// generator layers and its discriminator keep their initial weights and report zero losses, and only the
    /// first stage is drawn; the next epoch trains both.
    @Test func progressiveScheduleTrainsOnlyStartedStages() throws {
        let setup = try Self.setup.get()
        var c = TinyRDGSetup.configuration()
        c.stageStartEpochs = [0, 1]
        let output = temporaryRoot("rdg-progressive")
        let trainer = try setup.trainer(c, output: output)
        let initial = try RDGNetworks(architecture: c.architecture, relation: true, seed: c.seed)
        func values(_ m: Module?) -> [[Float]] { m?.parameters().map(\.value.scalars) ?? [] }
        let first = try trainer.run(stopAfter: 1)
        #expect(first[0].losses.discriminators[1] == 0 && first[0].losses.generatorAdversarial[1] == 0 && first[0].losses.discriminators[0] > 0)
        #expect(values(trainer.networks.discriminators[1]) == values(initial.discriminators[1]))
        #expect(values(trainer.networks.generator.stage2) == values(initial.generator.stage2))
        #expect(values(trainer.networks.generator.stage1) != values(initial.generator.stage1))
        let images = output.appendingPathComponent("images")
        #expect(FileManager.default.fileExists(atPath: images.appendingPathComponent("epoch_0000_fake_samples0.png").path))
        #expect(!FileManager.default.fileExists(atPath: images.appendingPathComponent("epoch_0000_fake_samples1.png").path))
        let all = try setup.trainer(c, output: output).run(resume: true)
        #expect(all.count == 2 && all[1].losses.discriminators[1] > 0 && all[1].losses.all.allSatisfy(\.isFinite))
        #expect(FileManager.default.fileExists(atPath: images.appendingPathComponent("epoch_0001_fake_samples1.png").path))
        #expect(c.activeStages(epoch: 0) == 1 && c.activeStages(epoch: 5) == 2 && TinyRDGSetup.configuration().activeStages(epoch: 0) == 2)
        for bad in [[0], [1, 2], [2, 0], [0, -1]] {
            var b = c
            b.stageStartEpochs = bad
            #expect(throws: GANError.self, "\(bad)") { try b.validate() }
        }
    }

    @Test func setupErrorsNameTheProblem() throws {
        let setup = try Self.setup.get()
        var c = TinyRDGSetup.configuration()
        c.architecture.speechEmbeddingSize = 64
        #expect(throws: GANError.self) { try setup.trainer(c, output: temporaryRoot("rdg-bad")) }
        let noRelation = TinyRDGSetup.configuration()
        #expect(throws: GANError.self) {
            try RDGTrainer(configuration: noRelation, root: setup.root, embeddings: setup.embeddings, senRun: nil, inceptionWeights: nil,
                           output: temporaryRoot("rdg-bad"))
        }
    }

    /// The moving average: `withAveragedGenerator` runs on the averages and puts the live weights back;
    /// `loadAverageIntoGenerator` (the reference's copy at every save) keeps the averages in the generator.
    @Test func averagedGeneratorSwapsAndCopies() throws {
        let a = TinyRDGSetup.configuration().architecture
        let networks = try RDGNetworks(architecture: a, relation: false, seed: 1)
        let step = try RDGTrainingStep(generator: networks.generator, discriminators: networks.discriminators, relationSupervisor: nil,
                                       embedder: nil, losses: RDGLossSettings(relation: 0), averageDecay: 0.5)
        var rng = RandomGenerator(seed: 3)
        for _ in 0..<2 {
            let batch = RDGBatch(real: try a.imageSizes.map { try Tensor.uniform([4, 3, $0, $0], low: -1, high: 1, using: &rng) },
                                 wrong: try a.imageSizes.map { try Tensor.uniform([4, 3, $0, $0], low: -1, high: 1, using: &rng) },
                                 similar: try Tensor.zeros([4, 3, 128, 128]), embeddings: try Tensor.normal([4, 32], using: &rng))
            try step.run(batch, noise: Tensor.normal([4, 10], using: &rng), epsilon: Tensor.normal([4, 8], using: &rng))
        }
        let parameters = networks.generator.parameters()
        let live = parameters.map(\.value.scalars), averages = step.average.averages.map(\.scalars)
        #expect(live != averages, "two Adam steps at decay 0.5 must leave the average behind the weights")
        let seen = step.withAveragedGenerator { g in g.parameters().map(\.value.scalars) }
        #expect(seen == averages)
        #expect(parameters.map(\.value.scalars) == live)
        step.loadAverageIntoGenerator()
        #expect(parameters.map(\.value.scalars) == averages)
        #expect(step.average.averages.map(\.scalars) == averages)
    }

    /// The ETA counts each remaining epoch at its own phase's rate; before a phase has run, at the latest
    /// phase's rate, flagged as a lower bound.
    @Test func etaFollowsTheProgressiveSchedule() throws {
        var c = TinyRDGSetup.configuration()
        c.architecture.stages = 3
        c.stageStartEpochs = [0, 2, 3]
        c.epochs = 5
        let losses = RDGLosses(discriminators: [0, 0], relation: 0, generatorAdversarial: [0, 0], generatorRelation: 0, kl: 0, generator: 0)
        let seconds: [Double] = [10, 12, 20, 50, 50]
        let records = seconds.enumerated().map { RDGEpochRecord(epoch: $0.offset, iterations: 1, losses: losses, seconds: $0.element,
                                                                imagesPerSecond: 1, snapshot: false, saved: false) }
        let eta = { (n: Int) in RDGTrainer.eta(Array(records.prefix(n)), configuration: c) }
        // After the 1-stage epochs (mean 11 s): three epochs of phases not yet timed.
        #expect(eta(2).seconds == 33 && eta(2).lowerBound)
        // After the 2-stage epoch: two 3-stage epochs, still untimed, at its 20 s.
        #expect(eta(3).seconds == 40 && eta(3).lowerBound)
        // After the first 3-stage epoch: one more at 50 s, no longer a guess.
        #expect(eta(4).seconds == 50 && !eta(4).lowerBound)
        #expect(eta(5).seconds == 0 && !eta(5).lowerBound)
        #expect(RDGTrainer.tableRow(records[1], eta: 33, etaIsLowerBound: true).contains("≥0m33s"))
        // Without a schedule every epoch trains all stages: the mean of the last three.
        c.stageStartEpochs = nil
        #expect(eta(4).seconds == (12 + 20 + 50) / 3 && !eta(4).lowerBound)
    }

    /// The phase times of an iteration cover it: each measured, none negative, together within the wall time.
    @Test func phaseTimesCoverTheIteration() throws {
        let a = TinyRDGSetup.configuration().architecture
        let networks = try RDGNetworks(architecture: a, relation: false, seed: 1)
        let step = try RDGTrainingStep(generator: networks.generator, discriminators: networks.discriminators, relationSupervisor: nil,
                                       embedder: nil, losses: RDGLossSettings(relation: 0))
        #expect(step.lastPhaseTimes == RDGPhaseTimes())
        var rng = RandomGenerator(seed: 2)
        let batch = RDGBatch(real: try a.imageSizes.map { try Tensor.uniform([4, 3, $0, $0], low: -1, high: 1, using: &rng) },
                             wrong: try a.imageSizes.map { try Tensor.uniform([4, 3, $0, $0], low: -1, high: 1, using: &rng) },
                             similar: try Tensor.zeros([4, 3, 128, 128]), embeddings: try Tensor.normal([4, 32], using: &rng))
        let clock = ContinuousClock()
        let start = clock.now
        try step.run(batch, noise: Tensor.normal([4, 10], using: &rng), epsilon: Tensor.normal([4, 8], using: &rng))
        let wall = start.duration(to: clock.now)
        let t = step.lastPhaseTimes
        let phases = [t.generator, t.discriminators, t.relation, t.generatorUpdate, t.average]
        #expect(phases.allSatisfy { $0 >= 0 })
        #expect(t.generator > 0 && t.discriminators > 0 && t.generatorUpdate > 0)
        let total = phases.reduce(0, +)
        let wallSeconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) * 1e-18
        #expect(total <= wallSeconds && total > 0.5 * wallSeconds, "phases \(total) s of \(wallSeconds) s")
        let json = String(decoding: try JSONEncoder().encode(t), as: UTF8.self)
        #expect(json.contains("\"d_steps\"") && json.contains("\"g_step\""))
        #expect(t.milliseconds["g_fwd"] == t.generator * 1000 && t.milliseconds.count == 5)
    }

    /// A NaN anywhere stops the iteration with the loss named, before any optimiser steps with it.
    @Test func nonFiniteLossesStopTraining() throws {
        let a = TinyRDGSetup.configuration().architecture
        let networks = try RDGNetworks(architecture: a, relation: false, seed: 1)
        let step = try RDGTrainingStep(generator: networks.generator, discriminators: networks.discriminators, relationSupervisor: nil,
                                       embedder: nil, losses: RDGLossSettings(relation: 0))
        var rng = RandomGenerator(seed: 2)
        let sizes = a.imageSizes
        var embeddings = try Tensor.normal([4, 32], using: &rng)
        embeddings = try embeddings * Float.nan
        let batch = RDGBatch(real: try sizes.map { try Tensor.uniform([4, 3, $0, $0], low: -1, high: 1, using: &rng) },
                             wrong: try sizes.map { try Tensor.uniform([4, 3, $0, $0], low: -1, high: 1, using: &rng) },
                             similar: try Tensor.zeros([4, 3, 128, 128]), embeddings: embeddings)
        let before = networks.discriminators[0].parameters().map(\.value.scalars)
        #expect(throws: RDGTrainingError.self) {
            try step.run(batch, noise: Tensor.normal([4, 10], using: &rng), epsilon: Tensor.normal([4, 8], using: &rng))
        }
        #expect(networks.discriminators[0].parameters().map(\.value.scalars) == before)
    }

    /// The colour-consistency term by hand: identical statistics give 0; a uniform shift d of every pixel of one
    /// channel moves only that mean (loss d²/3 per image, averaged over the batch's 3 channels), and a uniform
    /// scale s of a centred channel multiplies its variance by s²; finite differences agree with the backward pass.
    @Test func colourConsistencyByHand() throws {
        var rng = RandomGenerator(seed: 4)
        let x = try Tensor.uniform([2, 3, 4, 4], low: -1, high: 1, using: &rng)
        #expect(try RDGColourConsistency.loss(Variable(x), previous: Variable(x)).value.item() == 0)
        // The lower stage at half the size with the same statistics: nearest upsampling keeps mean and covariance.
        let small = try Tensor.uniform([2, 3, 2, 2], low: -1, high: 1, using: &rng)
        #expect(abs(try RDGColourConsistency.loss(Variable(try small.upsampledNearest(scale: 2)), previous: Variable(small)).value.item()) < 1e-6)
        let d: Float = 0.3
        var shift = [Float](repeating: 0, count: 2 * 3 * 16)
        for b in 0..<2 { for p in 0..<16 { shift[b * 48 + 16 + p] = d } }
        let shifted = try x + Tensor(shape: [2, 3, 4, 4], scalars: shift)
        expectClose(try RDGColourConsistency.loss(Variable(shifted), previous: Variable(x)).value, try Tensor([d * d / 3]).reshaped([]),
                    rtol: 1e-4, atol: 1e-7, "shift")
        // One image, one pixel pattern ±a in channel 0 only (variance a², everything else 0) against a flat image:
        // the only non-zero covariance entry is a², so the loss is 5 · a⁴ / 9.
        let a: Float = 0.5
        var pattern = [Float](repeating: 0, count: 3 * 4)
        for p in 0..<4 { pattern[p] = p % 2 == 0 ? a : -a }
        let loss = try RDGColourConsistency.loss(Variable(try Tensor(shape: [1, 3, 2, 2], scalars: pattern)),
                                                 previous: Variable(try Tensor.zeros([1, 3, 2, 2])))
        #expect(abs(try loss.value.item() - 5 * a * a * a * a / 9) < 1e-6)
        let previous = try Tensor.uniform([2, 3, 2, 2], low: -1, high: 1, using: &rng)
        let check = try GradientCheck.check(inputs: [x]) { v in try RDGColourConsistency.loss(v[0], previous: Variable(previous)) }
        #expect(check.passed, "\(check)")
        #expect(throws: GANError.self) { try RDGColourConsistency.statistics(Variable(try Tensor.zeros([2, 3, 4]))) }
    }

    /// In an iteration the term is off by default (parity), and when on it is the sum over consecutive stage pairs,
    /// added to the generator loss with its coefficient.
    @Test func colourConsistencyJoinsTheGeneratorLoss() throws {
        let a = TinyRDGSetup.configuration().architecture
        func run(_ coefficient: Float) throws -> RDGLosses {
            let networks = try RDGNetworks(architecture: a, relation: false, seed: 1)
            let step = try RDGTrainingStep(generator: networks.generator, discriminators: networks.discriminators, relationSupervisor: nil,
                                           embedder: nil, losses: RDGLossSettings(relation: 0, colourConsistency: coefficient))
            var rng = RandomGenerator(seed: 2)
            let batch = RDGBatch(real: try a.imageSizes.map { try Tensor.uniform([4, 3, $0, $0], low: -1, high: 1, using: &rng) },
                                 wrong: try a.imageSizes.map { try Tensor.uniform([4, 3, $0, $0], low: -1, high: 1, using: &rng) },
                                 similar: try Tensor.zeros([4, 3, 128, 128]), embeddings: try Tensor.normal([4, 32], using: &rng))
            return try step.run(batch, noise: Tensor.normal([4, 10], using: &rng), epsilon: Tensor.normal([4, 8], using: &rng))
        }
        let off = try run(0), on = try run(50)
        #expect(off.colourConsistency == 0 && on.colourConsistency > 0)
        #expect(on.discriminators == off.discriminators)
        #expect(abs(on.generator - off.generator - 50 * on.colourConsistency) < 1e-3 * max(1, on.generator))
        // Logs and configurations written before the term existed still read.
        let decoded = try JSONDecoder().decode(RDGLosses.self, from: Data(#"{"d":[1],"rs":0,"g_adv":[1],"g_rs":0,"kl":0,"g":2}"#.utf8))
        #expect(decoded.colourConsistency == 0)
        let settings = try JSONDecoder().decode(RDGLossSettings.self, from: Data(#"{"kl":2,"unconditional":1,"relation":1,"relation_labels":"released","identical_pair":true}"#.utf8))
        #expect(settings == RDGLossSettings())
    }
}
