import S2IGANAutograd
import S2IGANTensor
import S2IGANFormats

/// Multiplies the learning rate by `gamma` every `stepSize` calls of ``step()`` (`torch.optim.lr_scheduler.StepLR`,
/// stepped once per epoch or per update as the training loop chooses).
public final class StepDecay {
    public let optimizer: any Optimizer
    public let stepSize: Int
    public let gamma: Float
    public private(set) var count = 0

    public init(optimizer: any Optimizer, stepSize: Int, gamma: Float = 0.1) throws {
        guard stepSize > 0 else { throw NNError.invalidConfiguration("StepDecay: step size must be positive, got \(stepSize)") }
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
        guard decay >= 0 && decay <= 1 else { throw NNError.invalidConfiguration("ExponentialMovingAverage: decay \(decay) is outside [0, 1]") }
        self.parameters = parameters
        self.decay = decay
        averages = parameters.map(\.value)
    }

    /// Folds the current parameter values into the averages.
    public func update() throws {
        let (d, w) = (decay, 1 - decay)
        for i in parameters.indices {
            let p = parameters[i].value
            guard p.shape == averages[i].shape else {
                throw NNError.shapeMismatch("ExponentialMovingAverage: parameter \(i) is \(p.shape), its average \(averages[i].shape)")
            }
            // In place (the same arithmetic as `avg * decay + p * (1 − decay)`, without three temporaries).
            p.withUnsafeBufferPointer { source in
                averages[i].withUnsafeMutableBufferPointer { average in
                    let (a, x) = (average.baseAddress!, source.baseAddress!)
                    Parallel.forRanges(average.count, cost: 2) { range in
                        for j in range { a[j] = a[j] * d + x[j] * w }
                    }
                }
            }
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
                throw NNError.optimizerState("ExponentialMovingAverage: 'average.\(i)' is \(t.shape), parameter \(i) is \(p.value.shape)")
            }
            return t
        }
    }
}
