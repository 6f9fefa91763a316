import Foundation

/// The recurrent cells of `torch.nn.GRU` and `torch.nn.LSTM`.
public enum RecurrentCell: Sendable, Equatable {
    /// Gates r, z, n: `n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))`, `h' = (1 − z) ⊙ n + z ⊙ h`.
    case gru
    /// Gates i, f, g, o: `c' = f ⊙ c + i ⊙ g`, `h' = o ⊙ tanh(c')`.
    case lstm

    /// Number of gate blocks in the weight matrices.
    public var gates: Int { self == .gru ? 3 : 4 }
}

/// The weights of one direction of one recurrent layer, PyTorch's shapes: `inputWeight` `[G·H, I]`,
/// `hiddenWeight` `[G·H, H]`, biases `[G·H]`, gate blocks in PyTorch's order.
public struct RecurrentWeights: Sendable {
    public var inputWeight: Tensor
    public var hiddenWeight: Tensor
    public var inputBias: Tensor?
    public var hiddenBias: Tensor?

    public init(inputWeight: Tensor, hiddenWeight: Tensor, inputBias: Tensor?, hiddenBias: Tensor?) {
        (self.inputWeight, self.hiddenWeight, self.inputBias, self.hiddenBias) = (inputWeight, hiddenWeight, inputBias, hiddenBias)
    }
}

/// What the forward pass of one recurrent layer direction keeps for its backward pass.
public final class RecurrentTrace: @unchecked Sendable {
    let cell: RecurrentCell
    let input: Tensor, weights: RecurrentWeights, lengths: [Int], reverse: Bool
    let batch: Int, steps: Int, hidden: Int
    /// Per processing step `[T, B, G·H]`: activated gates; GRU also keeps `W_hn h + b_hn` in `extra`.
    let gates: Tensor
    /// Per processing step `[T, B, H]`: the hidden state before the step; LSTM: the cell before it and tanh of the cell after it.
    let previousHidden: Tensor
    let previousCell: Tensor?
    let extra: Tensor

    init(cell: RecurrentCell, input: Tensor, weights: RecurrentWeights, lengths: [Int], reverse: Bool, batch: Int, steps: Int,
         hidden: Int, gates: Tensor, previousHidden: Tensor, previousCell: Tensor?, extra: Tensor) {
        (self.cell, self.input, self.weights, self.lengths, self.reverse) = (cell, input, weights, lengths, reverse)
        (self.batch, self.steps, self.hidden) = (batch, steps, hidden)
        (self.gates, self.previousHidden, self.previousCell, self.extra) = (gates, previousHidden, previousCell, extra)
    }

    /// Time positions in processing order.
    var order: [Int] { reverse ? Array((0..<steps).reversed()) : Array(0..<steps) }
}

/// Gradients of one recurrent layer direction.
public struct RecurrentGradients: Sendable {
    public var input: Tensor
    public var initialHidden: Tensor
    public var initialCell: Tensor?
    public var inputWeight: Tensor
    public var hiddenWeight: Tensor
    public var inputBias: Tensor?
    public var hiddenBias: Tensor?
}

@inline(__always) private func logistic(_ x: Float) -> Float {
    SigmoidOp.apply(x)
}

