import S2IGANAutograd
import S2IGANDatasets
import Foundation
import S2IGANMetrics
import S2IGANNN
import S2IGANTensor
import S2IGANTraining
import TestSupport
import Testing
@testable import S2IGANSEN
import S2IGANFormats

/// A small spoken-flowers dataset (10 classes: 8 train, 2 test; 6 images of 64 px each; 2 captions).
func tinySpokenFlowers() throws -> URL {
    let root = temporaryRoot("data")
    var options = SpokenFlowersOptions()
    (options.classes, options.imagesPerClass, options.captionsPerImage, options.imageSize) = (10, 6, 2, 64)
    _ = try SpokenFlowers.build(options, root: root)
    return root
}

/// A SEN configuration small enough to train in seconds on the tiny dataset.
func tinyConfiguration(epochs: Int = 12) -> SENTrainingConfiguration {
    var c = SENTrainingConfiguration.defaults(for: .spokenFlowers)
    (c.batchSize, c.epochs, c.validateEvery, c.imageSize, c.imageViews) = (16, epochs, 3, 64, 2)
    (c.convolutionalInputSize, c.convolutionalChannels) = (32, [8, 16, 32])
    (c.speechEncoder.convolutionChannels, c.speechEncoder.hiddenSize, c.speechEncoder.attentionHidden) = ([16, 24], 24, 16)
    return c
}

@Suite struct SENConfigurationTests {
    static let configs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Configs/sen")

    @Test(arguments: DatasetKind.allCases) func repositoryFilesSpellOutTheDefaults(kind: DatasetKind) throws {
        // Read over another dataset's defaults, so every value must come from the file.
        let base = SENTrainingConfiguration.defaults(for: kind == .spokenFlowers ? .cub : .spokenFlowers)
        let loaded = try SENTrainingConfiguration.load(file: Self.configs.appendingPathComponent("\(kind.rawValue).yml"), base: base)
        #expect(loaded == SENTrainingConfiguration.defaults(for: kind))
    }

    @Test func referenceValuesPerDataset() {
        let cub = SENTrainingConfiguration.defaults(for: .cub), flickr = SENTrainingConfiguration.defaults(for: .flickr8k)
        #expect(cub.batchSize == 128 && cub.learningRate == 1e-3 && cub.epochs == 151 && cub.distinctiveLoss)
        #expect(flickr.batchSize == 32 && flickr.learningRate == 1e-4 && flickr.epochs == 121 && !flickr.distinctiveLoss)
        #expect(cub.speechEncoder == SpeechEncoderConfiguration() && cub.betas == [0.95, 0.999] && cub.weightDecay == 1e-3)
        // Epochs 0–48 at the base rate, 49–98 ÷10, 99–148 ÷100, 149–150 ÷1000: the reference's 1-based epochs
        // 1–49, 50–99, 100–149 and 150–151 (spec 2.6).
        #expect(cub.learningRate(epoch: 0) == 1e-3 && cub.learningRate(epoch: 48) == 1e-3)
        #expect(abs(cub.learningRate(epoch: 49) - 1e-4) < 1e-10 && abs(cub.learningRate(epoch: 150) - 1e-6) < 1e-12)
    }

    @Test func aPartialFileChangesOnlyItsKeys() throws {
        let base = SENTrainingConfiguration.defaults(for: .oxford)
        let c = try SENTrainingConfiguration.load(yaml: "epochs: 7\nspeech_encoder:\n  hidden_size: 64\n", base: base)
        var expected = base
        (expected.epochs, expected.speechEncoder.hiddenSize) = (7, 64)
        #expect(c == expected)
        #expect(try SENTrainingConfiguration.load(yaml: try c.yaml(), base: base) == c)
    }

