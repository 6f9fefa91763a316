import ArgumentParser
import S2IGANAutograd
import Foundation
import S2IGANNN
import S2IGANTensor

/// The SEN speech encoder's recurrent part.
struct GRUBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gru",
        abstract: "The SEN's GRU (input 128, hidden 512, 2 layers, bidirectional) over padded batches with lengths 75–175, forward and forward+backward."
    )

    @OptionGroup var options: BenchOptions
    @Option(help: "Comma-separated batch sizes.") var batches = "32,128"

    func run() throws {
        options.apply()
        let sizes = batches.split(separator: ",").compactMap { Int($0) }
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 }) else { throw ValidationError("--batches: give positive batch sizes") }
        Initialization.seed(0)
        let gru = try GRU(inputSize: 128, hiddenSize: 512, layers: 2, bidirectional: true)
        for batch in sizes {
            var rng = RandomGenerator(seed: 1)
            // Lengths uniform in 75...175 with one at 175, the padded length.
            var lengths = (0..<batch).map { _ in 75 + rng.nextInt(below: 101) }
            lengths[0] = 175
            let x = Variable(try Tensor.normal([batch, 175, 128], using: &rng))
            let g = Variable(try Tensor.normal([batch, 175, 1024], using: &rng))
            let forward = try options.timing.median {
                _ = try GradientMode.withoutGradient { try gru(x, lengths: lengths) }
            }
            let training = try options.timing.median {
                gru.zeroGrad()
                try (gru(x, lengths: lengths).output * g).sum().backward()
            }
            for (pass, t) in [("forward", forward), ("forward_backward", training)] {
                var row = options.context
                row.merge(["bench": "gru", "pass": pass, "batch": batch, "padded_steps": 175,
                           "mean_length": Double(lengths.reduce(0, +)) / Double(batch),
                           "ms_median": t.milliseconds, "iters": t.runs]) { $1 }
                printJSON(row)
            }
        }
    }
}
