import S2IGANAutograd

/// Layers applied in order; children are named `0`, `1`, … as in `torch.nn.Sequential`.
public final class Sequential: Module, Layer {
    public let layers: [any Layer]

    public init(_ layers: [any Layer]) {
        self.layers = layers
        super.init()
    }

    public convenience init(_ layers: any Layer...) { self.init(layers) }

    override public var namedChildren: [(String, Module)] { layers.enumerated().map { ("\($0.offset)", $0.element) } }

    public func callAsFunction(_ input: Variable) throws -> Variable {
        try layers.reduce(input) { try $1($0) }
    }
}
