import S2IGANTensor

/// One direction of a recurrent layer: its weights, optional initial states, and whether it runs in reverse.
public struct RecurrentDirection {
    public var inputWeight: Variable, hiddenWeight: Variable
    public var inputBias: Variable?, hiddenBias: Variable?
    public var initialHidden: Variable?, initialCell: Variable?
    public var reverse: Bool

    public init(inputWeight: Variable, hiddenWeight: Variable, inputBias: Variable?, hiddenBias: Variable?,
                initialHidden: Variable? = nil, initialCell: Variable? = nil, reverse: Bool = false) {
        (self.inputWeight, self.hiddenWeight, self.inputBias, self.hiddenBias) = (inputWeight, hiddenWeight, inputBias, hiddenBias)
        (self.initialHidden, self.initialCell, self.reverse) = (initialHidden, initialCell, reverse)
    }

    /// The variables this direction depends on besides the input, in a fixed order.
    var variables: [Variable?] { [inputWeight, hiddenWeight, inputBias, hiddenBias, initialHidden, initialCell] }
}

/// Runs `body(index)` for every index, the indices spread over the workers; errors are collected and
/// the first one rethrown.
private func concurrently<R>(_ count: Int, _ body: (Int) throws -> R) throws -> [R] {
    var results = [Result<R, Error>?](repeating: nil, count: count)
    results.withUnsafeMutableBufferPointer { slots in
        Parallel.forRanges(count, cost: 1 << 20) { range in
            for i in range { slots[i] = Result { try body(i) } }
        }
    }
    return try results.map { try $0!.get() }
}

extension Variable {
    /// One GRU or LSTM layer over a padded batch `[B, T, I]` with per-sequence lengths (packed-sequence
    /// semantics; see `Tensor.recurrentLayer`), for one or two directions, which run concurrently. Returns,
    /// per direction, the outputs `[B, T, H]` and the final hidden (and LSTM cell) states `[B, H]`;
    /// back-propagation through time is one fused backward per direction, also concurrent.
    public static func recurrentLayer(_ cell: RecurrentCell, input: Variable, lengths: [Int], directions: [RecurrentDirection])
        throws -> [(output: Variable, finalHidden: Variable, finalCell: Variable?)] {
        let x = input.value
        let forward = try concurrently(directions.count) { d in
            let spec = directions[d]
            let weights = RecurrentWeights(inputWeight: spec.inputWeight.value, hiddenWeight: spec.hiddenWeight.value,
                                           inputBias: spec.inputBias?.value, hiddenBias: spec.hiddenBias?.value)
            return try Tensor.recurrentLayer(cell, input: x, lengths: lengths, weights: weights, initialHidden: spec.initialHidden?.value,
                                             initialCell: spec.initialCell?.value, reverse: spec.reverse)
        }
        // All results travel as one flat value, so that one node carries the fused backward; slices of it
        // route each result's gradient back.
        let parts = forward.flatMap { [$0.output, $0.finalHidden] + ($0.finalCell.map { [$0] } ?? []) }
        let sizes = parts.map(\.count)
        let packed = try Tensor.concatenate(parts.map { try $0.reshaped([-1]) }, axis: 0)
        let present = directions.map { $0.variables.map { $0 != nil } }
        let inputs = [input] + directions.flatMap { $0.variables.compactMap { $0 } }
        let perDirection = cell == .lstm ? 3 : 2
        let (b, t) = (x.shape[0], x.shape[1])
        let traces = forward.map(\.trace)
        let node = record(cell == .gru ? "gru" : "lstm", packed, inputs) { g, needs in
            let pieces = try g.split(sizes: sizes, axis: 0)
            let grads = try concurrently(traces.count) { d -> RecurrentGradients in
                let h = traces[d].hidden
                let base = d * perDirection
                return try Tensor.recurrentLayerBackward(
                    traces[d], gradOutput: pieces[base].reshaped([b, t, h]), gradFinalHidden: pieces[base + 1].reshaped([b, h]),
                    gradFinalCell: cell == .lstm ? try pieces[base + 2].reshaped([b, h]) : nil)
            }
            var inputGradient = grads[0].input
            for extra in grads.dropFirst() { inputGradient = try inputGradient + extra.input }
            var result: [Tensor?] = [inputGradient]
            for (d, gradient) in grads.enumerated() {
                let candidates: [Tensor?] = [gradient.inputWeight, gradient.hiddenWeight, gradient.inputBias, gradient.hiddenBias,
                                             gradient.initialHidden, gradient.initialCell]
                for (isPresent, value) in zip(present[d], candidates) where isPresent { result.append(value) }
            }
            return zip(result, needs).map { $1 ? $0 : nil }
        }
        var start = 0
        let views = try zip(parts, sizes).map { part, size in
            defer { start += size }
            return try node.slice(axis: 0, start: start, end: start + size).reshaped(part.shape)
        }
        return (0..<directions.count).map { d in
            let base = d * perDirection
            return (views[base], views[base + 1], cell == .lstm ? views[base + 2] : nil)
        }
    }
}
