import TestSupport
import Foundation
import Testing
import S2IGANTensor
import S2IGANAutograd
@testable import S2IGANNN
import S2IGANFormats

/// Five steps of each optimiser on `mean((X Wᵀ + b − Y)²)` against PyTorch's trajectories.
@Suite struct OptimizerTests {
    let f: SafeTensorsFile
    init() throws { f = try fixtures.load("optim") }

    func problem() throws -> (w: Variable, b: Variable, loss: () throws -> Variable) {
        let w = Variable.parameter(try f.tensor("init.W")), b = Variable.parameter(try f.tensor("init.b"))
        let x = Variable(try f.tensor("X")), y = Variable(try f.tensor("Y"))
        return (w, b, { try (Variable.linear(x, weight: w, bias: b) - y).square().mean() })
    }

    func run(_ name: String, _ make: ([Variable]) throws -> any Optimizer, schedule: ((any Optimizer) throws -> StepDecay)? = nil) throws {
        let (w, b, loss) = try problem()
        let optimizer = try make([w, b])
        let decay = try schedule?(optimizer)
        let losses = try f.tensor("\(name).loss").scalars
        for k in 1...5 {
            optimizer.zeroGrad()
            let l = try loss()
            #expect(abs(try l.item() - losses[k - 1]) <= 1e-5 * Swift.max(1, abs(losses[k - 1])), "\(name) loss \(k)")
            try l.backward()
            try optimizer.step()
            decay?.step()
            expectClose(w.value, try f.tensor("\(name).step\(k).W"), rtol: 1e-5, atol: 1e-6, "\(name) W step \(k)")
            expectClose(b.value, try f.tensor("\(name).step\(k).b"), rtol: 1e-5, atol: 1e-6, "\(name) b step \(k)")
        }
    }

    @Test func adamWithCoupledWeightDecay() throws {
        try run("adam") { try Adam(parameters: $0, learningRate: 1e-2, betas: (0.95, 0.999), weightDecay: 1e-3) }
    }

    @Test func adamW() throws {
        try run("adamw") { try Adam.adamW(parameters: $0, learningRate: 1e-2) }
    }

    @Test func sgdWithMomentum() throws {
        try run("sgd") { try SGD(parameters: $0, learningRate: 0.1, momentum: 0.9) }
    }

    @Test func sgdNesterovWithWeightDecay() throws {
        try run("sgd_nesterov_wd") { try SGD(parameters: $0, learningRate: 0.05, momentum: 0.9, weightDecay: 1e-3, nesterov: true) }
    }

    @Test func adamWithStepDecay() throws {
        try run("adam_step", { try Adam(parameters: $0, learningRate: 0.1, betas: (0.5, 0.999)) },
                schedule: { try StepDecay(optimizer: $0, stepSize: 2, gamma: 0.5) })
    }

    @Test func exponentialMovingAverageOfAdam() throws {
        let (w, b, loss) = try problem()
        let adam = try Adam(parameters: [w, b], learningRate: 1e-2, betas: (0.95, 0.999), weightDecay: 1e-3)
        let ema = try ExponentialMovingAverage(parameters: [w, b], decay: 0.999)
        for k in 1...5 {
            adam.zeroGrad()
            try loss().backward()
            try adam.step()
            try ema.update()
            expectClose(ema.averages[0], try f.tensor("ema.step\(k).W"), rtol: 1e-5, atol: 1e-6, "EMA W \(k)")
            expectClose(ema.averages[1], try f.tensor("ema.step\(k).b"), rtol: 1e-5, atol: 1e-6, "EMA b \(k)")
        }
    }

    /// Saving after two steps and resuming in a fresh optimiser continues the same trajectory.
    @Test func stateSavesAndResumesExactly() throws {
        let (w, b, loss) = try problem()
        let adam = try Adam(parameters: [w, b], learningRate: 1e-2, betas: (0.95, 0.999), weightDecay: 1e-3)
        for _ in 0..<2 { adam.zeroGrad(); try loss().backward(); try adam.step() }
        let saved = try SafeTensorsFile.decode(try adam.stateDict().encoded())
        let resumed = try Adam(parameters: [w, b], learningRate: 5, betas: (0.95, 0.999), weightDecay: 1e-3)
        try resumed.load(stateDict: saved)
        #expect(resumed.learningRate == 1e-2)
        for k in 3...5 {
            resumed.zeroGrad(); try loss().backward(); try resumed.step()
            expectClose(w.value, try f.tensor("adam.step\(k).W"), rtol: 1e-5, atol: 1e-6, "resumed W step \(k)")
        }
        #expect(throws: NNError.self) { try SGD(parameters: [w, b], learningRate: 0.1).load(stateDict: saved) }
    }

    /// A whole training run resumes from one checkpoint file: model, Adam state and the parameter average.
    @Test func trainingResumesFromACheckpoint() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UInt64.random(in: 0...UInt64.max)).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        func run(steps: Int, from checkpoint: URL?, saveTo: URL?) throws -> (Tensor, Tensor) {
            let model = try Initialization.seeded(5) { Sequential(try Linear(4, 3), try BatchNorm1d(3)) }
            let adam = try Adam(parameters: model.parameters(), learningRate: 1e-2)
            let ema = try ExponentialMovingAverage(parameters: model.parameters(), decay: 0.9)
            var start = 0
            if let checkpoint {
                let meta = try TrainingCheckpoint.load(from: checkpoint, model: model, optimizers: ["adam": adam], average: ema)
                start = Int(meta["step"] ?? "") ?? -1
            }
            let x = Variable(try f.tensor("X")), y = Variable(try f.tensor("Y"))
            for step in start..<steps {
                adam.zeroGrad()
                try (model(x) - y).square().mean().backward()
                try adam.step()
                try ema.update()
                if step == 2, let saveTo {
                    try TrainingCheckpoint.save(to: saveTo, model: model, optimizers: ["adam": adam], average: ema, metadata: ["step": "3"])
                }
            }
            return (model.stateDict()[0].1, ema.averages[0])
        }
        let straight = try run(steps: 6, from: nil, saveTo: url)
        let resumed = try run(steps: 6, from: url, saveTo: nil)
        #expect(resumed.0.isIdentical(to: straight.0) && resumed.1.isIdentical(to: straight.1))
        #expect(throws: NNError.self) {
            try TrainingCheckpoint.load(from: url, model: try Linear(4, 3), optimizers: ["sgd": try SGD(parameters: [], learningRate: 1)])
        }
    }

    @Test func badGradientsAndSettingsThrow() throws {
        let p = Variable.parameter(Tensor([1, 2]))
        p.grad = Tensor([Float.nan, 0])
        #expect(throws: NNError.self) { try SGD(parameters: [p], learningRate: 0.1).step() }
        #expect(throws: NNError.self) { try Adam(parameters: [p], betas: (1, 0.9)) }
        #expect(throws: NNError.self) { try SGD(parameters: [p], learningRate: 0.1, nesterov: true) }
    }
}
