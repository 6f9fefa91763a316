import TestSupport
import Foundation
import Testing
import S2IGANTensor
import S2IGANAutograd
@testable import S2IGANNN
import S2IGANFormats

/// GRU and LSTM against PyTorch's packed-sequence runs: outputs, final states, and the gradients of
/// every parameter, the input and the initial states.
@Suite struct RecurrentTests {
    let f: SafeTensorsFile
    let cases: [String: [String: Any]]

    init() throws {
        f = try fixtures.load("recurrent")
        let text = try #require(f.metadata["cases"])
        cases = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: [String: Any]])
    }

    @Test(arguments: ["gru_bi2", "gru_uni", "gru_full", "lstm_bi2", "lstm_uni"])
    func matchesPyTorch(_ name: String) throws {
        let c = try #require(cases[name])
        let isLSTM = c["kind"] as? String == "lstm"
        let (input, hidden, layers) = (c["input"] as! Int, c["hidden"] as! Int, c["layers"] as! Int)
        let bidirectional = c["bidirectional"] as? Bool ?? false, hasInitial = c["has_h0"] as? Bool ?? false
        let network: RecurrentNetwork = isLSTM
            ? try LSTM(inputSize: input, hiddenSize: hidden, layers: layers, bidirectional: bidirectional)
            : try GRU(inputSize: input, hiddenSize: hidden, layers: layers, bidirectional: bidirectional)
        let names = network.stateDictKeys
        try network.load(stateDict: Dictionary(uniqueKeysWithValues: try names.map { ($0, try f.tensor("\(name).\($0)")) }))
        let x = Variable(try f.tensor("\(name).x"), requiresGrad: true)
        let lengths = try f.tensor("\(name).lengths").scalars.map { Int($0) }
        let h0 = hasInitial ? Variable(try f.tensor("\(name).h0"), requiresGrad: true) : nil
        let c0 = hasInitial && isLSTM ? Variable(try f.tensor("\(name).c0"), requiresGrad: true) : nil
        let (out, hN, cN) = try network.run(x, lengths: lengths, initialHidden: h0, initialCell: c0)
        expectClose(out.value, try f.tensor("\(name).out"), "\(name) output")
        expectClose(hN.value, try f.tensor("\(name).h_n"), "\(name) final hidden")
        var loss = try (out * Variable(try f.tensor("\(name).g_out"))).sum() + (hN * Variable(try f.tensor("\(name).g_hn"))).sum()
        if isLSTM, let cN {
            expectClose(cN.value, try f.tensor("\(name).c_n"), "\(name) final cell")
            loss = try loss + (cN * Variable(try f.tensor("\(name).g_cn"))).sum()
        }
        try loss.backward()
        expectClose(x.grad!, try f.tensor("\(name).grad.x"), "\(name) d/dx")
        if let h0 { expectClose(h0.grad!, try f.tensor("\(name).grad.h0"), "\(name) d/dh0") }
        if let c0 { expectClose(c0.grad!, try f.tensor("\(name).grad.c0"), "\(name) d/dc0") }
        for (key, p) in network.namedParameters() {
            expectClose(try #require(p.grad, "\(name): no gradient for \(key)"), try f.tensor("\(name).grad.\(key)"), rtol: 1e-4, atol: 1e-5,
                        "\(name) d/d\(key)")
        }
    }

    /// Finite differences through both directions of two layers with unequal lengths.
    @Test(arguments: [RecurrentCell.gru, .lstm])
    func finiteDifferencesAgree(_ cell: RecurrentCell) throws {
        let network: RecurrentNetwork = try Initialization.seeded(3) {
            cell == .gru ? try GRU(inputSize: 3, hiddenSize: 2, layers: 2, bidirectional: true)
                         : try LSTM(inputSize: 3, hiddenSize: 2, layers: 2, bidirectional: true)
        }
        var rng = RandomGenerator(seed: 4)
        let x = Variable(try Tensor.normal([2, 4, 3], using: &rng))
        let h0 = Variable(try Tensor.normal([4, 2, 2], using: &rng))
        let check = try GradientCheck.check(network.parameters() + [x, h0]) {
            let r = try network.run(x, lengths: [4, 2], initialHidden: h0, initialCell: cell == .lstm ? h0 * 0.5 : nil)
            return try Variable.concatenate([r.output.reshaped([-1]), r.finalHidden.reshaped([-1])], axis: 0)
        }
        #expect(check.passed, "\(check)")
    }

    @Test func stateDictNamesAreTorchs() throws {
        let gru = try GRU(inputSize: 128, hiddenSize: 512, layers: 2, bidirectional: true)
        #expect(gru.stateDictKeys == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                      "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
                                      "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
                                      "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"])
        #expect(gru.stateDict()[8].1.shape == [1536, 1024])
        // The SEN GRU of the reference: 2 · (986 112 + 2 362 368) parameters.
        #expect(gru.parameters().reduce(0) { $0 + $1.value.count } == 6_696_960)
    }

    @Test func badInputIsRefusedClearly() throws {
        let gru = try GRU(inputSize: 3, hiddenSize: 2)
        let x = Variable(try Tensor.zeros([2, 4, 3]))
        #expect { try gru(x, lengths: [5, 1]) } throws: { "\($0)".contains("length 5 of sequence 0 is outside 1...4") }
        #expect { try gru(x, lengths: [0, 1]) } throws: { "\($0)".contains("length 0") }
        #expect { try gru(x, lengths: [1]) } throws: { "\($0)".contains("1 lengths for a batch of 2") }
        #expect(throws: NNError.self) { try gru(Variable(try Tensor.zeros([2, 4, 5]))) }
        #expect(throws: NNError.self) { try gru(x, initialState: Variable(try Tensor.zeros([1, 3, 2]))) }
    }
}