    /// `tied_best`: the reference keeps the first of equal validations, spoken-flowers the last; a configuration
    /// written before the key existed reads as the reference's rule.
    @Test func tiedBestChoosesWhichEqualValidationSaves() throws {
        var c = SENTrainingConfiguration.defaults(for: .cub)
        #expect(c.tiedBest == .first && SENTrainingConfiguration.defaults(for: .spokenFlowers).tiedBest == .last)
        #expect(c.isNewBest(0.2, over: nil) && c.isNewBest(0.6, over: 0.5) && !c.isNewBest(0.5, over: 0.5) && !c.isNewBest(0.4, over: 0.5))
        c.tiedBest = .last
        #expect(c.isNewBest(0.5, over: 0.5) && c.isNewBest(0.6, over: 0.5) && !c.isNewBest(0.4, over: 0.5))
        c.tiedBest = nil
        #expect(!c.isNewBest(1, over: 1))
        #expect(try SENTrainingConfiguration.load(yaml: "tied_best: last", base: .defaults(for: .cub)).tiedBest == .last)
        #expect(throws: TrainingError.self) { try SENTrainingConfiguration.load(yaml: "tied_best: middle", base: .defaults(for: .cub)) }
        var json = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(SENTrainingConfiguration.defaults(for: .cub))) as! [String: Any]
        json["tied_best"] = nil
        let old = try JSONDecoder().decode(SENTrainingConfiguration.self, from: try JSONSerialization.data(withJSONObject: json))
        #expect(old.tiedBest == nil && !old.isNewBest(0.5, over: 0.5))
    }

    /// An Inception SEN run's image encoder without --inception-weights uses the file its config.yml names; when
    /// that file is gone (or none is named) the error says what to give.
    @Test func inceptionRunFallsBackToItsRecordedWeights() throws {
        let run = temporaryRoot("inception-run")
        defer { try? FileManager.default.removeItem(at: run) }
        try FileManager.default.createDirectory(at: run.appendingPathComponent("models"), withIntermediateDirectories: true)
        try SafeTensorsFile(tensors: ["L1.weight": try Tensor.zeros([8, 2048]), "L1.bias": try Tensor.zeros([8])])
            .write(to: run.appendingPathComponent("models/best_image_model.safetensors"))
        func configure(_ weights: String?) throws {
            var c = SENTrainingConfiguration.defaults(for: .cub)
            c.inceptionWeights = weights
            try Data(try c.yaml().utf8).write(to: run.appendingPathComponent("config.yml"))
        }
        try configure(nil)
        #expect { try SENModel.loadImageEncoder(fromRun: run, inceptionWeights: nil) } throws: {
            "\($0)".contains("--inception-weights") && !"\($0)".contains("config.yml names")
        }
        let gone = run.appendingPathComponent("gone.pth").path
        try configure(gone)
        #expect { try SENModel.loadImageEncoder(fromRun: run, inceptionWeights: nil) } throws: {
            "\($0)".contains("--inception-weights") && "\($0)".contains("config.yml names \(gone)")
        }
        // A recorded file that is there is the one read (here not a checkpoint, so its reader names it).
        let bogus = run.appendingPathComponent("inception.pth")
        try Data("not a checkpoint".utf8).write(to: bogus)
        try configure(bogus.path)
        #expect { try SENModel.loadImageEncoder(fromRun: run, inceptionWeights: nil) } throws: { "\($0)".contains(bogus.path) }
    }

    @Test func badFilesAreNamedErrors() {
        let base = SENTrainingConfiguration.defaults(for: .cub)
        for (yaml, words) in [("batch_sizes: 3", "unknown key 'batch_sizes'"), ("batch_size: 1", "batch_size must be at least 2"),
                              ("speech_encoder:\n  hidden: 3", "speech_encoder.hidden"), ("epochs: [1", "not valid YAML"),
                              ("- 1\n- 2", "mapping"), ("image_encoder: resnet", "config:"), ("dataset: mnist", "unknown dataset")] {
            #expect { _ = try SENTrainingConfiguration.load(yaml: yaml, base: base, source: "x.yml") } throws: { error in
                "\(error)".contains(words) && "\(error)".contains("x.yml")
            }
        }
    }

    @Test func speechEncoderSizesAreReadFromWeights() throws {
        var c = SpeechEncoderConfiguration()
        (c.convolutionChannels, c.hiddenSize, c.recurrentLayers, c.attentionHidden, c.melBands) = ([8, 12], 10, 3, 6, 20)
        let encoder = try SpeechEncoder(c)
        let inferred = try SpeechEncoderConfiguration(stateDict: Dictionary(uniqueKeysWithValues: encoder.stateDict()))
        #expect(inferred == c)
        #expect(throws: SENError.self) { _ = try SpeechEncoderConfiguration(stateDict: [:]) }
    }
}

