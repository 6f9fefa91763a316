import S2IGANAutograd
import S2IGANTensor

/// A multi-layer, optionally bidirectional GRU or LSTM over batch-first input `[B, T, I]`, with
/// PyTorch's equations, gate order, parameter names (`weight_ih_l0`, `weight_hh_l0_reverse`, …), shapes
/// and default initialisation (uniform in ±1/√hidden), and packed-sequence semantics for variable
/// lengths given beside the padded batch (sorted or not).
public class RecurrentNetwork: Module {
    public let cell: RecurrentCell
    public let inputSize: Int, hiddenSize: Int, layers: Int
    public let bidirectional: Bool
    /// Dropout on the outputs of every layer but the last, in training mode.
    public let dropout: Float
    /// `[layer][direction]`: input weight, hidden weight, input bias, hidden bias.
    let weights: [[(Variable, Variable, Variable?, Variable?)]]

    init(cell: RecurrentCell, inputSize: Int, hiddenSize: Int, layers: Int, bias: Bool, bidirectional: Bool, dropout: Float) throws {
        guard inputSize > 0, hiddenSize > 0, layers > 0, dropout >= 0, dropout < 1 else {
            throw NNError.invalidConfiguration("\(cell): invalid input size \(inputSize), hidden size \(hiddenSize), layers \(layers) or dropout \(dropout)")
        }
        let bound = 1 / Float(hiddenSize).squareRoot(), g = cell.gates * hiddenSize
        let directions = bidirectional ? 2 : 1
        weights = try (0..<layers).map { layer in
            try (0..<directions).map { _ in
                let i = layer == 0 ? inputSize : hiddenSize * directions
                return (.parameter(try Initialization.uniform([g, i], bound: bound)),
                        .parameter(try Initialization.uniform([g, hiddenSize], bound: bound)),
                        bias ? .parameter(try Initialization.uniform([g], bound: bound)) : nil,
                        bias ? .parameter(try Initialization.uniform([g], bound: bound)) : nil)
            }
        }
        (self.cell, self.inputSize, self.hiddenSize, self.layers, self.bidirectional, self.dropout) =
            (cell, inputSize, hiddenSize, layers, bidirectional, dropout)
        super.init()
    }

    var directions: Int { bidirectional ? 2 : 1 }

    /// PyTorch's names, in PyTorch's order.
    override public var namedOwnParameters: [(String, Variable)] {
        var result: [(String, Variable)] = []
        for (layer, perDirection) in weights.enumerated() {
            for (direction, w) in perDirection.enumerated() {
                let suffix = "_l\(layer)" + (direction == 1 ? "_reverse" : "")
                result.append(("weight_ih" + suffix, w.0))
                result.append(("weight_hh" + suffix, w.1))
                if let b = w.2 { result.append(("bias_ih" + suffix, b)) }
                if let b = w.3 { result.append(("bias_hh" + suffix, b)) }
            }
        }
        return result
    }

    override public var namedChildren: [(String, Module)] { [] }

    /// Runs the network. `lengths` (default: every sequence fills the time axis) gives each sequence's
    /// length; `initialHidden` / `initialCell` are `[layers · directions, B, H]` (default zeros).
    /// - Returns: outputs `[B, T, directions · H]` (zero past each length), final hidden states
    ///   `[layers · directions, B, H]` (and final cell states for LSTM).
    public func run(_ input: Variable, lengths: [Int]? = nil, initialHidden: Variable? = nil, initialCell: Variable? = nil)
        throws -> (output: Variable, finalHidden: Variable, finalCell: Variable?) {
        guard input.rank == 3, input.shape[2] == inputSize else {
            throw NNError.shapeMismatch("\(cell): input must be [batch, time, \(inputSize)], got \(input.shape)")
        }
        let (b, t) = (input.shape[0], input.shape[1])
        let lengths = lengths ?? Array(repeating: t, count: b)
        let stateShape = [layers * directions, b, hiddenSize]
        for (name, state) in [("initial hidden", initialHidden), ("initial cell", initialCell)] {
            if let state, state.shape != stateShape {
                throw NNError.shapeMismatch("\(cell): \(name) state \(state.shape) must be \(stateShape)")
            }
        }
        if initialCell != nil && cell == .gru { throw NNError.invalidInput("GRU: a GRU has no cell state") }
        var x = input
        var finalHidden: [Variable] = [], finalCell: [Variable] = []
        for layer in 0..<layers {
            let specs = try (0..<directions).map { direction -> RecurrentDirection in
                let index = layer * directions + direction
                let w = weights[layer][direction]
                return RecurrentDirection(
                    inputWeight: w.0, hiddenWeight: w.1, inputBias: w.2, hiddenBias: w.3,
                    initialHidden: try initialHidden.map { try $0.slice(axis: 0, start: index, end: index + 1).squeezed(axis: 0) },
                    initialCell: try initialCell.map { try $0.slice(axis: 0, start: index, end: index + 1).squeezed(axis: 0) },
                    reverse: direction == 1)
            }
            let results = try Variable.recurrentLayer(cell, input: x, lengths: lengths, directions: specs)
            let outputs = results.map(\.output)
            finalHidden += results.map(\.finalHidden)
            finalCell += results.compactMap(\.finalCell)
            x = outputs.count == 1 ? outputs[0] : try Variable.concatenate(outputs, axis: 2)
            if layer < layers - 1 && dropout > 0 && isTraining {
                let keep = 1 - dropout
                let mask = try Initialization.withGenerator { rng in try Tensor.bernoulli(x.shape, probability: keep, using: &rng) }
                x = try x * Variable(mask * (1 / keep))
            }
        }
        return (x, try Variable.stack(finalHidden, axis: 0), finalCell.isEmpty ? nil : try Variable.stack(finalCell, axis: 0))
    }
}

/// `torch.nn.GRU` with `batch_first=True`.
public final class GRU: RecurrentNetwork {
    public init(inputSize: Int, hiddenSize: Int, layers: Int = 1, bias: Bool = true, bidirectional: Bool = false,
                dropout: Float = 0) throws {
        try super.init(cell: .gru, inputSize: inputSize, hiddenSize: hiddenSize, layers: layers, bias: bias,
                       bidirectional: bidirectional, dropout: dropout)
    }

    /// Outputs `[B, T, directions · H]` and final states `[layers · directions, B, H]`.
    public func callAsFunction(_ input: Variable, lengths: [Int]? = nil, initialState: Variable? = nil) throws -> (output: Variable, finalState: Variable) {
        let result = try run(input, lengths: lengths, initialHidden: initialState)
        return (result.output, result.finalHidden)
    }
}

/// `torch.nn.LSTM` with `batch_first=True`.
public final class LSTM: RecurrentNetwork {
    public init(inputSize: Int, hiddenSize: Int, layers: Int = 1, bias: Bool = true, bidirectional: Bool = false,
                dropout: Float = 0) throws {
        try super.init(cell: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, layers: layers, bias: bias,
                       bidirectional: bidirectional, dropout: dropout)
    }

    /// Outputs `[B, T, directions · H]` and final hidden and cell states `[layers · directions, B, H]`.
    public func callAsFunction(_ input: Variable, lengths: [Int]? = nil, initialState: (hidden: Variable, cell: Variable)? = nil)
        throws -> (output: Variable, finalHidden: Variable, finalCell: Variable) {
        let result = try run(input, lengths: lengths, initialHidden: initialState?.hidden, initialCell: initialState?.cell)
        guard let cell = result.finalCell else { throw NNError.invalidInput("LSTM: no cell state was produced") }
        return (result.output, result.finalHidden, cell)
    }
}
