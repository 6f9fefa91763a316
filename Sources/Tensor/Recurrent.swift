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
    /// Batch rows sorted longest first: slot `s` of the saved per-step arrays is row `order[s]`.
    let order: [Int]
    /// Batch size, padded steps and hidden size of the layer this trace belongs to.
    public let batch: Int, steps: Int, hidden: Int
    /// Per processing step and slot `[T, B, G·H]`: activated gates; GRU also keeps `W_hn h + b_hn` in `extra`.
    let gates: Tensor
    /// Per processing step `[T, B, H]`: the hidden state before the step; LSTM: the cell before it and tanh of the cell after it.
    let previousHidden: Tensor
    let previousCell: Tensor?
    let extra: Tensor

    init(cell: RecurrentCell, input: Tensor, weights: RecurrentWeights, lengths: [Int], order: [Int], reverse: Bool, batch: Int,
         steps: Int, hidden: Int, gates: Tensor, previousHidden: Tensor, previousCell: Tensor?, extra: Tensor) {
        (self.cell, self.input, self.weights, self.lengths, self.order, self.reverse) = (cell, input, weights, lengths, order, reverse)
        (self.batch, self.steps, self.hidden) = (batch, steps, hidden)
        (self.gates, self.previousHidden, self.previousCell, self.extra) = (gates, previousHidden, previousCell, extra)
    }
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
        let gh = g * h
        // Sequences sorted longest first ("slots"): at every step the running ones are a prefix, so the
        // recurrent product covers exactly them, as a packed sequence does.
        let order = (0..<b).sorted { lengths[$0] > lengths[$1] }
        let slotLengths = order.map { lengths[$0] }
        // Input projections of the valid steps only, one GEMM per sequence, sequences spread over the workers.
        let projected = Tensor(uninitializedShape: [b * t, gh])
        let xin = input.storage.pointer, wih = weights.inputWeight.storage.pointer, xp = projected.storage.pointer
        let bih = weights.inputBias?.storage.pointer
        Parallel.forRanges(b, cost: 1 << 20) { rows in
            for row in rows {
                let at = row * t
                sgemm(transA: false, transB: true, m: lengths[row], n: gh, k: i, a: xin + at * i, lda: i, b: wih, ldb: i,
                      c: xp + at * gh, ldc: gh)
                if let bih { for s in 0..<lengths[row] { let p = xp + (at + s) * gh; for j in 0..<gh { p[j] += bih[j] } } }
            }
        }
        let output = try Tensor.zeros([b, t, h])
        let state = try Tensor.zeros([b, h]), cellState = cell == .lstm ? try Tensor.zeros([b, h]) : nil
        let hp = state.storage.pointer, cp = cellState?.storage.pointer
        for (s, row) in order.enumerated() {
            if let h0 = initialHidden { (hp + s * h).update(from: h0.storage.pointer + row * h, count: h) }
            if let c0 = initialCell, let cp { (cp + s * h).update(from: c0.storage.pointer + row * h, count: h) }
        }
        let gates = Tensor(uninitializedShape: [t, b, gh]), previous = Tensor(uninitializedShape: [t, b, h])
        let previousCell = cell == .lstm ? Tensor(uninitializedShape: [t, b, h]) : nil
        // GRU: W_hn h + b_hn (scaled by r inside the n gate); LSTM: tanh of the new cell.
        let extra = Tensor(uninitializedShape: [t, b, h])
        let recurrent = Tensor(uninitializedShape: [b, gh])
        let out = output.storage.pointer, gp = gates.storage.pointer, pp = previous.storage.pointer
        let pcp = previousCell?.storage.pointer, ep = extra.storage.pointer, rp = recurrent.storage.pointer
        let whh = weights.hiddenWeight.storage.pointer, bhh = weights.hiddenBias?.storage.pointer
        for (step, time) in (reverse ? Array((0..<t).reversed()) : Array(0..<t)).enumerated() {
            let m = slotLengths.firstIndex { $0 <= time } ?? b
            guard m > 0 else { continue }
            // Recurrent product for the running sequences: [m, H] × [G·H, H]ᵀ.
            sgemm(transA: false, transB: true, m: m, n: gh, k: h, a: hp, lda: h, b: whh, ldb: h, c: rp, ldc: gh)
            (pp + step * b * h).update(from: hp, count: m * h)
            if let cp, let pcp { (pcp + step * b * h).update(from: cp, count: m * h) }
            Parallel.forRanges(m, cost: gh * 8) { slots in
                for slot in slots {
                    let row = order[slot]
                    let x = xp + (row * t + time) * gh, r = rp + slot * gh
                    let saved = gp + (step * b + slot) * gh, hidden = hp + slot * h
                    if let bhh { for j in 0..<gh { r[j] += bhh[j] } }
                    let o = out + (row * t + time) * h
                    if cell == .gru {
                        let hn = ep + (step * b + slot) * h
                        var j0 = 0
                        while j0 + 8 <= h {
                            typealias M = VectorMath
                            let rGate = M.logistic(M.load(x + j0) + M.load(r + j0))
                            let zGate = M.logistic(M.load(x + h + j0) + M.load(r + h + j0))
                            let hidden8 = M.load(r + 2 * h + j0)
                            let n = M.tanh(M.load(x + 2 * h + j0) + rGate * hidden8)
                            M.store(rGate, saved + j0); M.store(zGate, saved + h + j0); M.store(n, saved + 2 * h + j0)
                            M.store(hidden8, hn + j0)
                            let next = (1 - zGate) * n + zGate * M.load(hidden + j0)
                            M.store(next, hidden + j0)
                            M.store(next, o + j0)
                            j0 += 8
                        }
                        for j in j0..<h {
                            let rGate = logistic(x[j] + r[j]), zGate = logistic(x[h + j] + r[h + j])
                            let n = tanhf(x[2 * h + j] + rGate * r[2 * h + j])
                            saved[j] = rGate; saved[h + j] = zGate; saved[2 * h + j] = n; hn[j] = r[2 * h + j]
                            let next = (1 - zGate) * n + zGate * hidden[j]
                            hidden[j] = next
                            o[j] = next
                        }
                    } else if let cp {
                        let c = cp + slot * h, tc = ep + (step * b + slot) * h
                        var j0 = 0
                        while j0 + 8 <= h {
                            typealias M = VectorMath
                            let iGate = M.logistic(M.load(x + j0) + M.load(r + j0))
                            let fGate = M.logistic(M.load(x + h + j0) + M.load(r + h + j0))
                            let gGate = M.tanh(M.load(x + 2 * h + j0) + M.load(r + 2 * h + j0))
                            let oGate = M.logistic(M.load(x + 3 * h + j0) + M.load(r + 3 * h + j0))
                            M.store(iGate, saved + j0); M.store(fGate, saved + h + j0)
                            M.store(gGate, saved + 2 * h + j0); M.store(oGate, saved + 3 * h + j0)
                            let nextCell = fGate * M.load(c + j0) + iGate * gGate
                            let squashed = M.tanh(nextCell)
                            M.store(nextCell, c + j0)
                            M.store(squashed, tc + j0)
                            M.store(oGate * squashed, hidden + j0)
                            M.store(oGate * squashed, o + j0)
                            j0 += 8
                        }
                        for j in j0..<h {
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
        // Final states back in batch order.
        let finalHidden = Tensor(uninitializedShape: [b, h]), finalCell = cell == .lstm ? Tensor(uninitializedShape: [b, h]) : nil
        for (s, row) in order.enumerated() {
            (finalHidden.storage.pointer + row * h).update(from: hp + s * h, count: h)
            if let finalCell, let cp { (finalCell.storage.pointer + row * h).update(from: cp + s * h, count: h) }
        }
        let trace = RecurrentTrace(cell: cell, input: input, weights: weights, lengths: lengths, order: order, reverse: reverse,
                                   batch: b, steps: t, hidden: h, gates: gates, previousHidden: previous, previousCell: previousCell,
                                   extra: extra)
        return (output, finalHidden, finalCell, trace)
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
        let order = trace.order, lengths = trace.lengths
        let slotLengths = order.map { lengths[$0] }
        // State gradients in slot order (longest sequence first), as the forward pass kept its states.
        let dh = try Tensor.zeros([b, h]), dc = try Tensor.zeros([b, h])
        let dhp = dh.storage.pointer, dcp = dc.storage.pointer
        for (s, row) in order.enumerated() {
            if let gh = gradFinalHidden { (dhp + s * h).update(from: gh.storage.pointer + row * h, count: h) }
            if let gc = gradFinalCell { (dcp + s * h).update(from: gc.storage.pointer + row * h, count: h) }
        }
        let dProjected = try Tensor.zeros([b * t, gh])
        let dHiddenWeight = try Tensor.zeros([gh, h]), dHiddenBias = try Tensor.zeros([gh])
        let dGates = Tensor(uninitializedShape: [b, gh]), dDirect = Tensor(uninitializedShape: [b, h])
        let go = gradOutput?.storage.pointer
        let dxp = dProjected.storage.pointer
        let dgp = dGates.storage.pointer, ddp = dDirect.storage.pointer, dwp = dHiddenWeight.storage.pointer
        let dbp = dHiddenBias.storage.pointer
        let gp = trace.gates.storage.pointer, pp = trace.previousHidden.storage.pointer
        let pcp = trace.previousCell?.storage.pointer, ep = trace.extra.storage.pointer
        let whh = trace.weights.hiddenWeight.storage.pointer
        let times = trace.reverse ? Array((0..<t).reversed()) : Array(0..<t)
        for step in stride(from: t - 1, through: 0, by: -1) {
            let time = times[step]
            // Sequences not running at this step pass their state gradients through untouched.
            let m = slotLengths.firstIndex { $0 <= time } ?? b
            guard m > 0 else { continue }
            Parallel.forRanges(m, cost: gh * 8) { slots in
                for slot in slots {
                    let row = order[slot]
                    let dhr = dhp + slot * h, direct = ddp + slot * h, dg = dgp + slot * gh
                    if let go { let o = go + (row * t + time) * h; for j in 0..<h { dhr[j] += o[j] } }
                    let saved = gp + (step * b + slot) * gh, hPrev = pp + (step * b + slot) * h
                    let dx = dxp + (row * t + time) * gh
                    if cell == .gru {
                        let hn = ep + (step * b + slot) * h
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
                        let cPrev = pcp + (step * b + slot) * h, tc = ep + (step * b + slot) * h, dcr = dcp + slot * h
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
            // dh_prev = direct + dGates × W_hh;  dW_hh += dGatesᵀ × h_prev;  db_hh += Σ dGates.
            sgemm(transA: false, transB: false, m: m, n: h, k: gh, a: dgp, lda: gh, b: whh, ldb: h, beta: 1, c: ddp, ldc: h)
            sgemm(transA: true, transB: false, m: gh, n: h, k: m, a: dgp, lda: gh, b: pp + step * b * h, ldb: h,
                  beta: 1, c: dwp, ldc: h)
            for slot in 0..<m { for j in 0..<gh { dbp[j] += dgp[slot * gh + j] } }
            dhp.update(from: ddp, count: m * h)
        }
        let initialHidden = Tensor(uninitializedShape: [b, h]), initialCell = Tensor(uninitializedShape: [b, h])
        for (s, row) in order.enumerated() {
            (initialHidden.storage.pointer + row * h).update(from: dhp + s * h, count: h)
            (initialCell.storage.pointer + row * h).update(from: dcp + s * h, count: h)
        }
        let x = try trace.input.reshaped([b * t, i])
        let dInput = try Tensor.matmul(dProjected, trace.weights.inputWeight).reshaped([b, t, i])
        let dInputWeight = try Tensor.matmul(dProjected, x, transposeA: true)
        let dInputBias = trace.weights.inputBias == nil ? nil : try dProjected.sum(axes: [0])
        return RecurrentGradients(input: dInput, initialHidden: initialHidden, initialCell: cell == .lstm ? initialCell : nil,
                                  inputWeight: dInputWeight, hiddenWeight: dHiddenWeight, inputBias: dInputBias,
                                  hiddenBias: trace.weights.hiddenBias == nil ? nil : dHiddenBias)
    }
}
