import S2IGANAutograd
import S2IGANTensor

/// `torch.nn.MaxPool2d`.
public final class MaxPool2d: Module, Layer {
    public let kernel: IntPair, stride: IntPair?, padding: IntPair, ceilMode: Bool
    public init(kernel: IntPair, stride: IntPair? = nil, padding: IntPair = 0, ceilMode: Bool = false) {
        (self.kernel, self.stride, self.padding, self.ceilMode) = (kernel, stride, padding, ceilMode)
        super.init()
    }
    public func callAsFunction(_ input: Variable) throws -> Variable {
        try input.maxPool2d(kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
    }
}

/// `torch.nn.AvgPool2d`, with either `count_include_pad` setting.
public final class AvgPool2d: Module, Layer {
    public let kernel: IntPair, stride: IntPair?, padding: IntPair, ceilMode: Bool, countIncludePad: Bool
    public init(kernel: IntPair, stride: IntPair? = nil, padding: IntPair = 0, ceilMode: Bool = false, countIncludePad: Bool = true) {
        (self.kernel, self.stride, self.padding, self.ceilMode, self.countIncludePad) = (kernel, stride, padding, ceilMode, countIncludePad)
        super.init()
    }
    public func callAsFunction(_ input: Variable) throws -> Variable {
        try input.avgPool2d(kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad)
    }
}

/// `torch.nn.MaxPool1d` on `[N, C, L]`.
public final class MaxPool1d: Module, Layer {
    public let kernel: Int, stride: Int?, padding: Int, ceilMode: Bool
    public init(kernel: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false) {
        (self.kernel, self.stride, self.padding, self.ceilMode) = (kernel, stride, padding, ceilMode)
        super.init()
    }
    public func callAsFunction(_ input: Variable) throws -> Variable {
        guard input.rank == 3 else { throw NNError.shapeMismatch("MaxPool1d: input must be [N, C, L], got \(input.shape)") }
        return try input.unsqueezed(axis: 2)
            .maxPool2d(kernel: IntPair(1, kernel), stride: IntPair(1, stride ?? kernel), padding: IntPair(0, padding), ceilMode: ceilMode)
            .squeezed(axis: 2)
    }
}

/// `torch.nn.AvgPool1d` on `[N, C, L]`.
public final class AvgPool1d: Module, Layer {
    public let kernel: Int, stride: Int?, padding: Int, ceilMode: Bool, countIncludePad: Bool
    public init(kernel: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false, countIncludePad: Bool = true) {
        (self.kernel, self.stride, self.padding, self.ceilMode, self.countIncludePad) = (kernel, stride, padding, ceilMode, countIncludePad)
        super.init()
    }
    public func callAsFunction(_ input: Variable) throws -> Variable {
        guard input.rank == 3 else { throw NNError.shapeMismatch("AvgPool1d: input must be [N, C, L], got \(input.shape)") }
        return try input.unsqueezed(axis: 2)
            .avgPool2d(kernel: IntPair(1, kernel), stride: IntPair(1, stride ?? kernel), padding: IntPair(0, padding),
                       ceilMode: ceilMode, countIncludePad: countIncludePad)
            .squeezed(axis: 2)
    }
}

/// The mean of each channel: `[N, C, H, W] → [N, C, 1, 1]`, as `AdaptiveAvgPool2d(1)`.
public final class GlobalAvgPool2d: Module, Layer {
    override public init() { super.init() }
    public func callAsFunction(_ input: Variable) throws -> Variable {
        guard input.rank == 4 else { throw NNError.shapeMismatch("GlobalAvgPool2d: input must be [N, C, H, W], got \(input.shape)") }
        return try input.mean(axes: [2, 3], keepDims: true)
    }
}

/// Nearest-neighbour upsampling by an integer factor (`nn.Upsample(scale_factor: k, mode: 'nearest')`).
public final class UpsampleNearest: Module, Layer {
    public let scale: Int
    public init(scale: Int = 2) {
        self.scale = scale
        super.init()
    }
    public func callAsFunction(_ input: Variable) throws -> Variable { try input.upsampledNearest(scale: scale) }
}

/// Flattens axes `startAxis...` into one (`nn.Flatten`).
public final class Flatten: Module, Layer {
    public let startAxis: Int
    public init(startAxis: Int = 1) {
        self.startAxis = startAxis
        super.init()
    }
    public func callAsFunction(_ input: Variable) throws -> Variable { try input.flattened(from: startAxis) }
}
