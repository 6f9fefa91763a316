import Foundation
import S2IGANAutograd
import S2IGANFormats
import S2IGANNN
import S2IGANTensor
import S2IGANTraining
import TestSupport
import Testing

/// A configuration of a toy run: what the harness compares on resume.
struct ToyConfiguration: TrainingRunConfiguration {
    var epochs: Int
    var learningRate: Float = 0.1
    var workers: Int = 1

    func yaml() throws -> String { "epochs: \(epochs)\nlearning_rate: \(learningRate)\nworkers: \(workers)\n" }

    func adoptingResumableSettings(of current: ToyConfiguration) -> ToyConfiguration {
        var c = self
        c.workers = current.workers
        return c
    }
}

struct ToyRecord: TrainingEpochRecord {
    var epoch: Int
    var loss: Float
    var seconds: Double
}

/// A run that fits y = 3x with one Linear(1, 1) and Adam, two iterations per epoch; `nanAt` makes the loss of an
/// (epoch, iteration) NaN.
final class ToyRun {
    let folder: URL
    let configuration: ToyConfiguration
    let model: Linear
    let adam: Adam
    var lines: [String] = []
    var nanAt: (epoch: Int, iteration: Int)?

    init(folder: URL, configuration: ToyConfiguration) throws {
        (self.folder, self.configuration) = (folder, configuration)
        model = try Initialization.seeded(7) { try Linear(1, 1) }
        adam = try Adam(parameters: model.parameters(), learningRate: configuration.learningRate)
    }

    var harness: TrainingRun<ToyConfiguration, ToyRecord> {
        let log = TrainingLog<ToyRecord>(header: "epoch  loss") { r, eta in
            "\(r.epoch)  \(r.loss)" + (eta.map { "  eta " + $0.cell } ?? "")
        }
        return TrainingRun(folder: folder, name: "toy training", article: "a", configuration: configuration, model: model,
                           optimizers: ["adam": adam], log: log, legacyFirstEpoch: 1) { [weak self] in self?.lines.append($0) }
    }

    @discardableResult
    func run(resume: Bool = false, stopAfter: Int? = nil) throws -> [ToyRecord] {
        let x = try Tensor(shape: [4, 1], scalars: [1, 2, 3, 4]), y = try Tensor(shape: [4, 1], scalars: [3, 6, 9, 12])
        return try harness.run(resume: resume, stopAfter: stopAfter) { epoch, progress in
            var total: Float = 0
            for iteration in 0..<2 {
                adam.zeroGrad()
                let loss = try (model(Variable(x)) - Variable(y)).square().mean()
                let value = nanAt.map { $0.epoch == epoch && $0.iteration == iteration } == true ? Float.nan : try loss.value.item()
                total += try NonFiniteLoss.check(value, "toy")
                try loss.backward()
                try adam.step()
                progress.finishIteration(of: 2)
            }
            return ToyRecord(epoch: epoch, loss: total / 2, seconds: 1)
        }
    }

    var checkpoint: URL { folder.appendingPathComponent("checkpoint.safetensors") }
}

@Suite struct TrainingRunTests {
    func withFolder(_ name: String, _ body: (URL) throws -> Void) throws {
        let folder = temporaryRoot(name)
        defer { try? FileManager.default.removeItem(at: folder) }
        try body(folder)
    }

