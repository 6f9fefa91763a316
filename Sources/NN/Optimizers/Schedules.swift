import Autograd
import Tensor

/// Multiplies the learning rate by `gamma` every `stepSize` calls of ``step()`` (`torch.optim.lr_scheduler.StepLR`,
/// stepped once per epoch or per update as the training loop chooses).
public final class StepDecay {
    public let optimizer: any Optimizer
    public let stepSize: Int
    public let gamma: Float
    public private(set) var count = 0

    public init(optimizer: any Optimizer, stepSize: Int, gamma: Float = 0.1) throws {
        guard stepSize > 0 else { throw TensorError.invalidArgument("StepDecay: step size must be positive, got \(stepSize)") }
        (self.optimizer, self.stepSize, self.gamma) = (optimizer, stepSize, gamma)
    }

    public func step() {
        count += 1
        if count % stepSize == 0 { optimizer.learningRate *= gamma }
    }

    /// Resumes the schedule after `count` steps (the learning rate itself is restored with the optimiser).
    public func resume(atCount count: Int) { self.count = Swift.max(0, count) }
}

/// An exponential moving average of parameters, `avg ← decay · avg + (1 − decay) · p` after each update
/// (the RDG keeps one of its generator for evaluation).
public final class ExponentialMovingAverage {
    public let parameters: [Variable]
    public let decay: Float
    public private(set) var averages: [Tensor]

    public init(parameters: [Variable], decay: Float = 0.999) throws {
        guard decay >= 0 && decay <= 1 else { throw TensorError.invalidArgument("ExponentialMovingAverage: decay \(decay) is outside [0, 1]") }
        self.parameters = parameters
        self.decay = decay
        averages = parameters.map(\.value)
    }

    /// Folds the current parameter values into the averages.
    public func update() throws {
        for i in parameters.indices {
            averages[i] = try averages[i] * decay + parameters[i].value * (1 - decay)
        }
    }

    /// Swaps the averages into the parameters (and the parameters into the averages): call it before
    /// evaluating with the averaged model and again afterwards.
    public func swap() {
        for i in parameters.indices {
            let current = parameters[i].value
            parameters[i].value = averages[i]
            averages[i] = current
        }
    }

    /// The averages as a state dict keyed by parameter index.
    public func stateDict() -> SafeTensorsFile {
        var f = SafeTensorsFile(metadata: ["decay": "\(decay)"])
        for (i, a) in averages.enumerated() { f.arrays["average.\(i)"] = TypedArray(a) }
        return f
    }

    public func load(stateDict f: SafeTensorsFile) throws {
        averages = try parameters.enumerated().map { i, p in
            let t = try f.tensor("average.\(i)")
            guard t.shape == p.value.shape else {
                throw TensorError.shapeMismatch("ExponentialMovingAverage: 'average.\(i)' is \(t.shape), parameter \(i) is \(p.value.shape)")
            }
            return t
        }
    }
}