@Suite struct RetrievalTests {
    @Test func recallOfAHandMadeCase() throws {
        // Image 2's nearest caption is speech 0 (0.83 against its own 0.80); speech 2's nearest image is image 1
        // (0.96 against its own 0.80); every other pair is its row's and column's best.
        let image = try Tensor(shape: [3, 2], scalars: [1, 0, 0, 1, 0.8, 0.6])
        let speech = try Tensor(shape: [3, 2], scalars: [1, 0.05, 0, 1, 0.28, 0.96])
        let r = try Retrieval.recall(speech: speech, image: image, ks: [1, 2])
        #expect(r.imageToSpeech == [2.0 / 3, 1])
        #expect(r.speechToImage == [2.0 / 3, 1])
        #expect(r.imageToSpeechMedianRank == 0 && r.speechToImageMedianRank == 0)
        #expect(r.meanRecall(at: 1) == 2.0 / 3 && r.meanRecall(at: 10) == nil)
    }

    @Test func chanceMAPIsTheMeanOverAllRankings() throws {
        // Enumerate every ranking of 5 images (classes 1, 1, 2, 2, 2) and average the AP of each class's query.
        let classes = [1, 1, 2, 2, 2]
        var total = 0.0, count = 0
        func permutations(_ items: [Int]) -> [[Int]] {
            items.count <= 1 ? [items] : items.indices.flatMap { i in
                permutations(Array(items[..<i] + items[(i + 1)...])).map { [items[i]] + $0 }
            }
        }
        for order in permutations(Array(0..<5)) {
            for query in [1, 2] {
                var found = 0, ap = 0.0
                let relevant = classes.filter { $0 == query }.count
                for (rank, i) in order.enumerated() where classes[i] == query {
                    found += 1
                    ap += Double(found) / Double(rank + 1)
                }
                total += ap / Double(relevant) / 2
            }
            count += 1
        }
        #expect(abs(Retrieval.chanceMAP(classIDs: classes) - total / Double(count)) < 1e-12)
    }
}

