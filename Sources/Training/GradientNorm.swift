import S2IGANNN

/// One parameter's gradient norm when its network's optimiser stepped: what the step dumps of both trainers
/// (`sen step --dump`, `gan step --dump`) record for comparison with the reference's.
public struct GradientNorm: Codable, Equatable, Sendable {
    /// The network, under the reference's file name stem (`audio`, `image`, `class`; `netG`, `netD0`, `netMD`).
    public var network: String
    /// The state-dict name.
    public var parameter: String
    /// The L2 norm (0 for a parameter that received no gradient).
    public var norm: Float

    public init(network: String, parameter: String, norm: Float) {
        (self.network, self.parameter, self.norm) = (network, parameter, norm)
    }

    /// The norms of every parameter of `module`, in state-dict order, summed in Double.
    public static func of(_ module: Module, as network: String) -> [GradientNorm] {
        module.namedParameters().map { name, p in
            let squares = p.grad?.scalars.reduce(0.0) { $0 + Double($1) * Double($1) } ?? 0
            return GradientNorm(network: network, parameter: name, norm: Float(squares.squareRoot()))
        }
    }
}
