import ArgumentParser
import S2IGANAutograd
import Foundation
import S2IGANNN
import S2IGANTensor

/// A multi-layer perceptron the size of the SEN's image-side heads.
struct MLPBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mlp",
        abstract: "Forward + backward + Adam step of an MLP (2048→1024→1024→150, ReLU, cross-entropy), batch 128; also the same step written directly on Tensor kernels, to measure the tape's overhead."
    )

    @OptionGroup var options: BenchOptions
    @Option(help: "Batch size.") var batch = 128

    func run() throws {
        options.apply()
        Initialization.seed(0)
        let sizes = [2048, 1024, 1024, 150]
        let layers = try zip(sizes, sizes.dropFirst()).map { try Linear($0, $1) }
        let parameters = layers.flatMap { $0.parameters() }
        let adam = try Adam(parameters: parameters, learningRate: 1e-3)
        var rng = RandomGenerator(seed: 1)
        let x = try Tensor.normal([batch, sizes[0]], using: &rng)
        let targets = (0..<batch).map { _ in rng.nextInt(below: sizes.last!) }
        let flops = 3.0 * 2 * Double(batch) * zip(sizes, sizes.dropFirst()).reduce(0) { $0 + Double($1.0 * $1.1) }

        let taped = try options.timing.median {
            adam.zeroGrad()
            var h = Variable(x)
            for (i, layer) in layers.enumerated() {
                h = try layer(h)
                if i < layers.count - 1 { h = h.relu() }
            }
            try Variable.crossEntropy(h, targets: targets).backward()
            try adam.step()
        }
        // The same arithmetic without the tape: forward, hand-written backward, the same Adam update.
        let direct = try options.timing.median {
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
        var row = options.context
        row.merge(["bench": "mlp", "batch": batch, "layers": sizes, "ms_median": taped.milliseconds, "iters": taped.runs,
                   "direct_ms_median": direct.milliseconds,
                   "tape_overhead_percent": 100 * (taped.milliseconds - direct.milliseconds) / taped.milliseconds,
                   "gflops_median": flops / (taped.milliseconds * 1e6)]) { $1 }
        printJSON(row)
    }
}

/// A discriminator-shaped convolution stack: the D_NET64 trunk of S2IGAN with its logit head.
struct ConvNetBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convnet",
        abstract: "Forward + backward + Adam step of a D_NET64-shaped stack (4×4 stride-2 Conv2d, BatchNorm2d, LeakyReLU 0.2; 4×4 stride-4 logit), batch 24 at 64 px, BCE loss."
    )

    @OptionGroup var options: BenchOptions
    @Option(help: "Batch size.") var batch = 24
    @Option(help: "Image size.") var size = 64

    func run() throws {
        options.apply()
        Initialization.seed(0)
        let model = Sequential(
            try Conv2d(3, 64, kernelSize: 4, stride: 2, padding: 1, bias: false), LeakyReLU(negativeSlope: 0.2),
            try Conv2d(64, 128, kernelSize: 4, stride: 2, padding: 1, bias: false), try BatchNorm2d(128), LeakyReLU(negativeSlope: 0.2),
            try Conv2d(128, 256, kernelSize: 4, stride: 2, padding: 1, bias: false), try BatchNorm2d(256), LeakyReLU(negativeSlope: 0.2),
            try Conv2d(256, 512, kernelSize: 4, stride: 2, padding: 1, bias: false), try BatchNorm2d(512), LeakyReLU(negativeSlope: 0.2),
            try Conv2d(512, 1, kernelSize: 4, stride: 4), Sigmoid(), Flatten())
        let adam = try Adam(parameters: model.parameters(), learningRate: 2e-4, betas: (0.5, 0.999))
        var rng = RandomGenerator(seed: 1)
        let x = try Tensor.uniform([batch, 3, size, size], low: -1, high: 1, using: &rng)
        let labels = try Tensor.ones([batch, 1])
        var phases = [[Double]](repeating: [], count: 3)
        let t = try options.timing.median {
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
        var row = options.context
        row.merge(["bench": "convnet", "batch": batch, "size": size, "ms_median": t.milliseconds, "iters": t.runs,
                   "forward_ms_median": medians[0], "backward_ms_median": medians[1], "optimizer_ms_median": medians[2],
                   "images_per_second": Double(batch) / (t.milliseconds / 1000)]) { $1 }
        printJSON(row)
    }
}