@Suite(.serialized) struct SENTrainingTests {
    @Test func shortTrainingLearnsAndItsEncoderExtracts() throws {
        let root = try tinySpokenFlowers(), output = temporaryRoot("run")
        defer { try? FileManager.default.removeItem(at: root); try? FileManager.default.removeItem(at: output) }
        let trainer = try SENTrainer(configuration: tinyConfiguration(), root: root, output: output)
        let result = try trainer.run()
        #expect(result.finished && result.records.count == 12)
        let first = result.records[0], last = result.records[11]
        #expect(last.loss < 0.85 * first.loss, "loss \(first.loss) → \(last.loss)")
        #expect(last.matchingLoss < first.matchingLoss && last.distinctiveLoss! < first.distinctiveLoss!)
        let metrics = result.records.compactMap(\.metric)
        #expect(metrics.count == 4)
        #expect(metrics.last! > metrics.first! + 0.05 && metrics.last! > result.chance + 0.05, "mAP \(metrics), chance \(result.chance)")
        #expect(result.bestMetric == metrics.max())
        // spoken-flowers keeps the last of equal best validations (tied_best: last).
        #expect(result.bestEpoch == result.records.last(where: { $0.metric == metrics.max() })?.epoch)

        // Logs: one JSON line and one table row per epoch.
        let lines = try String(contentsOf: output.appendingPathComponent("log.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 12)
        let decoded = try JSONDecoder().decode(SENEpochRecord.self, from: Data(lines[2].utf8))
        #expect(decoded == result.records[2])
        #expect(try String(contentsOf: output.appendingPathComponent("log.txt"), encoding: .utf8).split(separator: "\n").count == 13)

        // Extraction with the saved best encoder: one row per caption, each the caption embedded alone.
        let encoder = try SpeechEncoder.load(from: output)
        let test = try SpokenImageDataset.open(kind: .spokenFlowers, root: root, split: .test)
        let parallel = try SpeechEmbeddings.extract(encoder: encoder, dataset: test, workers: 2)
        let serial = try SpeechEmbeddings.extract(encoder: encoder, dataset: test, workers: 1)
        #expect(parallel.count == test.count && parallel.allSatisfy { $0.shape == [2, 48] })
        for (a, b) in zip(parallel, serial) { #expect(a.scalars == b.scalars) }
        let captions = try test.captions(of: test.items[3])
        expectClose(parallel[3], try encoder.embed(captions), rtol: 0, atol: 0)
        let norms = try parallel[3].square().sum(axes: [1]).scalars
        #expect(norms.allSatisfy { abs($0 - 1) < 1e-5 })

        // The reference's pickle and our safetensors read back to the same arrays.
        let pickle = output.appendingPathComponent("speech_embeddings_test.pickle")
        try SpeechEmbeddings.writePickle(parallel, to: pickle)
        let fromPickle = try PickleReader.read(pickle).tensors()
        #expect(fromPickle.count == parallel.count && zip(fromPickle, parallel).allSatisfy { $0.scalars == $1.scalars && $0.shape == $1.shape })
        let ours = output.appendingPathComponent("speech_embeddings_test.safetensors")
        try SpeechEmbeddings.writeSafeTensors(parallel, keys: test.items.map(\.key), to: ours)
        #expect(try SafeTensorsFile.read(ours).tensor("3").scalars == parallel[3].scalars)

        // A recording and a feature file embed like the dataset's caption.
        let item = test.items[0]
        let wav = root.appendingPathComponent("Oxford102/audio/\(item.key)/0.wav")
        let fromWav = try SpeechEmbeddings.embed(encoder: encoder, recordings: [wav], featureFiles: [item.features])
        #expect(fromWav.shape == [3, 48])
        expectClose(try fromWav.slice(axis: 0, start: 0, end: 1), try parallel[0].slice(axis: 0, start: 0, end: 1), rtol: 0, atol: 1e-6)
        expectClose(try fromWav.slice(axis: 0, start: 1, end: 3), parallel[0], rtol: 0, atol: 0)
    }

    /// The model's and optimiser's tensors of a checkpoint, by name.
    func checkpointTensors(_ folder: URL) throws -> [String: [Float]] {
        try SafeTensorsFile.read(folder.appendingPathComponent(SENTrainer.checkpointFile)).arrays.mapValues { $0.tensor().scalars }
    }

    func withoutTimes(_ records: [SENEpochRecord]) -> [SENEpochRecord] {
        records.map { var r = $0; r.seconds = 0; return r }
    }

    @Test func aResumedRunEndsExactlyAsAnUninterruptedOne() throws {
        let root = try tinySpokenFlowers(), whole = temporaryRoot("whole"), split = temporaryRoot("split")
        defer { for url in [root, whole, split] { try? FileManager.default.removeItem(at: url) } }
        let c = tinyConfiguration(epochs: 4)
        let uninterrupted = try SENTrainer(configuration: c, root: root, output: whole).run()
        let stopped = try SENTrainer(configuration: c, root: root, output: split).run(stopAfter: 3)
        #expect(!stopped.finished && stopped.records.count == 3)
        // A fresh run must not overwrite it; another configuration must not resume it.
        #expect { try SENTrainer(configuration: c, root: root, output: split).run() } throws: { "\($0)".contains("already holds") }
        var other = c
        other.learningRate = 5e-4
        #expect { try SENTrainer(configuration: other, root: root, output: split).run(resume: true) } throws: { "\($0)".contains("another configuration") }
        var moreWorkers = c
        moreWorkers.workers = 3
        let resumed = try SENTrainer(configuration: moreWorkers, root: root, output: split).run(resume: true)
        #expect(resumed.finished && withoutTimes(resumed.records) == withoutTimes(uninterrupted.records))
        #expect(try checkpointTensors(split) == checkpointTensors(whole))
        for file in [SENModel.speechFile, SENModel.imageFile, SENModel.classifierFile] {
            let a = try Data(contentsOf: whole.appendingPathComponent("models/\(file)"))
            #expect(try Data(contentsOf: split.appendingPathComponent("models/\(file)")) == a, "\(file)")
        }
        let logs = try String(contentsOf: split.appendingPathComponent("log.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(logs.count == 4)
        #expect(uninterrupted.records.map(\.epoch) == [0, 1, 2, 3] && uninterrupted.records.map { $0.metric != nil } == [false, false, true, false])
    }

    /// A run folder as the SEN wrote it before the training harness — epochs numbered from 1 in the checkpoint's
    /// records and in `log.jsonl`, no `epoch_numbering` in the checkpoint — resumes, is renumbered from 0, and ends
    /// with exactly the weights of an uninterrupted run (the random streams kept their keys).
    @Test func aRunFolderOfTheOldNumberingResumes() throws {
        let root = try tinySpokenFlowers(), whole = temporaryRoot("whole"), old = temporaryRoot("old")
        defer { for url in [root, whole, old] { try? FileManager.default.removeItem(at: url) } }
        let c = tinyConfiguration(epochs: 4)
        let uninterrupted = try SENTrainer(configuration: c, root: root, output: whole).run()
        let stopped = try SENTrainer(configuration: c, root: root, output: old).run(stopAfter: 3)
        // The old layout: every record one higher, the checkpoint's epoch the last 1-based one, no numbering key.
        let checkpoint = old.appendingPathComponent(SENTrainer.checkpointFile)
        var file = try SafeTensorsFile.read(checkpoint)
        let records = stopped.records.map { var r = $0; r.epoch += 1; return r }
        #expect(records.map(\.epoch) == [1, 2, 3] && records[2].best)
        file.metadata["records"] = String(decoding: try JSONEncoder.sorted.encode(records), as: UTF8.self)
        file.metadata["epoch"] = "3"
        file.metadata["epoch_numbering"] = nil
        try file.write(to: checkpoint)
        let lines = try records.map { String(decoding: try JSONEncoder.sorted.encode($0), as: UTF8.self) }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: old.appendingPathComponent("log.jsonl"))

        let resumed = try SENTrainer(configuration: c, root: root, output: old).run(resume: true)
        #expect(resumed.finished && withoutTimes(resumed.records) == withoutTimes(uninterrupted.records))
        #expect(resumed.bestEpoch == uninterrupted.bestEpoch)
        #expect(try checkpointTensors(old) == checkpointTensors(whole))
        let log = try String(contentsOf: old.appendingPathComponent("log.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(try log.map { try JSONDecoder().decode(SENEpochRecord.self, from: Data($0.utf8)).epoch } == [0, 1, 2, 3])
    }

    /// `resume` on a missing or empty run folder is refused, naming the folder and saying to drop --resume,
    /// instead of silently training from scratch; nothing is created. Resuming a real run removes the temporary
    /// files that a killed atomic write left (ours and Foundation's), in the folder and in models/.
    @Test func resumeNeedsARunAndCleansInterruptedWrites() throws {
        let root = try tinySpokenFlowers(), output = temporaryRoot("resume")
        defer { try? FileManager.default.removeItem(at: root); try? FileManager.default.removeItem(at: output) }
        let c = tinyConfiguration(epochs: 2)
        #expect { try SENTrainer(configuration: c, root: root, output: output).run(resume: true) } throws: {
            "\($0)".contains(output.path) && "\($0)".contains("does not exist") && "\($0)".contains("drop --resume")
        }
        #expect(!FileManager.default.fileExists(atPath: output.path))
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        #expect { try SENTrainer(configuration: c, root: root, output: output).run(resume: true) } throws: {
            "\($0)".contains(output.path) && "\($0)".contains("holds no checkpoint.safetensors") && "\($0)".contains("drop --resume")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: output.path).isEmpty)

        let first = try SENTrainer(configuration: c, root: root, output: output).run(stopAfter: 1)
        #expect(first.records.count == 1)
        let leftovers = [".checkpoint.safetensors.tmp-999999999", ".dat.nosyncA1B2.k3j4l5", "models/.best_audio_model.safetensors.tmp-77"]
        // No epoch validated yet, so models/ is not there: as if the first best model's write had been killed.
        try FileManager.default.createDirectory(at: output.appendingPathComponent("models"), withIntermediateDirectories: true)
        for name in leftovers { try Data("partial".utf8).write(to: output.appendingPathComponent(name)) }
        final class Lines: @unchecked Sendable { var all: [String] = [] }
        let lines = Lines()
        let resumed = try SENTrainer(configuration: c, root: root, output: output) { lines.all.append($0) }.run(resume: true)
        #expect(resumed.finished && resumed.records.map(\.epoch) == [0, 1])
        // The printed table: its header, and the last epoch's row with nothing left to run.
        #expect(lines.all.contains(SENTrainer.tableHeader(metricName: "mAP")) && lines.all.contains { $0.hasPrefix("    1  ") && $0.hasSuffix("  0m00s") })
        #expect(try String(contentsOf: output.appendingPathComponent("log.txt"), encoding: .utf8).split(separator: "\n").last?.hasSuffix("0m00s") == false)
        for name in leftovers {
            #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent(name).path), "\(name)")
            #expect(lines.all.contains { $0.contains(name) }, "the removal of \(name) is reported")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: output.path) + FileManager.default.contentsOfDirectory(atPath: output.appendingPathComponent("models").path)
        #expect(!names.contains { $0.contains(".tmp-") || $0.hasPrefix(".dat.nosync") }, "\(names)")
    }

    @Test func withoutACacheImagesAreAugmentedAtEveryVisit() throws {
        let root = try tinySpokenFlowers(), output = temporaryRoot("live")
        defer { try? FileManager.default.removeItem(at: root); try? FileManager.default.removeItem(at: output) }
        var c = tinyConfiguration(epochs: 3)
        (c.imageViews, c.validationImages) = (0, .random)
        let result = try SENTrainer(configuration: c, root: root, output: output).run()
        #expect(result.finished && result.records.compactMap(\.metric).count == 1)
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("cache").path))
        #expect(result.records[2].loss < result.records[0].loss)
    }

    @Test func setUpProblemsAreNamed() throws {
        let root = try tinySpokenFlowers(), output = temporaryRoot("bad")
        defer { try? FileManager.default.removeItem(at: root); try? FileManager.default.removeItem(at: output) }
        var c = tinyConfiguration()
        c.imageEncoder = .inception
        #expect { _ = try SENTrainer(configuration: c, root: root, output: output) } throws: { "\($0)".contains("Inception-v3 weights") }
        c = tinyConfiguration()
        c.batchSize = 64
        #expect { _ = try SENTrainer(configuration: c, root: root, output: output) } throws: { "\($0)".contains("fewer than one batch") }
        #expect { _ = try SpeechEncoder.load(from: output) } throws: { "\($0)".contains("no such file") }
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        #expect { _ = try SpeechEncoder.load(from: output) } throws: { "\($0)".contains("best_audio_model") }
        let junk = output.appendingPathComponent("best_audio_model.safetensors")
        try Data("not a file".utf8).write(to: junk)
        #expect { _ = try SpeechEncoder.load(from: junk) } throws: { "\($0)".contains(junk.path) }
    }

    @Test func convolutionalEncoderGivesUnitEmbeddings() throws {
        let encoder = try ConvImageEncoder(inputSize: 32, channels: [4, 8], embeddingSize: 10)
        #expect(encoder.inputShape == [3, 32, 32])
        var rng = RandomGenerator(seed: 3)
        let out = try encoder(Variable(Tensor.normal([5, 3, 32, 32], using: &rng)))
        #expect(out.shape == [5, 10])
        #expect(try out.value.square().sum(axes: [1]).scalars.allSatisfy { abs($0 - 1) < 1e-5 })
        #expect(throws: SENError.self) { _ = try ConvImageEncoder(inputSize: 30, channels: [4, 8]) }
        // Only `features.*` and `L1.*` are in the state dict; the classifier keeps the reference's `L1` name.
        #expect(encoder.stateDictKeys.allSatisfy { $0.hasPrefix("features.") || $0.hasPrefix("L1.") })
        #expect(try SENClassifier(embeddingSize: 10, classes: 3).stateDictKeys == ["L1.weight", "L1.bias"])
        #expect(try InceptionImageEncoder().stateDictKeys == ["L1.weight", "L1.bias"])
    }
}
