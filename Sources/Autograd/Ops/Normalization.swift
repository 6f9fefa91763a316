import Tensor

extension Variable {
    /// Batch normalisation in training mode over every axis but 1 (channels): `y = (x − mean) /
    /// sqrt(var + eps) · weight + bias` with the biased batch variance. Returns the output with the batch
    /// mean and biased variance (for the running statistics). The backward pass is the fused formula
    /// `dx = (weight / σ) · (g − mean(g) − x̂ · mean(g · x̂))`.
    public static func batchNormTraining(_ input: Variable, weight: Variable?, bias: Variable?, epsilon: Float)
        throws -> (output: Variable, mean: Tensor, variance: Tensor) {
        let x = input.value
        guard x.rank >= 2 else { throw TensorError.shapeMismatch("batchNorm: input must be [N, C, ...], got \(x.shape)") }
        let channels = x.shape[1]
        let axes = [0] + Array(2..<x.rank)
        var statShape = [Int](repeating: 1, count: x.rank)
        statShape[1] = channels
        for p in [weight, bias].compactMap({ $0 }) where p.shape != [channels] {
            throw TensorError.shapeMismatch("batchNorm: parameter of shape \(p.shape) for \(channels) channels")
        }
        let mean = try x.mean(axes: axes, keepDims: true)
        let variance = try x.variance(axes: axes, correction: 0, keepDims: true)
        let inv = (variance + epsilon).pow(-0.5)
        let normalized = try (x - mean) * inv
        var out = normalized
        if let weight { out = try out * weight.value.reshaped(statShape) }
        if let bias { out = try out + bias.value.reshaped(statShape) }
        var inputs = [input]
        if let weight { inputs.append(weight) }
        if let bias { inputs.append(bias) }
        let gamma = try weight.map { try $0.value.reshaped(statShape) } ?? Tensor.ones(statShape)
        let (hasWeight, hasBias) = (weight != nil, bias != nil)
        let result = record("batchNorm", out, inputs) { g, needs in
            var grads: [Tensor?] = []
            if needs[0] {
                let gMean = try g.mean(axes: axes, keepDims: true)
                let gxMean = try (g * normalized).mean(axes: axes, keepDims: true)
                grads.append(try (g - gMean - normalized * gxMean) * (gamma * inv))
            } else {
                grads.append(nil)
            }
            var next = 1
            if hasWeight {
                grads.append(needs[next] ? try (g * normalized).sum(axes: axes) : nil)
                next += 1
            }
            if hasBias { grads.append(needs[next] ? try g.sum(axes: axes) : nil) }
            return grads
        }
        return (result, try mean.reshaped([channels]), try variance.reshaped([channels]))
    }
}