extension Tensor {
    /// One direction of one recurrent layer over a padded batch `[B, T, I]` (batch first) with the
    /// semantics of PyTorch's packed sequences: sequence `b` runs over its first `lengths[b]` steps only
    /// (the reverse direction starts at its own last step), outputs past its length are zero, and the
    /// final state is the one at its own end. The input projections of all steps are one GEMM; only the
    /// recurrent product runs per step.
    /// - Returns: the outputs `[B, T, H]`, the final hidden (and, for LSTM, cell) state `[B, H]`, and the
    ///   trace for ``recurrentLayerBackward(_:gradOutput:gradFinalHidden:gradFinalCell:)``.
    public static func recurrentLayer(_ cell: RecurrentCell, input: Tensor, lengths: [Int], weights: RecurrentWeights,
                                      initialHidden: Tensor? = nil, initialCell: Tensor? = nil, reverse: Bool = false)
        throws -> (output: Tensor, finalHidden: Tensor, finalCell: Tensor?, trace: RecurrentTrace) {
        guard input.rank == 3 else { throw TensorError.shapeMismatch("\(cell): input must be [batch, time, features], got \(input.shape)") }
        let (b, t, i) = (input.shape[0], input.shape[1], input.shape[2])
        let g = cell.gates
        let h = weights.hiddenWeight.shape.count == 2 ? weights.hiddenWeight.shape[1] : 0
        guard weights.inputWeight.shape == [g * h, i], weights.hiddenWeight.shape == [g * h, h], h > 0 else {
            throw TensorError.shapeMismatch("\(cell): weights \(weights.inputWeight.shape), \(weights.hiddenWeight.shape) do not fit input size \(i)")
        }
        for bias in [weights.inputBias, weights.hiddenBias].compactMap({ $0 }) where bias.shape != [g * h] {
            throw TensorError.shapeMismatch("\(cell): bias \(bias.shape) must be [\(g * h)]")
        }
        guard lengths.count == b else {
            throw TensorError.shapeMismatch("\(cell): \(lengths.count) lengths for a batch of \(b)")
        }
        for (k, n) in lengths.enumerated() where n < 1 || n > t {
            throw TensorError.invalidArgument("\(cell): length \(n) of sequence \(k) is outside 1...\(t), the padded time axis")
        }
        for (name, state) in [("initial hidden", initialHidden), ("initial cell", initialCell)] {
            if let state, state.shape != [b, h] { throw TensorError.shapeMismatch("\(cell): \(name) state \(state.shape) must be [\(b), \(h)]") }
        }
        // All input projections at once: [B·T, G·H].
        var projected = try Tensor.matmul(input.reshaped([b * t, i]), weights.inputWeight, transposeB: true)
        if let bias = weights.inputBias { projected = try projected + bias }
        let output = try Tensor.zeros([b, t, h])
        var state = try initialHidden ?? Tensor.zeros([b, h])
        var cellState = cell == .lstm ? try initialCell ?? Tensor.zeros([b, h]) : nil
        let gates = Tensor(uninitializedShape: [t, b, g * h]), previous = Tensor(uninitializedShape: [t, b, h])
        let previousCell = cell == .lstm ? Tensor(uninitializedShape: [t, b, h]) : nil
        // GRU: W_hn h + b_hn (scaled by r inside the n gate); LSTM: tanh of the new cell.
        let extra = Tensor(uninitializedShape: [t, b, h])
        let recurrent = Tensor(uninitializedShape: [b, g * h])
        // The states are updated in place below: never in the caller's buffers.
        state.makeUnique()
        cellState?.makeUnique()
        let xp = projected.storage.pointer, out = output.storage.pointer, hp = state.storage.pointer
        let cp = cellState?.storage.pointer, gp = gates.storage.pointer, pp = previous.storage.pointer
        let pcp = previousCell?.storage.pointer, ep = extra.storage.pointer, rp = recurrent.storage.pointer
        let whh = weights.hiddenWeight.storage.pointer, bhh = weights.hiddenBias?.storage.pointer
        let gh = g * h
        for (step, time) in (reverse ? Array((0..<t).reversed()) : Array(0..<t)).enumerated() {
            // Recurrent product for the whole batch: [B, H] × [G·H, H]ᵀ.
            sgemm(transA: false, transB: true, m: b, n: gh, k: h, a: hp, lda: h, b: whh, ldb: h, c: rp, ldc: gh)
            (pp + step * b * h).update(from: hp, count: b * h)
            if let cp, let pcp { (pcp + step * b * h).update(from: cp, count: b * h) }
            Parallel.forRanges(b, cost: gh * 8) { rows in
                for row in rows where time < lengths[row] {
                    let x = xp + (row * t + time) * gh, r = rp + row * gh
                    let saved = gp + (step * b + row) * gh, hidden = hp + row * h
                    if let bhh { for j in 0..<gh { r[j] += bhh[j] } }
                    let o = out + (row * t + time) * h
                    if cell == .gru {
                        let hn = ep + (step * b + row) * h
                        for j in 0..<h {
                            let rGate = logistic(x[j] + r[j]), zGate = logistic(x[h + j] + r[h + j])
                            let n = tanhf(x[2 * h + j] + rGate * r[2 * h + j])
                            saved[j] = rGate; saved[h + j] = zGate; saved[2 * h + j] = n; hn[j] = r[2 * h + j]
                            let next = (1 - zGate) * n + zGate * hidden[j]
                            hidden[j] = next
                            o[j] = next
                        }
                    } else if let cp {
                        let c = cp + row * h, tc = ep + (step * b + row) * h
                        for j in 0..<h {
                            let iGate = logistic(x[j] + r[j]), fGate = logistic(x[h + j] + r[h + j])
                            let gGate = tanhf(x[2 * h + j] + r[2 * h + j]), oGate = logistic(x[3 * h + j] + r[3 * h + j])
                            saved[j] = iGate; saved[h + j] = fGate; saved[2 * h + j] = gGate; saved[3 * h + j] = oGate
                            let nextCell = fGate * c[j] + iGate * gGate
                            let squashed = tanhf(nextCell)
                            c[j] = nextCell
                            tc[j] = squashed
                            hidden[j] = oGate * squashed
                            o[j] = hidden[j]
                        }
                    }
                }
            }
        }
        let trace = RecurrentTrace(cell: cell, input: input, weights: weights, lengths: lengths, reverse: reverse, batch: b, steps: t,
                                   hidden: h, gates: gates, previousHidden: previous, previousCell: previousCell, extra: extra)
        return (output, state, cellState, trace)
    }

