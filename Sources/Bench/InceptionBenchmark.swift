import ArgumentParser
import Foundation
import S2IGANAutograd
import S2IGANTensor
import S2IGANVision

/// Inception-v3 evaluation as FID / IS use it, the shapes of `shared/bench/06_inception_eval.py`: 256 px images in
/// [−1, 1] → ImageNet normalisation (as that script does) → ``InceptionV3/pooledFeatures(_:)`` (bilinear 299, trunk,
/// mean) → ``InceptionV3/logits(pooled:bias:)`` → softmax, with random weights.
public struct InceptionBenchmark {
    public var batch: Int
    /// With a positive value, also the backward pass to the input (as the relation supervisor needs) at this batch size.
    public var backwardBatch: Int
    public var timing: Timing

    /// `timing` runs at least 3 times (a forward pass of batch 50 takes seconds).
    public init(batch: Int = 50, backwardBatch: Int = 0, timing: Timing = Timing()) throws {
        guard batch > 0 else { throw ValidationError("--batch must be positive, got \(batch)") }
        guard backwardBatch >= 0 else { throw ValidationError("--backward-batch must not be negative, got \(backwardBatch)") }
        (self.batch, self.backwardBatch, self.timing) = (batch, backwardBatch, timing)
        self.timing.minimumRuns = 3
    }

    /// The "forward" record, then (with a backward batch) the "forward_backward_input" record.
    public func run(_ emit: (BenchmarkRecord) -> Void) throws {
        var rng = RandomGenerator(seed: 0)
        let model = try InceptionV3(variant: .torchvision, auxiliaryClassifier: false).frozenForInference()
        let images = try Tensor.uniform([batch, 3, 256, 256], low: -1, high: 1, using: &rng)
        let mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
        let t = try timing.median {
            try GradientMode.withoutGradient {
                let x = try (images * 0.5 + 0.5).normalizedChannels(mean: mean, std: std)
                let pooled = try model.pooledFeatures(Variable(x))
                _ = try model.logits(pooled: pooled).value.softmax(axis: 1)
            }
        }
        var row = benchmarkContext()
        row.merge(["bench": "inception_fid_is", "pass": "forward", "batch": batch, "ms_median": t.milliseconds, "iters": t.runs,
                   "img_per_s": Double(batch) / (t.milliseconds / 1000), "ms_per_img": t.milliseconds / Double(batch),
                   "gflops_est": Double(batch) * 11.43 / (t.milliseconds / 1000)]) { $1 }
        emit(row)
        guard backwardBatch > 0 else { return }
        let input = try Tensor.uniform([backwardBatch, 3, 256, 256], low: -1, high: 1, using: &rng)
        let probe = try Tensor.normal([backwardBatch, 2048], using: &rng)
        let tb = try timing.median {
            let x = Variable(input, requiresGrad: true)
            let loss = try (model.pooledFeatures(x) * Variable(probe)).sum()
            try loss.backward()
        }
        var rowB = benchmarkContext()
        rowB.merge(["bench": "inception_fid_is", "pass": "forward_backward_input", "batch": backwardBatch, "ms_median": tb.milliseconds,
                    "iters": tb.runs, "img_per_s": Double(backwardBatch) / (tb.milliseconds / 1000)]) { $1 }
        emit(rowB)
    }
}
