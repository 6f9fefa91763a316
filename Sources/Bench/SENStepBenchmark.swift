import ArgumentParser
import Foundation
import S2IGANNN
import S2IGANSEN
import S2IGANTensor
import S2IGANTraining

/// One SEN training step of the CUB configuration with cached trunk features, the shapes of
/// `shared/bench/02_sen_speech.py`: the speech encoder at its reference size, the image projection on
/// 2048-d features, the 150-class classifier, and the step that training runs (``SENTrainingStep``: matching +
/// distinctive loss, backward, Adam with the CUB configuration's β 0.95, 0.999 and coupled weight decay 1e-3).
public struct SENStepBenchmark {
    public var batches: [Int]
    /// Padded caption length (the longest caption); the others are uniform in 40–100 % of it.
    public var frames: Int
    /// Timed steps per batch size, after one warm-up step.
    public var iterations: Int
    /// Data-parallel: each batch size is a global batch, each rank computes its share, the matching loss gathers the
    /// embeddings and the gradients are averaged (the trainer's ``DataParallel``); the record adds the ranks, the
    /// communication time and the bytes all-reduced.
    public var parallel: DataParallel?

    public init(batches: [Int] = [128, 32], frames: Int = 1024, iterations: Int = 3, parallel: DataParallel? = nil) throws {
        for batch in batches { try parallel?.checkDivides(globalBatch: batch) }
        self.parallel = parallel
        guard !batches.isEmpty, batches.allSatisfy({ $0 > 1 }) else { throw ValidationError("--batches: give batch sizes above 1") }
        guard iterations >= 1 else { throw ValidationError("--iters must be at least 1") }
        // Lengths are drawn from 40–100 % of --frames, but never below what the encoder's convolutions need.
        let minimum = SpeechEncoderConfiguration().minimumFrames
        guard frames >= minimum else {
            throw ValidationError("--frames must be at least \(minimum) (the speech encoder's shortest utterance), got \(frames)")
        }
        (self.batches, self.frames, self.iterations) = (batches, frames, iterations)
    }

    /// One "sen_step" record per batch size.
    public func run(_ emit: (BenchmarkRecord) -> Void) throws {
        let model = try Initialization.seeded(0) {
            SENModel(speech: try SpeechEncoder(), image: try InceptionImageEncoder(), classifier: try SENClassifier(classes: 150))
        }
        let minimum = model.speech.configuration.minimumFrames
        let step = try SENTrainingStep(model: model, configuration: .defaults(for: .cub))
        parallel?.prepare(model)
        step.parallel = parallel
        // Every rank has built its model: the watchdog (--timeout) starts here, as it does in training.
        try parallel?.startTraining()
        for batch in batches {
            var rng = RandomGenerator(seed: UInt64(1000 + batch))
            let low = Swift.max(minimum, Int(0.4 * Double(frames)))
            var lengths = (0..<batch).map { _ in low + rng.nextInt(below: frames - low + 1) }
            lengths[0] = frames
            lengths.sort(by: >)
            var mel = try Tensor.normal([batch, frames, 40], using: &rng).scalars
            for (i, length) in lengths.enumerated() {
                for t in length..<frames { for f in 0..<40 { mel[(i * frames + t) * 40 + f] = 0 } }
            }
            var captions = try Tensor(shape: [batch, frames, 40], scalars: mel)
            var features = try Tensor.normal([batch, 2048], using: &rng)
            var classes = (0..<batch).map { _ in rng.nextInt(below: 150) }
            // This rank's rows of the global batch (padded to the global longest, as the trainer pads them).
            let rows = parallel?.shard(of: batch) ?? 0..<batch
            if parallel != nil {
                captions = try captions.slice(axis: 0, start: rows.lowerBound, end: rows.upperBound)
                features = try features.slice(axis: 0, start: rows.lowerBound, end: rows.upperBound)
                (classes, lengths) = (Array(classes[rows]), Array(lengths[rows]))
            }
            var lastLoss: Float = 0
            func iteration() throws {
                lastLoss = try step.run(captions: captions, lengths: lengths, imageInputs: features, classIDs: classes, labels: classes).total
            }
            try iteration()
            parallel?.resetCounters()
            let times = try Timing.sortedMilliseconds(runs: iterations, iteration)
            let median = times[times.count / 2]
            var row = benchmarkContext()
            row.merge(["bench": "sen_step", "batch": batch, "padded_frames": frames,
                       "mean_length": Double(lengths.reduce(0, +)) / Double(lengths.count), "ms_median": median, "ms_min": times[0],
                       "iters": iterations, "utterances_per_s": Double(batch) / (median / 1000), "loss": Double(lastLoss)]) { $1 }
            if let parallel {
                let n = Double(times.count)
                row.merge(["ranks": parallel.count, "rank_batch": rows.count, "sync_bn": parallel.synchroniseBatchNorm,
                           "comm_ms_per_iter": parallel.communicationSeconds * 1000 / n, "allreduces_per_iter": Double(parallel.reductions) / n,
                           "allreduce_mb_per_iter": Double(parallel.bytesReduced) / 1_048_576 / n]) { $1 }
            }
            if parallel?.isRoot ?? true { emit(row) }
        }
    }
}
