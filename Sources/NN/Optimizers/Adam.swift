import S2IGANAutograd
import Foundation
import S2IGANTensor
import S2IGANFormats

/// Adam (`torch.optim.Adam`), with L2 weight decay added to the gradient, or — with `decoupled` —
/// AdamW's decay of the parameters themselves. The arithmetic follows PyTorch's single-tensor
/// implementation step by step, so trajectories match it to float32 rounding.
public final class Adam: Optimizer {
    public let parameters: [Variable]
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    public let decoupled: Bool
    private var state: OptimizerState

    public init(parameters: [Variable], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
                epsilon: Float = 1e-8, weightDecay: Float = 0, decoupled: Bool = false) throws {
        guard learningRate >= 0, epsilon >= 0, weightDecay >= 0, (0..<1).contains(betas.0), (0..<1).contains(betas.1) else {
            throw NNError.invalidConfiguration("Adam: invalid learning rate \(learningRate), betas \(betas), epsilon \(epsilon) or weight decay \(weightDecay)")
        }
        self.parameters = parameters
        (self.learningRate, beta1, beta2, self.epsilon, self.weightDecay, self.decoupled) =
            (learningRate, betas.0, betas.1, epsilon, weightDecay, decoupled)
        state = OptimizerState(kind: decoupled ? "AdamW" : "Adam", slotNames: ["exp_avg", "exp_avg_sq"],
                               parameterCount: parameters.count)
    }

    /// AdamW (`torch.optim.AdamW`): decoupled weight decay, default 0.01.
    public static func adamW(parameters: [Variable], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
                             epsilon: Float = 1e-8, weightDecay: Float = 1e-2) throws -> Adam {
        try Adam(parameters: parameters, learningRate: learningRate, betas: betas, epsilon: epsilon,
                 weightDecay: weightDecay, decoupled: true)
    }

    public func step() throws {
        for i in parameters.indices {
            guard let grad = try validatedGradient(i) else { continue }
            let p = parameters[i]
            state.steps[i] += 1
            let t = Double(state.steps[i])
            let stepSize = Float(Double(learningRate) / (1 - Foundation.pow(Double(beta1), t)))
            let correction2 = Float((1 - Foundation.pow(Double(beta2), t)).squareRoot())
            // Taken out of the state while updated, so that they are uniquely referenced and change in place.
            var m = try state.slots[0][i] ?? Tensor.zeros(p.value.shape)
            var v = try state.slots[1][i] ?? Tensor.zeros(p.value.shape)
            state.slots[0][i] = nil
            state.slots[1][i] = nil
            let rule = Rule(beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, learningRate: learningRate,
                            decoupled: decoupled, stepSize: stepSize, correction2: correction2)
            p.value.withUnsafeMutableBufferPointer { x in
                m.withUnsafeMutableBufferPointer { mp in
                    v.withUnsafeMutableBufferPointer { vp in
                        grad.withUnsafeBufferPointer { gp in
                            Parallel.forRanges(x.count, cost: 16) { range in
                                rule.apply(x.baseAddress!, mp.baseAddress!, vp.baseAddress!, gp.baseAddress!, range)
                            }
                        }
                    }
                }
            }
            state.slots[0][i] = m
            state.slots[1][i] = v
        }
    }

    /// One step's constants and the element-wise update.
    private struct Rule {
        let beta1, beta2, epsilon, weightDecay, learningRate: Float
        let decoupled: Bool
        let stepSize, correction2: Float

        func apply(_ x: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>,
                   _ grad: UnsafePointer<Float>, _ range: Range<Int>) {
            let weight = 1 - beta1
            for j in range {
                var g = grad[j]
                if decoupled {
                    x[j] *= 1 - learningRate * weightDecay
                } else if weightDecay != 0 {
                    g += weightDecay * x[j]
                }
                // torch.lerp's two formulas, chosen by the weight as PyTorch does.
                m[j] = weight < 0.5 ? m[j] + weight * (g - m[j]) : g - (g - m[j]) * (1 - weight)
                v[j] = v[j] * beta2 + (1 - beta2) * g * g
                let denominator = v[j].squareRoot() / correction2 + epsilon
                x[j] += -stepSize * (m[j] / denominator)
            }
        }
    }

    public func stateDict() throws -> SafeTensorsFile { state.file(learningRate: learningRate) }

    public func load(stateDict: SafeTensorsFile) throws {
        let (loaded, lr) = try state.read(stateDict, parameters: parameters)
        state = loaded
        learningRate = lr
    }
}
