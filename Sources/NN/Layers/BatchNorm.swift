import S2IGANAutograd
import S2IGANTensor

/// Batch normalisation over the channel axis 1 (`torch.nn.BatchNorm1d` / `BatchNorm2d`).
///
/// Training mode normalises with the batch statistics (biased variance) and updates the running
/// statistics with `momentum` (the unbiased variance, as PyTorch), or with a cumulative average when
/// `momentum` is `nil`; `num_batches_tracked` counts the updates. Evaluation mode uses the running
/// statistics. Parameter and buffer names are PyTorch's.
///
/// With ``replicas`` set (``Module/synchroniseBatchNorm(across:)``), training mode is SyncBatchNorm: the statistics,
/// the running ones included, are those of the global batch that the replicas of a data-parallel job hold between
/// them, as if one process normalised it (`torch.nn.SyncBatchNorm`).
public class BatchNorm: Module, Layer {
    public let weight: Variable?
    public let bias: Variable?
    public let runningMean: Buffer?
    public let runningVariance: Buffer?
    public let batchesTracked: Buffer?
    public let epsilon: Float
    public let momentum: Float?
    let acceptedRanks: Set<Int>
    let kind: String
    /// The replicas whose batches are normalised together in training mode; `nil`: this process's batch alone.
    public var replicas: (any ReplicaGroup)?

    init(kind: String, ranks: Set<Int>, features: Int, epsilon: Float, momentum: Float?, affine: Bool, trackRunningStats: Bool) throws {
        guard features > 0 else { throw NNError.invalidConfiguration("\(kind): feature count must be positive, got \(features)") }
        weight = affine ? .parameter(try Tensor.ones([features])) : nil
        bias = affine ? .parameter(try Tensor.zeros([features])) : nil
        runningMean = trackRunningStats ? Buffer(try Tensor.zeros([features])) : nil
        runningVariance = trackRunningStats ? Buffer(try Tensor.ones([features])) : nil
        batchesTracked = trackRunningStats ? Buffer(Tensor(0), scalarType: .int64) : nil
        (self.epsilon, self.momentum, self.acceptedRanks, self.kind) = (epsilon, momentum, ranks, kind)
        super.init()
    }

    /// PyTorch's buffer names.
    override public var namedOwnBuffers: [(String, Buffer)] {
        [("running_mean", runningMean), ("running_var", runningVariance), ("num_batches_tracked", batchesTracked)]
            .compactMap { name, buffer in buffer.map { (name, $0) } }
    }

    public var features: Int { runningMean?.value.count ?? weight?.value.count ?? 0 }

    public func callAsFunction(_ input: Variable) throws -> Variable {
        guard acceptedRanks.contains(input.rank), input.shape[1] == features else {
            throw NNError.shapeMismatch("\(kind)(\(features)): unexpected input shape \(input.shape)")
        }
        guard !isTraining, let runningMean, let runningVariance else {
            let (output, mean, variance, n) = try Variable.batchNormTraining(input, weight: weight, bias: bias, epsilon: epsilon,
                                                                             across: isTraining ? replicas : nil)
            if isTraining, let rm = runningMean, let rv = runningVariance, let counter = batchesTracked {
                guard n > 1 else {
                    throw NNError.invalidInput("\(kind): expected more than 1 value per channel when training, got input \(input.shape)")
                }
                let tracked = try counter.value.item() + 1
                counter.value = Tensor(tracked)
                let factor = momentum ?? 1 / tracked
                let unbiased = variance * (Float(n) / Float(n - 1))
                rm.value = try rm.value * (1 - factor) + mean * factor
                rv.value = try rv.value * (1 - factor) + unbiased * factor
            }
            return output
        }
        // Evaluation: the running statistics fold into one per-channel affine transform.
        let invStd = (runningVariance.value + epsilon).pow(-0.5)
        var out = try Variable.channelAffine(input, scale: invStd, shift: -(try runningMean.value * invStd))
        var statShape = [Int](repeating: 1, count: input.rank)
        statShape[1] = features
        if let weight { out = try out * weight.reshaped(statShape) }
        if let bias { out = try out + bias.reshaped(statShape) }
        return out
    }
}

/// `torch.nn.BatchNorm1d`: input `[N, C]` or `[N, C, L]`.
public final class BatchNorm1d: BatchNorm {
    public init(_ features: Int, epsilon: Float = 1e-5, momentum: Float? = 0.1, affine: Bool = true,
                trackRunningStats: Bool = true) throws {
        try super.init(kind: "BatchNorm1d", ranks: [2, 3], features: features, epsilon: epsilon, momentum: momentum,
                       affine: affine, trackRunningStats: trackRunningStats)
    }
}

/// `torch.nn.BatchNorm2d`: input `[N, C, H, W]`.
public final class BatchNorm2d: BatchNorm {
    public init(_ features: Int, epsilon: Float = 1e-5, momentum: Float? = 0.1, affine: Bool = true,
                trackRunningStats: Bool = true) throws {
        try super.init(kind: "BatchNorm2d", ranks: [4], features: features, epsilon: epsilon, momentum: momentum,
                       affine: affine, trackRunningStats: trackRunningStats)
    }
}

extension Module {
    /// Makes every batch normalisation in this module normalise over the global batch of `replicas` in training
    /// mode (SyncBatchNorm), or, with `nil`, over this process's batch again.
    public func synchroniseBatchNorm(across replicas: (any ReplicaGroup)?) {
        for case let norm as BatchNorm in modules() { norm.replicas = replicas }
    }
}