/// A hidden size with eight-lane blocks and a scalar tail, against the GRU and LSTM equations written
/// out with plain tensor operations.
@Suite struct RecurrentEquationTests {
    @Test(arguments: [RecurrentCell.gru, .lstm])
    func wideCellsFollowTheEquations(_ cell: RecurrentCell) throws {
        let (input, hidden, steps) = (5, 12, 4)
        let network: RecurrentNetwork = try Initialization.seeded(8) {
            cell == .gru ? try GRU(inputSize: input, hiddenSize: hidden) : try LSTM(inputSize: input, hiddenSize: hidden)
        }
        var rng = RandomGenerator(seed: 9)
        let x = try Tensor.normal([2, steps, input], using: &rng)
        let out = try GradientMode.withoutGradient { try network.run(Variable(x)).output.value }
        let p = Dictionary(uniqueKeysWithValues: network.stateDict())
        let (wi, wh, bi, bh) = (p["weight_ih_l0"]!, p["weight_hh_l0"]!, p["bias_ih_l0"]!, p["bias_hh_l0"]!)
        var h = try Tensor.zeros([2, hidden]), c = try Tensor.zeros([2, hidden])
        for t in 0..<steps {
            let xt = try x.slice(axis: 1, start: t, end: t + 1).squeezed(axis: 1)
            let gi = try xt.matmul(wi, transposeOther: true) + bi, gh = try h.matmul(wh, transposeOther: true) + bh
            func part(_ g: Tensor, _ k: Int) throws -> Tensor { try g.slice(axis: 1, start: k * hidden, end: (k + 1) * hidden) }
            if cell == .gru {
                let r = try (part(gi, 0) + part(gh, 0)).sigmoid(), z = try (part(gi, 1) + part(gh, 1)).sigmoid()
                let n = try (part(gi, 2) + r * part(gh, 2)).tanh()
                h = try (1 - z) * n + z * h
            } else {
                let i = try (part(gi, 0) + part(gh, 0)).sigmoid(), f = try (part(gi, 1) + part(gh, 1)).sigmoid()
                let g = try (part(gi, 2) + part(gh, 2)).tanh(), o = try (part(gi, 3) + part(gh, 3)).sigmoid()
                c = try f * c + i * g
                h = try o * c.tanh()
            }
            expectClose(try out.slice(axis: 1, start: t, end: t + 1).squeezed(axis: 1), h, rtol: 1e-5, atol: 1e-6, "\(cell) step \(t)")
        }
    }
}
