import ArgumentParser
import Foundation
import S2IGANAutograd
import S2IGANNN
import S2IGANTensor

/// Forward + backward + Adam step of a discriminator-shaped convolution stack: the D_NET64 trunk of S2IGAN
/// (4×4 stride-2 Conv2d, BatchNorm2d, LeakyReLU 0.2) with its 4×4 stride-4 logit head, BCE loss.
public struct ConvNetBenchmark {
    public var batch: Int
    public var size: Int
    public var timing: Timing

    /// The stack halves the image four times and its head takes 4 × 4, so `size` must be a multiple of 64.
    public init(batch: Int = 24, size: Int = 64, timing: Timing = Timing()) throws {
        guard batch > 0 else { throw ValidationError("--batch must be positive, got \(batch)") }
        guard size > 0, size % 64 == 0 else { throw ValidationError("--size must be a positive multiple of 64, got \(size)") }
        (self.batch, self.size, self.timing) = (batch, size, timing)
    }

    /// One record, with the medians of the forward, backward and optimiser phases.
    public func run(_ emit: (BenchmarkRecord) -> Void) throws {
        let model = try Initialization.seeded(0) {
            Sequential(
                try Conv2d(3, 64, kernelSize: 4, stride: 2, padding: 1, bias: false), LeakyReLU(negativeSlope: 0.2),
                try Conv2d(64, 128, kernelSize: 4, stride: 2, padding: 1, bias: false), try BatchNorm2d(128), LeakyReLU(negativeSlope: 0.2),
                try Conv2d(128, 256, kernelSize: 4, stride: 2, padding: 1, bias: false), try BatchNorm2d(256), LeakyReLU(negativeSlope: 0.2),
                try Conv2d(256, 512, kernelSize: 4, stride: 2, padding: 1, bias: false), try BatchNorm2d(512), LeakyReLU(negativeSlope: 0.2),
                try Conv2d(512, 1, kernelSize: 4, stride: 4), Sigmoid(), Flatten())
        }
        let adam = try Adam(parameters: model.parameters(), learningRate: 2e-4, betas: (0.5, 0.999))
        var rng = RandomGenerator(seed: 1)
        let x = try Tensor.uniform([batch, 3, size, size], low: -1, high: 1, using: &rng)
        let side = size / 64
        let labels = try Tensor.ones([batch, side * side])
        var phases = [[Double]](repeating: [], count: 3)
        let t = try timing.median {
            let start = DispatchTime.now().uptimeNanoseconds
            adam.zeroGrad()
            let loss = try Variable.binaryCrossEntropy(model(Variable(x)), targets: labels)
            let forward = DispatchTime.now().uptimeNanoseconds
            try loss.backward()
            let backward = DispatchTime.now().uptimeNanoseconds
            try adam.step()
            let end = DispatchTime.now().uptimeNanoseconds
            for (i, (a, b)) in [(start, forward), (forward, backward), (backward, end)].enumerated() {
                phases[i].append(Double(b - a) / 1e6)
            }
        }
        let medians = phases.map { $0.sorted()[$0.count / 2] }
        var row = benchmarkContext()
        row.merge(["bench": "convnet", "batch": batch, "size": size, "ms_median": t.milliseconds, "iters": t.runs,
                   "forward_ms_median": medians[0], "backward_ms_median": medians[1], "optimizer_ms_median": medians[2],
                   "images_per_second": Double(batch) / (t.milliseconds / 1000)]) { $1 }
        emit(row)
    }
}
