import S2IGANAutograd
import S2IGANNN
import S2IGANTensor
import Testing

/// A NaN in a recurrent layer's input reaches its output, as in PyTorch: the vectorised gate functions once clamped
/// a NaN to the exponential's range and turned it into ordinary numbers, so a corrupt caption trained on silently.
@Test(arguments: [16, 5]) func aNaNInARecurrentInputReachesItsOutput(hidden: Int) throws {
    for cell in ["gru", "lstm"] {
        var rng = RandomGenerator(seed: 7)
        var x = try Tensor.normal([2, 4, 3], using: &rng).scalars
        x[3 * 2 + 1] = .nan  // sequence 0, step 2
        let input = Variable(try Tensor(shape: [2, 4, 3], scalars: x))
        let output = cell == "gru" ? try GRU(inputSize: 3, hiddenSize: hidden)(input, lengths: [4, 4]).output.value
                                   : try LSTM(inputSize: 3, hiddenSize: hidden)(input, lengths: [4, 4]).output.value
        let rows = output.scalars
        // Sequence 0 is NaN from step 2 on, everywhere; sequence 1 and sequence 0's earlier steps are untouched.
        let (poisoned, clean) = (Array(rows[(2 * hidden)..<(4 * hidden)]), Array(rows[0..<(2 * hidden)] + rows[(4 * hidden)...]))
        #expect(poisoned.allSatisfy { $0.isNaN }, "\(cell) \(hidden)")
        #expect(clean.allSatisfy { $0.isFinite }, "\(cell) \(hidden)")
    }
}
