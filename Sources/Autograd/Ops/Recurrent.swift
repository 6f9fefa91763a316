import Tensor

extension Variable {
    /// One direction of one GRU or LSTM layer over a padded batch `[B, T, I]` with per-sequence
    /// lengths (packed-sequence semantics; see `Tensor.recurrentLayer`). Returns the outputs `[B, T, H]`
    /// and the final hidden (and LSTM cell) states `[B, H]`; back-propagation through time is one fused
    /// backward (`Tensor.recurrentLayerBackward`).
    public static func recurrentLayer(_ cell: RecurrentCell, input: Variable, lengths: [Int], inputWeight: Variable,
                                      hiddenWeight: Variable, inputBias: Variable?, hiddenBias: Variable?,
                                      initialHidden: Variable? = nil, initialCell: Variable? = nil, reverse: Bool = false)
        throws -> (output: Variable, finalHidden: Variable, finalCell: Variable?) {
        let weights = RecurrentWeights(inputWeight: inputWeight.value, hiddenWeight: hiddenWeight.value,
                                       inputBias: inputBias?.value, hiddenBias: hiddenBias?.value)
        let (output, hidden, cellState, trace) = try Tensor.recurrentLayer(
            cell, input: input.value, lengths: lengths, weights: weights, initialHidden: initialHidden?.value,
            initialCell: initialCell?.value, reverse: reverse)
        // The results travel as one flat value, so that one node carries the fused backward; slices of it
        // route each result's gradient back.
        let parts = [output, hidden] + (cellState.map { [$0] } ?? [])
        let packed = try Tensor.concatenate(parts.map { try $0.reshaped([-1]) }, axis: 0)
        let sizes = parts.map(\.count)
        let optional: [Variable?] = [inputBias, hiddenBias, initialHidden, initialCell]
        let inputs = [input, inputWeight, hiddenWeight] + optional.compactMap { $0 }
        let present = optional.map { $0 != nil }
        let (b, t, h) = (output.shape[0], output.shape[1], output.shape[2])
        let node = record(cell == .gru ? "gru" : "lstm", packed, inputs) { g, needs in
            let pieces = try g.split(sizes: sizes, axis: 0)
            let grads = try Tensor.recurrentLayerBackward(
                trace, gradOutput: pieces[0].reshaped([b, t, h]), gradFinalHidden: pieces[1].reshaped([b, h]),
                gradFinalCell: pieces.count > 2 ? try pieces[2].reshaped([b, h]) : nil)
            let candidates: [Tensor?] = [grads.inputBias, grads.hiddenBias, grads.initialHidden, grads.initialCell]
            var result: [Tensor?] = [grads.input, grads.inputWeight, grads.hiddenWeight]
            for (isPresent, gradient) in zip(present, candidates) where isPresent { result.append(gradient) }
            return zip(result, needs).map { $1 ? $0 : nil }
        }
        var start = 0
        let results = try zip(parts, sizes).map { part, size in
            defer { start += size }
            return try node.slice(axis: 0, start: start, end: start + size).reshaped(part.shape)
        }
        return (results[0], results[1], results.count > 2 ? results[2] : nil)
    }
}
