import ArgumentParser
import S2IGANAutograd
import Foundation
import S2IGANTensor
import S2IGANVision

/// Inception-v3 evaluation as FID / IS use it (the shapes of shared/bench/06_inception_eval.py).
struct InceptionBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inception",
        abstract: "Inception-v3 forward for FID / IS: 256 px images in [−1, 1] → ImageNet normalisation → bilinear 299 → trunk → pooled features and softmax over the 1000 logits (batch 50, random weights)."
    )

    @OptionGroup var options: BenchOptions

    @Option(help: "Images per batch.")
    var batch = 50

    @Option(help: "Also time the backward pass to the input (as the relation supervisor needs) with this batch size; 0 skips it.")
    var backwardBatch = 0

    func run() throws {
        options.apply()
        var rng = RandomGenerator(seed: 0)
        let model = try InceptionV3(variant: .torchvision, auxiliaryClassifier: false).frozenForInference()
        let images = try Tensor.uniform([batch, 3, 256, 256], low: -1, high: 1, using: &rng)
        let mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
        let evaluate = {
            try GradientMode.withoutGradient {
                let x = try (images * 0.5 + 0.5).normalizedChannels(mean: mean, std: std)
                let pooled = try model.pooledFeatures(Variable(x))
                _ = try model.logits(pooled: pooled).value.softmax(axis: 1)
            }
        }
        var timing = options.timing
        timing.minimumRuns = 3
        let t = try timing.median(evaluate)
        var row = options.context
        row.merge(["bench": "inception_fid_is", "pass": "forward", "batch": batch, "ms_median": t.milliseconds, "iters": t.runs,
                   "img_per_s": Double(batch) / (t.milliseconds / 1000), "ms_per_img": t.milliseconds / Double(batch),
                   "gflops_est": Double(batch) * 11.43 / (t.milliseconds / 1000)]) { $1 }
        printJSON(row)
        guard backwardBatch > 0 else { return }
        let input = try Tensor.uniform([backwardBatch, 3, 256, 256], low: -1, high: 1, using: &rng)
        let probe = try Tensor.normal([backwardBatch, 2048], using: &rng)
        let tb = try timing.median {
            let x = Variable(input, requiresGrad: true)
            let loss = try (model.pooledFeatures(x) * Variable(probe)).sum()
            try loss.backward()
        }
        var rowB = options.context
        rowB.merge(["bench": "inception_fid_is", "pass": "forward_backward_input", "batch": backwardBatch, "ms_median": tb.milliseconds,
                    "iters": tb.runs, "img_per_s": Double(backwardBatch) / (tb.milliseconds / 1000)]) { $1 }
        printJSON(rowB)
    }
}
