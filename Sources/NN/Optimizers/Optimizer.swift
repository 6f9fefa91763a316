import S2IGANAutograd
import Foundation
import S2IGANTensor
import S2IGANFormats

/// Updates parameters from their accumulated gradients. Parameters without a gradient, or frozen
/// (`requiresGrad == false`), are left alone. State saves and loads with ``stateDict()`` /
/// ``load(stateDict:)`` so that training resumes exactly.
public protocol Optimizer: AnyObject {
    /// The parameters, in the order their state is saved.
    var parameters: [Variable] { get }
    var learningRate: Float { get set }
    /// One update.
    func step() throws
    /// The optimiser's state: per-parameter tensors named `state.<index>.<name>` and scalars in the metadata.
    func stateDict() throws -> SafeTensorsFile
    /// Restores a state saved by ``stateDict()``.
    func load(stateDict: SafeTensorsFile) throws
}

extension Optimizer {
    /// Clears the gradients of all parameters.
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }

    /// Checks a gradient before an update: its shape, and that it holds no NaN or infinity (which would
    /// silently destroy the parameters).
    func validatedGradient(_ index: Int) throws -> Tensor? {
        let p = parameters[index]
        guard p.requiresGrad, let g = p.grad else { return nil }
        guard g.shape == p.value.shape else {
            throw NNError.shapeMismatch("optimizer: gradient \(g.shape) of parameter \(index)\(p.name.map { " '\($0)'" } ?? "") does not match its value \(p.value.shape)")
        }
        guard g.isFinite else {
            throw NNError.invalidInput("optimizer: the gradient of parameter \(index)\(p.name.map { " '\($0)'" } ?? "") contains NaN or infinity")
        }
        return g
    }
}

/// Per-parameter tensor state shared by the optimisers' save and load: `slots[k][i]` is state `slotNames[k]`
/// of parameter `i` (PyTorch's names: `exp_avg`, `exp_avg_sq`, `momentum_buffer`).
struct OptimizerState {
    var kind: String
    let slotNames: [String]
    var slots: [[Tensor?]]
    var steps: [Int]

    init(kind: String, slotNames: [String], parameterCount: Int) {
        (self.kind, self.slotNames) = (kind, slotNames)
        slots = slotNames.map { _ in Array(repeating: nil, count: parameterCount) }
        steps = Array(repeating: 0, count: parameterCount)
    }

    func file(learningRate: Float) -> SafeTensorsFile {
        var f = SafeTensorsFile(metadata: ["optimizer": kind, "learning_rate": "\(learningRate)",
                                           "steps": steps.map(String.init).joined(separator: ",")])
        for (name, values) in zip(slotNames, slots) {
            for (i, t) in values.enumerated() { if let t { f.arrays["state.\(i).\(name)"] = TypedArray(t) } }
        }
        return f
    }

    /// Reads the state back, checking the optimiser kind and every tensor's shape against the parameters.
    func read(_ f: SafeTensorsFile, parameters: [Variable]) throws -> (OptimizerState, Float) {
        guard f.metadata["optimizer"] == kind else {
            throw NNError.optimizerState("optimizer state: saved by '\(f.metadata["optimizer"] ?? "unknown")', loading into \(kind)")
        }
        guard let lrText = f.metadata["learning_rate"], let lr = Float(lrText) else {
            throw NNError.optimizerState("optimizer state: missing or invalid learning_rate")
        }
        let stepText = f.metadata["steps"] ?? ""
        let steps = stepText.isEmpty ? [] : stepText.split(separator: ",").compactMap { Int($0) }
        guard steps.count == parameters.count else {
            throw NNError.optimizerState("optimizer state: \(steps.count) step counters for \(parameters.count) parameters")
        }
        var loaded = OptimizerState(kind: kind, slotNames: slotNames, parameterCount: parameters.count)
        loaded.steps = steps
        loaded.slots = try slotNames.map { name in
            try parameters.enumerated().map { i, p in
                guard let t = try? f.tensor("state.\(i).\(name)") else { return nil }
                guard t.shape == p.value.shape else {
                    throw NNError.optimizerState("optimizer state: 'state.\(i).\(name)' is \(t.shape), parameter \(i) is \(p.value.shape)")
                }
                return t
            }
        }
        return (loaded, lr)
    }
}
