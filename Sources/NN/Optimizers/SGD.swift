import S2IGANAutograd
import S2IGANTensor
import S2IGANFormats

/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
/// decay (`torch.optim.SGD`).
public final class SGD: Optimizer {
    public let parameters: [Variable]
    public var learningRate: Float
    public let momentum: Float, dampening: Float, weightDecay: Float
    public let nesterov: Bool
    private var state: OptimizerState

    public init(parameters: [Variable], learningRate: Float, momentum: Float = 0, dampening: Float = 0,
                weightDecay: Float = 0, nesterov: Bool = false) throws {
        guard learningRate >= 0, momentum >= 0, weightDecay >= 0 else {
            throw NNError.invalidConfiguration("SGD: invalid learning rate \(learningRate), momentum \(momentum) or weight decay \(weightDecay)")
        }
        guard !nesterov || (momentum > 0 && dampening == 0) else {
            throw NNError.invalidConfiguration("SGD: Nesterov momentum needs momentum > 0 and no dampening")
        }
        self.parameters = parameters
        (self.learningRate, self.momentum, self.dampening, self.weightDecay, self.nesterov) =
            (learningRate, momentum, dampening, weightDecay, nesterov)
        state = OptimizerState(kind: "SGD", slotNames: ["momentum_buffer"], parameterCount: parameters.count)
    }

    public func step() throws {
        for i in parameters.indices {
            guard var g = try validatedGradient(i) else { continue }
            let p = parameters[i]
            state.steps[i] += 1
            if weightDecay != 0 { g = try g + p.value * weightDecay }
            if momentum != 0 {
                let buffer: Tensor
                if let previous = state.slots[0][i] {
                    buffer = try previous * momentum + g * (1 - dampening)
                } else {
                    buffer = g
                }
                state.slots[0][i] = buffer
                g = nesterov ? try g + buffer * momentum : buffer
            }
            p.value = try p.value + g * -learningRate
        }
    }

    public func stateDict() throws -> SafeTensorsFile { state.file(learningRate: learningRate) }

    public func load(stateDict: SafeTensorsFile) throws {
        let (loaded, lr) = try state.read(stateDict, parameters: parameters)
        state = loaded
        learningRate = lr
    }
}
