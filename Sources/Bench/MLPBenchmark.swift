import ArgumentParser
import Foundation
import S2IGANAutograd
import S2IGANNN
import S2IGANTensor

/// Forward + backward + Adam step of a multi-layer perceptron the size of the SEN's image-side heads
/// (2048→1024→1024→150, ReLU, cross-entropy), on the tape and, to measure the tape's overhead, the same
/// arithmetic written directly on Tensor kernels (forward, hand-written backward, the same Adam update).
public struct MLPBenchmark {
    public static let layerSizes = [2048, 1024, 1024, 150]

    public var batch: Int
    public var timing: Timing

    public init(batch: Int = 128, timing: Timing = Timing()) throws {
        guard batch > 0 else { throw ValidationError("--batch must be positive, got \(batch)") }
        (self.batch, self.timing) = (batch, timing)
    }

    /// One record: the taped step's median and the direct one's.
    public func run(_ emit: (BenchmarkRecord) -> Void) throws {
        let sizes = Self.layerSizes
        let layers = try Initialization.seeded(0) { try zip(sizes, sizes.dropFirst()).map { try Linear($0, $1) } }
        let parameters = layers.flatMap { $0.parameters() }
        let adam = try Adam(parameters: parameters, learningRate: 1e-3)
        var rng = RandomGenerator(seed: 1)
        let x = try Tensor.normal([batch, sizes[0]], using: &rng)
        let targets = (0..<batch).map { _ in rng.nextInt(below: sizes.last!) }
        let flops = 3.0 * 2 * Double(batch) * zip(sizes, sizes.dropFirst()).reduce(0) { $0 + Double($1.0 * $1.1) }

        let taped = try timing.median {
            adam.zeroGrad()
            var h = Variable(x)
            for (i, layer) in layers.enumerated() {
                h = try layer(h)
                if i < layers.count - 1 { h = h.relu() }
            }
            try Variable.crossEntropy(h, targets: targets).backward()
            try adam.step()
        }
        let batch = self.batch
        let direct = try timing.median {
            var activations = [x]
            for (i, layer) in layers.enumerated() {
                var y = try Tensor.matmul(activations[i], layer.weight.value, transposeB: true)
                if let bias = layer.bias { y = try y + bias.value }
                if i < layers.count - 1 { y = y.relu() }
                activations.append(y)
            }
            let logits = activations[layers.count]
            let probabilities = try logits.softmax(axis: 1)
            var oneHot = try Tensor.zeros(logits.shape)
            oneHot.withUnsafeMutableBufferPointer { p in
                for (row, t) in targets.enumerated() { p[row * logits.shape[1] + t] = 1 }
            }
            var g = try (probabilities - oneHot) * (1 / Float(batch))
            for i in stride(from: layers.count - 1, through: 0, by: -1) {
                if i < layers.count - 1 { g = try g * activations[i + 1].greater(Tensor(0)) }
                layers[i].weight.grad = try Tensor.matmul(g, activations[i], transposeA: true)
                layers[i].bias?.grad = try g.sum(axes: [0])
                if i > 0 { g = try Tensor.matmul(g, layers[i].weight.value) }
            }
            try adam.step()
        }
        var row = benchmarkContext()
        row.merge(["bench": "mlp", "batch": batch, "layers": sizes, "ms_median": taped.milliseconds, "iters": taped.runs,
                   "direct_ms_median": direct.milliseconds,
                   "tape_overhead_percent": 100 * (taped.milliseconds - direct.milliseconds) / taped.milliseconds,
                   "gflops_median": flops / (taped.milliseconds * 1e6)]) { $1 }
        emit(row)
    }
}
