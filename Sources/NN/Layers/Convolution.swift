import S2IGANAutograd
import S2IGANTensor

/// 2-D convolution (`torch.nn.Conv2d`), PyTorch's default initialisation (Kaiming-uniform a = √5 on
/// fan-in = inChannels/groups × kH × kW; bias uniform in ±1/√fan-in).
public final class Conv2d: Module, Layer {
    public let weight: Variable
    public let bias: Variable?
    public let stride: IntPair, padding: IntPair, dilation: IntPair
    public let groups: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: IntPair, stride: IntPair = 1, padding: IntPair = 0,
                dilation: IntPair = 1, groups: Int = 1, bias: Bool = true) throws {
        guard inChannels > 0, outChannels > 0, groups > 0, inChannels % groups == 0, outChannels % groups == 0,
              kernelSize.height > 0, kernelSize.width > 0 else {
            throw NNError.invalidConfiguration("Conv2d: invalid channels \(inChannels) → \(outChannels), kernel \(kernelSize), groups \(groups)")
        }
        let fanIn = inChannels / groups * kernelSize.height * kernelSize.width
        weight = .parameter(try Initialization.kaimingUniform([outChannels, inChannels / groups, kernelSize.height, kernelSize.width],
                                                              a: Float(5).squareRoot()))
        self.bias = bias ? .parameter(try Initialization.uniform([outChannels], bound: 1 / Float(fanIn).squareRoot())) : nil
        (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
        super.init()
    }

    public func callAsFunction(_ input: Variable) throws -> Variable {
        try Variable.conv2d(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

/// 1-D convolution (`torch.nn.Conv1d`), with PyTorch's default initialisation.
public final class Conv1d: Module, Layer {
    public let weight: Variable
    public let bias: Variable?
    public let stride: Int, padding: Int, dilation: Int, groups: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true) throws {
        guard inChannels > 0, outChannels > 0, groups > 0, inChannels % groups == 0, outChannels % groups == 0, kernelSize > 0 else {
            throw NNError.invalidConfiguration("Conv1d: invalid channels \(inChannels) → \(outChannels), kernel \(kernelSize), groups \(groups)")
        }
        let fanIn = inChannels / groups * kernelSize
        weight = .parameter(try Initialization.kaimingUniform([outChannels, inChannels / groups, kernelSize], a: Float(5).squareRoot()))
        self.bias = bias ? .parameter(try Initialization.uniform([outChannels], bound: 1 / Float(fanIn).squareRoot())) : nil
        (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
        super.init()
    }

    public func callAsFunction(_ input: Variable) throws -> Variable {
        try Variable.conv1d(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}
