import ArgumentParser
import Foundation
import S2IGANAutograd
import S2IGANNN
import S2IGANTensor

/// The SEN speech encoder's recurrent part: a GRU (input 128, hidden 512, 2 layers, bidirectional) over padded
/// batches of 175 steps with lengths uniform in 75–175, forward and forward+backward.
public struct GRUBenchmark {
    public static let paddedSteps = 175

    public var batches: [Int]
    public var timing: Timing

    public init(batches: [Int] = [32, 128], timing: Timing = Timing()) throws {
        guard !batches.isEmpty, batches.allSatisfy({ $0 > 0 }) else { throw ValidationError("--batches: give positive batch sizes") }
        (self.batches, self.timing) = (batches, timing)
    }

    /// Two records per batch size: "forward" (no tape) and "forward_backward".
    public func run(_ emit: (BenchmarkRecord) -> Void) throws {
        let steps = Self.paddedSteps
        let gru = try Initialization.seeded(0) { try GRU(inputSize: 128, hiddenSize: 512, layers: 2, bidirectional: true) }
        for batch in batches {
            var rng = RandomGenerator(seed: 1)
            // Lengths uniform in 75...175 with one at 175, the padded length.
            var lengths = (0..<batch).map { _ in 75 + rng.nextInt(below: 101) }
            lengths[0] = steps
            let x = Variable(try Tensor.normal([batch, steps, 128], using: &rng))
            let g = Variable(try Tensor.normal([batch, steps, 1024], using: &rng))
            let forward = try timing.median {
                _ = try GradientMode.withoutGradient { try gru(x, lengths: lengths) }
            }
            let training = try timing.median {
                gru.zeroGrad()
                try (gru(x, lengths: lengths).output * g).sum().backward()
            }
            for (pass, t) in [("forward", forward), ("forward_backward", training)] {
                var row = benchmarkContext()
                row.merge(["bench": "gru", "pass": pass, "batch": batch, "padded_steps": steps,
                           "mean_length": Double(lengths.reduce(0, +)) / Double(batch),
                           "ms_median": t.milliseconds, "iters": t.runs]) { $1 }
                emit(row)
            }
        }
    }
}
