import S2IGANTensor

// Convolution, pooling and resizing: the backward kernels live in the Tensor layer beside the forward ones.
extension Variable {
    /// `F.conv2d`: input `[N, C, H, W]`, weight `[outC, C/groups, kH, kW]`, optional bias `[outC]`.
    public static func conv2d(_ input: Variable, weight: Variable, bias: Variable? = nil, stride: IntPair = 1,
                              padding: IntPair = 0, dilation: IntPair = 1, groups: Int = 1) throws -> Variable {
        try conv2d(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups, relu: false)
    }

    /// `relu(F.conv2d(…))` in one pass over the output (the rectifier is applied where the bias is added); the
    /// backward pass masks the gradient with the output's sign and continues as `conv2d`'s.
    public static func conv2dReLU(_ input: Variable, weight: Variable, bias: Variable? = nil, stride: IntPair = 1,
                                  padding: IntPair = 0, dilation: IntPair = 1, groups: Int = 1) throws -> Variable {
        try conv2d(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups, relu: true)
    }

    private static func conv2d(_ input: Variable, weight: Variable, bias: Variable?, stride: IntPair, padding: IntPair,
                               dilation: IntPair, groups: Int, relu: Bool) throws -> Variable {
        let x = input.value, w = weight.value
        let out = try Tensor.conv2d(x, weight: w, bias: bias?.value, stride: stride, padding: padding,
                                    dilation: dilation, groups: groups, relu: relu)
        let inputs = bias.map { [input, weight, $0] } ?? [input, weight]
        return record(relu ? "conv2dReLU" : "conv2d", out, inputs) { gradient, needs in
            // y = relu(z) passes the gradient where y > 0, which is where z > 0.
            let g = relu ? try Tensor.leakyReluGradient(gradient, input: out) : gradient
            var grads: [Tensor?] = [
                needs[0] ? try Tensor.conv2dBackwardInput(g, weight: w, inputShape: x.shape, stride: stride, padding: padding,
                                                          dilation: dilation, groups: groups) : nil,
                needs[1] ? try Tensor.conv2dBackwardWeight(g, input: x, weightShape: w.shape, stride: stride, padding: padding,
                                                           dilation: dilation, groups: groups) : nil,
            ]
            if needs.count > 2 { grads.append(needs[2] ? try g.channelSums() : nil) }
            return grads
        }
    }

    /// `F.conv2d(torch.cat([constant tiled to H × W, input], 1), weight, padding=p)` — a stride-1 convolution
    /// whose first input channels hold the same value everywhere (a per-sample vector `constant` `[N, Cc]`,
    /// as conditioning codes are fed to convolutions), with a `(2p+1) × (2p+1)` kernel. Computed without
    /// tiling: the constant channels' share of the output is the convolution of a `(2p+1) × (2p+1)` constant
    /// map, stretched to `H × W` (``Tensor/stretchedMiddle(height:width:)``), so only `input`'s channels go
    /// through the full-size convolution. Exact (up to summation order); `weight` is
    /// `[outC, Cc + C, 2p+1, 2p+1]`, the layout of the concatenated form. Falls back to tiling when the map
    /// is smaller than the kernel.
    public static func conv2d(_ input: Variable, constantChannels constant: Variable, weight: Variable, bias: Variable? = nil,
                              padding: Int) throws -> Variable {
        guard input.rank == 4, constant.rank == 2, weight.rank == 4, constant.shape[0] == input.shape[0],
              weight.shape[1] == constant.shape[1] + input.shape[1] else {
            throw TensorError.shapeMismatch("conv2d: input \(input.shape) with constant channels \(constant.shape) does not match weight \(weight.shape)")
        }
        let (n, cc) = (constant.shape[0], constant.shape[1])
        let (height, width, kernel) = (input.shape[2], input.shape[3], 2 * padding + 1)
        guard padding >= 0, weight.shape[2] == kernel, weight.shape[3] == kernel, height >= kernel, width >= kernel else {
            let tiled = try constant.reshaped([n, cc, 1, 1]).broadcast(to: [n, cc, height, width])
            return try conv2d(concatenate([tiled, input], axis: 1), weight: weight, bias: bias, padding: IntPair(padding, padding))
        }
        let small = try constant.reshaped([n, cc, 1, 1]).broadcast(to: [n, cc, kernel, kernel])
        let constantPart = try conv2d(small, weight: weight.slice(axis: 1, end: cc), padding: IntPair(padding, padding))
        let stretched = record("stretchedMiddle", try constantPart.value.stretchedMiddle(height: height, width: width),
                               [constantPart]) { g, _ in
            [try g.stretchedMiddleBackward(height: kernel, width: kernel)]
        }
        let inputPart = try conv2d(input, weight: weight.slice(axis: 1, start: cc), bias: bias, padding: IntPair(padding, padding))
        return try inputPart + stretched
    }

    /// `F.conv1d`: input `[N, C, L]`, weight `[outC, C/groups, k]`, optional bias `[outC]` — a 2-D
    /// convolution over a height of one.
    public static func conv1d(_ input: Variable, weight: Variable, bias: Variable? = nil, stride: Int = 1,
                              padding: Int = 0, dilation: Int = 1, groups: Int = 1) throws -> Variable {
        guard input.rank == 3, weight.rank == 3 else {
            throw TensorError.shapeMismatch("conv1d: input must be [N, C, L] and weight [outC, C/groups, k], got \(input.shape) and \(weight.shape)")
        }
        return try conv2d(input.unsqueezed(axis: 2), weight: weight.unsqueezed(axis: 2), bias: bias, stride: IntPair(1, stride),
                          padding: IntPair(0, padding), dilation: IntPair(1, dilation), groups: groups).squeezed(axis: 2)
    }

    public func maxPool2d(kernel: IntPair, stride: IntPair? = nil, padding: IntPair = 0, ceilMode: Bool = false) throws -> Variable {
        let shape = self.shape
        guard GradientMode.isEnabled && requiresGrad else {
            return Variable(try Tensor.maxPool2dValues(value, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode))
        }
        let (out, indices) = try Tensor.maxPool2d(value, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
        return Variable.record("maxPool2d", out, [self]) { g, _ in
            [try Tensor.maxPool2dBackward(g, indices: indices, inputShape: shape)]
        }
    }

    public func avgPool2d(kernel: IntPair, stride: IntPair? = nil, padding: IntPair = 0, ceilMode: Bool = false,
                          countIncludePad: Bool = true) throws -> Variable {
        let shape = self.shape
        let out = try Tensor.avgPool2d(value, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode,
                                       countIncludePad: countIncludePad)
        return Variable.record("avgPool2d", out, [self]) { g, _ in
            [try Tensor.avgPool2dBackward(g, inputShape: shape, kernel: kernel, stride: stride, padding: padding,
                                          ceilMode: ceilMode, countIncludePad: countIncludePad)]
        }
    }

    public func upsampledNearest(scale: Int) throws -> Variable {
        Variable.record("upsampleNearest", try value.upsampledNearest(scale: scale), [self]) { g, _ in
            [try g.upsampleNearestBackward(scale: scale)]
        }
    }

    public func resizedBilinear(height: Int, width: Int) throws -> Variable {
        let (h, w) = (shape[2], shape[3])
        return Variable.record("resizeBilinear", try value.resizedBilinear(height: height, width: width), [self]) { g, _ in
            [try g.resizeBilinearBackward(height: h, width: w)]
        }
    }
}
