import Foundation
import S2IGANTensor

// Losses with their own backward where composing primitives would differ from PyTorch at the edges.
extension Variable {
    /// Mean binary cross-entropy of probabilities against targets in [0, 1], with each log clamped at
    /// −100 and the gradient `(p − t) / max(p(1 − p), 1e-12)` (PyTorch's `binary_cross_entropy`).
    public static func binaryCrossEntropy(_ probabilities: Variable, targets: Tensor) throws -> Variable {
        let p = probabilities.value
        guard p.shape == targets.shape else {
            throw TensorError.shapeMismatch("binaryCrossEntropy: probabilities \(p.shape) and targets \(targets.shape) differ")
        }
        let n = Float(Swift.max(p.count, 1))
        var total: Double = 0
        try p.withUnsafeBufferPointer { pp in
            try targets.withUnsafeBufferPointer { tp in
                for i in 0..<pp.count {
                    let x = pp[i], t = tp[i]
                    guard x >= 0 && x <= 1 else {
                        throw TensorError.invalidArgument("binaryCrossEntropy: probability \(x) at position \(i) is outside [0, 1]")
                    }
                    let logP = Swift.max(Double(logf(x)), -100), log1mP = Swift.max(Double(logf(1 - x)), -100)
                    total -= Double(t) * logP + Double(1 - t) * log1mP
                }
            }
        }
        let out = Tensor(Float(total / Double(n)))
        return record("binaryCrossEntropy", out, [probabilities]) { g, _ in
            let scale = try g.item() / n
            let denominator = try (p * (1 - p)).clamped(min: 1e-12)
            return [try (p - targets) / denominator * scale]
        }
    }

    /// Mean binary cross-entropy on logits, `max(z, 0) − z·t + log(1 + e^(−|z|))` (stable for any z).
    public static func binaryCrossEntropyWithLogits(_ logits: Variable, targets: Tensor) throws -> Variable {
        let z = logits.value
        guard z.shape == targets.shape else {
            throw TensorError.shapeMismatch("binaryCrossEntropyWithLogits: logits \(z.shape) and targets \(targets.shape) differ")
        }
        let n = Float(Swift.max(z.count, 1))
        let perElement = try z.relu() - z * targets + (1 + (-z.abs()).exp()).log()
        let out = try perElement.mean()
        return record("binaryCrossEntropyWithLogits", out, [logits]) { g, _ in
            [try (z.sigmoid() - targets) * (try g.item() / n)]
        }
    }

    /// Mean cross-entropy of logits `[N, C]` against class indices (`F.cross_entropy`); logits may be −∞
    /// (masked classes) as long as the target class is finite.
    public static func crossEntropy(_ logits: Variable, targets: [Int]) throws -> Variable {
        guard logits.rank == 2, logits.shape[0] == targets.count else {
            throw TensorError.shapeMismatch("crossEntropy: logits \(logits.shape) need one row per target (\(targets.count))")
        }
        let classes = logits.shape[1]
        for (i, t) in targets.enumerated() where t < 0 || t >= classes {
            throw TensorError.invalidArgument("crossEntropy: target \(t) of row \(i) is not one of the \(classes) classes")
        }
        let picked = try logits.logSoftmax(axis: 1).gather(axis: 1, index: IndexTensor(shape: [targets.count, 1], indices: targets))
        return try -picked.mean()
    }

    /// Mean squared error.
    public static func meanSquaredError(_ prediction: Variable, _ target: Variable) throws -> Variable {
        try (prediction - target).square().mean()
    }

    /// The KL divergence of N(μ, e^logvar) from N(0, I) as the S2IGAN conditioning augmentation computes
    /// it: `−0.5 · mean(1 + logvar − μ² − e^logvar)` over all elements.
    public static func gaussianKLDivergence(mean mu: Variable, logVariance logvar: Variable) throws -> Variable {
        let terms = try (logvar + 1) - mu.square() - logvar.exp()
        return try terms.mean() * -0.5
    }
}