    /// Stopped after two epochs and resumed, a run ends with the weights, optimiser state and records of an
    /// uninterrupted one; epochs are numbered from 0.
    @Test func stopAfterAndResumeEndLikeAnUninterruptedRun() throws {
        try withFolder("toy-whole") { whole in
            try withFolder("toy-split") { split in
                let c = ToyConfiguration(epochs: 5)
                let all = try ToyRun(folder: whole, configuration: c).run()
                #expect(all.map(\.epoch) == [0, 1, 2, 3, 4])
                let first = try ToyRun(folder: split, configuration: c).run(stopAfter: 2)
                #expect(first.map(\.epoch) == [0, 1])
                let resumed = try ToyRun(folder: split, configuration: c)
                let rest = try resumed.run(resume: true)
                #expect(rest == all)
                #expect(resumed.lines.contains("resuming after epoch 1: 2 of 5 epochs done"))
                let a = try SafeTensorsFile.read(whole.appendingPathComponent("checkpoint.safetensors"))
                let b = try SafeTensorsFile.read(split.appendingPathComponent("checkpoint.safetensors"))
                #expect(a.names == b.names && !a.names.isEmpty)
                for name in a.names { #expect(a.arrays[name] == b.arrays[name], "\(name)") }
                #expect(b.metadata["epoch"] == "4" && b.metadata["epoch_numbering"] == "from 0")
                // A finished run resumed again trains nothing and returns its records.
                #expect(try ToyRun(folder: split, configuration: c).run(resume: true) == all)
                // stopAfter 0 trains nothing.
                #expect(try ToyRun(folder: split, configuration: ToyConfiguration(epochs: 5)).run(resume: true, stopAfter: 0).count == 5)
            }
        }
    }

    /// Resuming needs a run: a missing folder and one without a checkpoint are refused and left as they were; a
    /// new run in a folder that holds one is refused; a checkpoint resumes only under its configuration, up to
    /// the settings the configuration lets change (workers here).
    @Test func resumeGuards() throws {
        try withFolder("toy-guards") { folder in
            let c = ToyConfiguration(epochs: 3)
            #expect { try ToyRun(folder: folder, configuration: c).run(resume: true) } throws: {
                "\($0)".contains(folder.path) && "\($0)".contains("does not exist") && "\($0)".contains("no toy training run to continue")
                    && "\($0)".contains("drop --resume")
            }
            #expect(!FileManager.default.fileExists(atPath: folder.path))
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            #expect { try ToyRun(folder: folder, configuration: c).run(resume: true) } throws: {
                "\($0)".contains("holds no checkpoint.safetensors") && "\($0)".contains("drop --resume")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)

            try ToyRun(folder: folder, configuration: c).run(stopAfter: 1)
            #expect { try ToyRun(folder: folder, configuration: c).run() } throws: {
                "\($0)".contains("already holds a toy training run (checkpoint.safetensors); resume it or choose another folder")
            }
            var other = c
            other.learningRate = 0.2
            #expect { try ToyRun(folder: folder, configuration: other).run(resume: true) } throws: {
                "\($0)".contains("another configuration") && "\($0)".contains("config.yml")
            }
            #expect(try String(contentsOf: folder.appendingPathComponent("config.yml"), encoding: .utf8).contains("learning_rate: 0.1"))
            var moreWorkers = c
            moreWorkers.workers = 4
            #expect(try ToyRun(folder: folder, configuration: moreWorkers).run(resume: true).map(\.epoch) == [0, 1, 2])
            #expect(try String(contentsOf: folder.appendingPathComponent("config.yml"), encoding: .utf8).contains("workers: 4"))

            // A checkpoint without a readable configuration is named as such.
            let toy = try ToyRun(folder: folder, configuration: c)
            try TrainingCheckpoint.save(to: toy.checkpoint, model: toy.model, optimizers: ["adam": toy.adam], metadata: ["records": "[]"])
            #expect { try toy.run(resume: true) } throws: { "\($0)".contains("no readable configuration") && "\($0)".contains("checkpoint.safetensors") }
        }
    }

    /// A NaN loss stops the run naming the epoch, the iteration and the loss; the last epoch's checkpoint and logs
    /// stay, and the run resumes from them. A NaN before any checkpoint removes the folder the run created.
    @Test func nonFiniteLossStopsTheRun() throws {
        try withFolder("toy-nan") { folder in
            let c = ToyConfiguration(epochs: 4)
            let toy = try ToyRun(folder: folder, configuration: c)
            toy.nanAt = (2, 1)
            #expect { try toy.run() } throws: {
                "\($0)".contains("toy training stopped at epoch 2, iteration 1: the toy loss became nan; the checkpoint of epoch 1 is kept")
            }
            let kept = try SafeTensorsFile.read(toy.checkpoint)
            #expect(kept.metadata["epoch"] == "1")
            #expect(try String(contentsOf: folder.appendingPathComponent("log.jsonl"), encoding: .utf8).split(separator: "\n").count == 2)
            #expect(try ToyRun(folder: folder, configuration: c).run(resume: true).map(\.epoch) == [0, 1, 2, 3])
        }
        try withFolder("toy-nan-first") { folder in
            let toy = try ToyRun(folder: folder, configuration: ToyConfiguration(epochs: 2))
            toy.nanAt = (0, 0)
            #expect { try toy.run() } throws: { "\($0)".contains("epoch 0, iteration 0") && "\($0)".contains("no epoch had finished") }
            #expect(!FileManager.default.fileExists(atPath: folder.path))
        }
    }

    /// `log.jsonl` holds one sorted-key JSON object per finished epoch and `log.txt` the table; the printed rows
    /// carry the remaining time, the file's do not.
    @Test func logsHoldEveryEpoch() throws {
        try withFolder("toy-log") { folder in
            let toy = try ToyRun(folder: folder, configuration: ToyConfiguration(epochs: 3))
            let records = try toy.run()
            let lines = try String(contentsOf: folder.appendingPathComponent("log.jsonl"), encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 3)
            #expect(try lines.map { try JSONDecoder().decode(ToyRecord.self, from: Data($0.utf8)) } == records)
            #expect(lines[0].hasPrefix("{\"epoch\":0,\"loss\":"))
            let table = try String(contentsOf: folder.appendingPathComponent("log.txt"), encoding: .utf8)
            #expect(table == "epoch  loss\n" + records.map { "\($0.epoch)  \($0.loss)\n" }.joined())
            #expect(toy.lines.first == "epoch  loss")
            // Each epoch takes 1 s (the toy's record), so after epoch 0 two remain: 2 s.
            #expect(toy.lines.contains("0  \(records[0].loss)  eta   0m02s"))
            #expect(toy.lines.contains("2  \(records[2].loss)  eta   0m00s"))
            #expect(records[1].loss < records[0].loss)
        }
    }

    /// A checkpoint written before the harness (no `epoch_numbering`) numbered its epochs from the trainer's
    /// `legacyFirstEpoch`; its records are renumbered from 0 and the run continues with the next epoch.
    @Test func checkpointsOfTheOldNumberingResume() throws {
        try withFolder("toy-legacy-whole") { whole in
            try withFolder("toy-legacy") { folder in
                let c = ToyConfiguration(epochs: 3)
                let all = try ToyRun(folder: whole, configuration: c).run()
                let first = try ToyRun(folder: folder, configuration: c).run(stopAfter: 1)
                // Rewrite the checkpoint as the SEN wrote it before: records numbered from 1, no numbering key.
                let toy = try ToyRun(folder: folder, configuration: c)
                let file = try SafeTensorsFile.read(toy.checkpoint)
                var old = first
                old[0].epoch = 1
                var legacy = file
                legacy.metadata["epoch_numbering"] = nil
                legacy.metadata["records"] = String(decoding: try JSONEncoder.sorted.encode(old), as: UTF8.self)
                legacy.metadata["epoch"] = "1"
                try legacy.write(to: toy.checkpoint)
                #expect(try SafeTensorsFile.read(toy.checkpoint).metadata["epoch_numbering"] == nil)
                let resumed = try toy.run(resume: true)
                #expect(resumed == all)
                #expect(toy.lines.contains("resuming after epoch 0: 1 of 3 epochs done"))
                #expect(try SafeTensorsFile.read(toy.checkpoint).metadata["epoch_numbering"] == "from 0")
            }
        }
    }

    @Test func progressReportsEveryFiftyIterations() throws {
        try withFolder("toy-progress") { folder in
            let toy = try ToyRun(folder: folder, configuration: ToyConfiguration(epochs: 1))
            try toy.harness.run(resume: false) { epoch, progress in
                for _ in 0..<120 { progress.finishIteration(of: 120) }
                #expect(progress.iteration == 120)
                return ToyRecord(epoch: epoch, loss: 0, seconds: progress.seconds)
            }
            let progressLines = toy.lines.filter { $0.contains("iterations") }
            #expect(progressLines.count == 2 && progressLines[0].hasPrefix("  epoch 0: 50/120 iterations, ") && progressLines[1].contains("100/120"))
        }
    }
}