    /// Back-propagation through time for ``recurrentLayer(_:input:lengths:weights:initialHidden:initialCell:reverse:)``.
    /// Missing upstream gradients count as zero.
    public static func recurrentLayerBackward(_ trace: RecurrentTrace, gradOutput: Tensor?, gradFinalHidden: Tensor?,
                                              gradFinalCell: Tensor?) throws -> RecurrentGradients {
        let (b, t, h, cell) = (trace.batch, trace.steps, trace.hidden, trace.cell)
        let i = trace.input.shape[2], gh = cell.gates * h
        if let gradOutput, gradOutput.shape != [b, t, h] {
            throw TensorError.shapeMismatch("\(cell) backward: output gradient \(gradOutput.shape) must be [\(b), \(t), \(h)]")
        }
        for state in [gradFinalHidden, gradFinalCell].compactMap({ $0 }) where state.shape != [b, h] {
            throw TensorError.shapeMismatch("\(cell) backward: state gradient \(state.shape) must be [\(b), \(h)]")
        }
        var dh = try gradFinalHidden ?? Tensor.zeros([b, h])
        var dc = try gradFinalCell ?? Tensor.zeros([b, h])
        dh.makeUnique()
        dc.makeUnique()
        let dProjected = try Tensor.zeros([b * t, gh])
        let dHiddenWeight = try Tensor.zeros([gh, h]), dHiddenBias = try Tensor.zeros([gh])
        let dGates = Tensor(uninitializedShape: [b, gh]), dDirect = Tensor(uninitializedShape: [b, h])
        let go = gradOutput?.storage.pointer
        let dhp = dh.storage.pointer, dcp = dc.storage.pointer, dxp = dProjected.storage.pointer
        let dgp = dGates.storage.pointer, ddp = dDirect.storage.pointer, dwp = dHiddenWeight.storage.pointer
        let dbp = dHiddenBias.storage.pointer
        let gp = trace.gates.storage.pointer, pp = trace.previousHidden.storage.pointer
        let pcp = trace.previousCell?.storage.pointer, ep = trace.extra.storage.pointer
        let whh = trace.weights.hiddenWeight.storage.pointer
        let lengths = trace.lengths
        let order = trace.order
        for step in stride(from: t - 1, through: 0, by: -1) {
            let time = order[step]
            Parallel.forRanges(b, cost: gh * 8) { rows in
                for row in rows {
                    let dhr = dhp + row * h, direct = ddp + row * h, dg = dgp + row * gh
                    guard time < lengths[row] else {
                        // Not yet (or no longer) running: the state passes through unchanged.
                        direct.update(from: dhr, count: h)
                        dg.update(repeating: 0, count: gh)
                        continue
                    }
                    if let go { let o = go + (row * t + time) * h; for j in 0..<h { dhr[j] += o[j] } }
                    let saved = gp + (step * b + row) * gh, hPrev = pp + (step * b + row) * h
                    let dx = dxp + (row * t + time) * gh
                    if cell == .gru {
                        let hn = ep + (step * b + row) * h
                        for j in 0..<h {
                            let (r, z, n) = (saved[j], saved[h + j], saved[2 * h + j])
                            let d = dhr[j]
                            let dan = d * (1 - z) * (1 - n * n)
                            let daz = d * (hPrev[j] - n) * z * (1 - z)
                            let dar = dan * hn[j] * r * (1 - r)
                            dx[j] = dar; dx[h + j] = daz; dx[2 * h + j] = dan
                            dg[j] = dar; dg[h + j] = daz; dg[2 * h + j] = dan * r
                            direct[j] = d * z
                        }
                    } else if let pcp {
                        let cPrev = pcp + (step * b + row) * h, tc = ep + (step * b + row) * h, dcr = dcp + row * h
                        for j in 0..<h {
                            let (ig, fg, gg, og) = (saved[j], saved[h + j], saved[2 * h + j], saved[3 * h + j])
                            let d = dhr[j]
                            let dcTotal = dcr[j] + d * og * (1 - tc[j] * tc[j])
                            let dai = dcTotal * gg * ig * (1 - ig)
                            let daf = dcTotal * cPrev[j] * fg * (1 - fg)
                            let dag = dcTotal * ig * (1 - gg * gg)
                            let dao = d * tc[j] * og * (1 - og)
                            dx[j] = dai; dx[h + j] = daf; dx[2 * h + j] = dag; dx[3 * h + j] = dao
                            dg[j] = dai; dg[h + j] = daf; dg[2 * h + j] = dag; dg[3 * h + j] = dao
                            dcr[j] = dcTotal * fg
                            direct[j] = 0
                        }
                    }
                }
            }
            // dh_prev = direct + dGates × W_hh;  dW_hh += dGatesᵀ × h_prev.
            sgemm(transA: false, transB: false, m: b, n: h, k: gh, a: dgp, lda: gh, b: whh, ldb: h, beta: 1, c: ddp, ldc: h)
            sgemm(transA: true, transB: false, m: gh, n: h, k: b, a: dgp, lda: gh, b: pp + step * b * h, ldb: h,
                  beta: 1, c: dwp, ldc: h)
            for row in 0..<b { for j in 0..<gh { dbp[j] += dgp[row * gh + j] } }
            dhp.update(from: ddp, count: b * h)
        }
        let x = try trace.input.reshaped([b * t, i])
        let dInput = try Tensor.matmul(dProjected, trace.weights.inputWeight).reshaped([b, t, i])
        let dInputWeight = try Tensor.matmul(dProjected, x, transposeA: true)
        let dInputBias = trace.weights.inputBias == nil ? nil : try dProjected.sum(axes: [0])
        return RecurrentGradients(input: dInput, initialHidden: dh, initialCell: cell == .lstm ? dc : nil,
                                  inputWeight: dInputWeight, hiddenWeight: dHiddenWeight, inputBias: dInputBias,
                                  hiddenBias: trace.weights.hiddenBias == nil ? nil : dHiddenBias)
    }
}
