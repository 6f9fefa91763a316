import S2IGANTensor

extension Variable {
    /// Batch normalisation in training mode over every axis but 1 (channels): `y = (x − mean) /
    /// sqrt(var + eps) · weight + bias` with the biased batch variance. Returns the output with the batch
    /// mean and biased variance (for the running statistics). The backward pass is the fused formula
    /// `dx = (weight / σ) · (g − mean(g) − x̂ · mean(g · x̂))` (`Tensor.batchNormBackward`).
    ///
    /// With `replicas` the statistics are the global batch's, each replica holding a shard of it (SyncBatchNorm:
    /// per-channel sums are exchanged in the forward and in the backward pass, `Tensor.channelMoments(across:)`);
    /// `count` is then the global number of values per channel.
    public static func batchNormTraining(_ input: Variable, weight: Variable?, bias: Variable?, epsilon: Float,
                                         across replicas: (any ReplicaGroup)? = nil)
        throws -> (output: Variable, mean: Tensor, variance: Tensor, count: Int) {
        let x = input.value
        guard x.rank >= 2 else { throw TensorError.shapeMismatch("batchNorm: input must be [N, C, ...], got \(x.shape)") }
        let channels = x.shape[1]
        for p in [weight, bias].compactMap({ $0 }) where p.shape != [channels] {
            throw TensorError.shapeMismatch("batchNorm: parameter of shape \(p.shape) for \(channels) channels")
        }
        let (mean, variance, count) = try x.channelMoments(across: replicas)
        let invStd = (variance + epsilon).pow(-0.5)
        let gamma = weight?.value
        let scale = try gamma.map { try $0 * invStd } ?? invStd
        let shift = try (bias?.value ?? Tensor.zeros([channels])) - mean * scale
        let out = try x.channelAffine(scale: scale, shift: shift)
        var inputs = [input]
        if let weight { inputs.append(weight) }
        if let bias { inputs.append(bias) }
        let (hasWeight, hasBias) = (weight != nil, bias != nil)
        let result = record("batchNorm", out, inputs) { g, needs in
            let (dx, dw, db) = try Tensor.batchNormBackward(g, input: x, mean: mean, invStd: invStd, weight: gamma,
                                                         count: count, across: replicas)
            var grads: [Tensor?] = [needs[0] ? dx : nil]
            if hasWeight { grads.append(needs[grads.count] ? dw : nil) }
            if hasBias { grads.append(needs[grads.count] ? db : nil) }
            return grads
        }
        return (result, mean, variance, count)
    }

    /// `x · scale[c] + shift[c]` per channel with constant `scale` and `shift` (evaluation-mode batch
    /// normalisation with its statistics folded in); `weight`/`bias` gradients follow from the chain rule.
    public static func channelAffine(_ input: Variable, scale: Tensor, shift: Tensor) throws -> Variable {
        let out = try input.value.channelAffine(scale: scale, shift: shift)
        let zero = try Tensor.zeros(scale.shape)
        return record("channelAffine", out, [input]) { g, _ in [try g.channelAffine(scale: scale, shift: zero)] }
    }
}
