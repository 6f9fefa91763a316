/// The shapes of one 2-D pooling window sweep (PyTorch `max_pool2d` / `avg_pool2d` rules, including
/// `ceil_mode`, where the last window must start inside the input or its left padding).
public struct Pool2dGeometry: Sendable, Equatable {
    public let batch, channels, height, width: Int
    public let kernel, stride, padding: IntPair
    public let ceilMode: Bool
    public let outHeight, outWidth: Int

    public init(inputShape: [Int], kernel: IntPair, stride: IntPair? = nil, padding: IntPair = 0, ceilMode: Bool = false) throws {
        guard inputShape.count == 4 else {
            throw TensorError.shapeMismatch("pool2d: input must be [N, C, H, W], got \(inputShape)")
        }
        let stride = stride ?? kernel
        guard kernel.height > 0 && kernel.width > 0 && stride.height > 0 && stride.width > 0 else {
            throw TensorError.invalidArgument("pool2d: kernel \(kernel) and stride \(stride) must be positive")
        }
        guard padding.height >= 0 && padding.width >= 0 && 2 * padding.height <= kernel.height && 2 * padding.width <= kernel.width else {
            throw TensorError.invalidArgument("pool2d: padding \(padding) must be at most half the kernel \(kernel)")
        }
        (batch, channels, height, width) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        (self.kernel, self.stride, self.padding, self.ceilMode) = (kernel, stride, padding, ceilMode)
        func outSize(_ n: Int, _ k: Int, _ s: Int, _ p: Int) -> Int {
            let span = n + 2 * p - k
            if span < 0 { return 0 }
            var o = (span + (ceilMode ? s - 1 : 0)) / s + 1
            if ceilMode && (o - 1) * s >= n + p { o -= 1 }
            return o
        }
        outHeight = outSize(height, kernel.height, stride.height, padding.height)
        outWidth = outSize(width, kernel.width, stride.width, padding.width)
        guard outHeight > 0 && outWidth > 0 else {
            throw TensorError.shapeMismatch("pool2d: kernel \(kernel) with padding \(padding) does not fit input \(height)×\(width)")
        }
    }

    public var outputShape: [Int] { [batch, channels, outHeight, outWidth] }
    var planes: Int { batch * channels }
}

extension Tensor {
    /// Max pooling, as `torch.nn.functional.max_pool2d(..., return_indices=True)`: the indices are
    /// flat positions `y * W + x` inside each input plane (padding never wins). NaN propagates.
    public static func maxPool2d(_ input: Tensor, kernel: IntPair, stride: IntPair? = nil, padding: IntPair = 0,
                                 ceilMode: Bool = false) throws -> (output: Tensor, indices: IndexTensor) {
        let g = try Pool2dGeometry(inputShape: input.shape, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
        let result = Tensor(uninitializedShape: g.outputShape)
        var indices = [Int](repeating: 0, count: result.count)
        indices.withUnsafeMutableBufferPointer { idx in
            maxPoolKernel(g, input.storage.pointer, result.storage.pointer, idx.baseAddress)
        }
        return (result, IndexTensor(validShape: g.outputShape, indices: indices))
    }

    /// Max pooling without the winning positions, for evaluation (no gradient to route back).
    public static func maxPool2dValues(_ input: Tensor, kernel: IntPair, stride: IntPair? = nil, padding: IntPair = 0,
                                       ceilMode: Bool = false) throws -> Tensor {
        let g = try Pool2dGeometry(inputShape: input.shape, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
        let result = Tensor(uninitializedShape: g.outputShape)
        if g.padding == IntPair(0, 0) && !ceilMode {
            separableMaxPool(g, input.storage.pointer, result.storage.pointer)
        } else {
            maxPoolKernel(g, input.storage.pointer, result.storage.pointer, nil)
        }
        return result
    }

    /// The larger of two values, NaN if either is NaN (`torch.max` semantics), in a form that vectorises.
    @inline(__always) static func propagatingMax(_ a: Float, _ b: Float) -> Float { a > b || a != a ? a : b }

    /// Max pooling without padding or ceil mode (every window lies inside the input), separably: the maximum over
    /// the window's rows for every column of a row band, then over each window's columns.
    private static func separableMaxPool(_ g: Pool2dGeometry, _ x: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
        let (h, w, oh, ow) = (g.height, g.width, g.outHeight, g.outWidth)
        let (kh, kw, sh, sw) = (g.kernel.height, g.kernel.width, g.stride.height, g.stride.width)
        Parallel.forRanges(g.planes, cost: oh * ow * kh * kw) { planes in
            let columns = UnsafeMutablePointer<Float>.allocate(capacity: w)
            defer { columns.deallocate() }
            for plane in planes {
                let src = x + plane * h * w
                let dst = out + plane * oh * ow
                for y in 0..<oh {
                    let top = src + y * sh * w
                    columns.update(from: top, count: w)
                    for r in 1..<kh {
                        let row = top + r * w
                        for ix in 0..<w { columns[ix] = propagatingMax(columns[ix], row[ix]) }
                    }
                    let line = dst + y * ow
                    for xo in 0..<ow {
                        let start = columns + xo * sw
                        var best = start[0]
                        for k in 1..<kw { best = propagatingMax(best, start[k]) }
                        line[xo] = best
                    }
                }
            }
        }
    }

    private static func maxPoolKernel(_ g: Pool2dGeometry, _ x: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                                      _ ip: UnsafeMutablePointer<Int>?) {
        let (h, w, oh, ow) = (g.height, g.width, g.outHeight, g.outWidth)
        Parallel.forRanges(g.planes, cost: oh * ow * g.kernel.height * g.kernel.width) { planes in
            for plane in planes {
                let src = x + plane * h * w
                for y in 0..<oh {
                    let y0 = y * g.stride.height - g.padding.height
                    let yStart = Swift.max(y0, 0), yEnd = Swift.min(y0 + g.kernel.height, h)
                    for xo in 0..<ow {
                        let x0 = xo * g.stride.width - g.padding.width
                        let xStart = Swift.max(x0, 0), xEnd = Swift.min(x0 + g.kernel.width, w)
                        var best = -Float.infinity
                        var at = yStart * w + xStart
                        search: for iy in yStart..<yEnd {
                            for ix in xStart..<xEnd {
                                let v = src[iy * w + ix]
                                if v > best || v.isNaN {
                                    best = v
                                    at = iy * w + ix
                                    if v.isNaN { break search }
                                }
                            }
                        }
                        out[(plane * oh + y) * ow + xo] = best
                        ip?[(plane * oh + y) * ow + xo] = at
                    }
                }
            }
        }
    }

    /// Gradient of `maxPool2d` with respect to its input: each output gradient goes to the position
    /// that won its window (accumulating where windows overlap).
    public static func maxPool2dBackward(_ gradOutput: Tensor, indices: IndexTensor, inputShape: [Int]) throws -> Tensor {
        guard inputShape.count == 4, gradOutput.rank == 4, indices.shape == gradOutput.shape,
              gradOutput.shape[0] == inputShape[0], gradOutput.shape[1] == inputShape[1] else {
            throw TensorError.shapeMismatch("maxPool2dBackward: gradient \(gradOutput.shape), indices \(indices.shape) and input \(inputShape) do not match")
        }
        let result = try Tensor.zeros(inputShape)
        let planeIn = inputShape[2] * inputShape[3]
        let planeOut = gradOutput.shape[2] * gradOutput.shape[3]
        let gy = gradOutput.storage.pointer, gx = result.storage.pointer
        for i in indices.indices where i < 0 || i >= planeIn {
            throw TensorError.invalidArgument("maxPool2dBackward: index \(i) is outside an input plane of \(planeIn) values")
        }
        indices.indices.withUnsafeBufferPointer { idx in
            Parallel.forRanges(inputShape[0] * inputShape[1], cost: planeOut) { planes in
                for plane in planes {
                    for j in 0..<planeOut {
                        gx[plane * planeIn + idx[plane * planeOut + j]] += gy[plane * planeOut + j]
                    }
                }
            }
        }
        return result
    }

    /// Average pooling, as `torch.nn.functional.avg_pool2d`. With `countIncludePad` the divisor is the
    /// window size clipped to the padded input; without, the number of real input values in the window.
    public static func avgPool2d(_ input: Tensor, kernel: IntPair, stride: IntPair? = nil, padding: IntPair = 0,
                                 ceilMode: Bool = false, countIncludePad: Bool = true) throws -> Tensor {
        let g = try Pool2dGeometry(inputShape: input.shape, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
        let result = Tensor(uninitializedShape: g.outputShape)
        let x = input.storage.pointer, out = result.storage.pointer
        if g.stride == IntPair(1, 1) {
            g.unitStrideAverage(x, out, countIncludePad: countIncludePad)
            return result
        }
        let (h, w, oh, ow) = (g.height, g.width, g.outHeight, g.outWidth)
        Parallel.forRanges(g.planes, cost: oh * ow * g.kernel.height * g.kernel.width) { planes in
            for plane in planes {
                let src = x + plane * h * w
                for y in 0..<oh {
                    for xo in 0..<ow {
                        let (ys, ye, xs, xe, divisor) = g.averageWindow(y, xo, countIncludePad: countIncludePad)
                        var acc: Float = 0
                        for iy in ys..<ye { for ix in xs..<xe { acc += src[iy * w + ix] } }
                        out[(plane * oh + y) * ow + xo] = acc / divisor
                    }
                }
            }
        }
        return result
    }

    /// Gradient of `avgPool2d` with respect to its input.
    public static func avgPool2dBackward(_ gradOutput: Tensor, inputShape: [Int], kernel: IntPair, stride: IntPair? = nil,
                                         padding: IntPair = 0, ceilMode: Bool = false, countIncludePad: Bool = true) throws -> Tensor {
        let g = try Pool2dGeometry(inputShape: inputShape, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
        guard gradOutput.shape == g.outputShape else {
            throw TensorError.shapeMismatch("avgPool2dBackward: gradient \(gradOutput.shape) does not match output \(g.outputShape)")
        }
        let result = try Tensor.zeros(inputShape)
        let gy = gradOutput.storage.pointer, gx = result.storage.pointer
        let (h, w, oh, ow) = (g.height, g.width, g.outHeight, g.outWidth)
        Parallel.forRanges(g.planes, cost: oh * ow * g.kernel.height * g.kernel.width) { planes in
            for plane in planes {
                let dst = gx + plane * h * w
                for y in 0..<oh {
                    for xo in 0..<ow {
                        let (ys, ye, xs, xe, divisor) = g.averageWindow(y, xo, countIncludePad: countIncludePad)
                        let v = gy[(plane * oh + y) * ow + xo] / divisor
                        for iy in ys..<ye { for ix in xs..<xe { dst[iy * w + ix] += v } }
                    }
                }
            }
        }
        return result
    }
}

extension Pool2dGeometry {
    /// Stride-1 average pooling (Inception's 3 × 3 pool branches) as two passes: window sums along each
    /// row, then sums of those along each column, divided by the factorised window count.
    func unitStrideAverage(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, countIncludePad: Bool) {
        let (h, w, oh, ow) = (height, width, outHeight, outWidth)
        let columns = (0..<ow).map {
            Pool2dGeometry.window($0, stride: stride.width, padding: padding.width, kernel: kernel.width, size: width,
                                  countIncludePad: countIncludePad)
        }
        let rows = (0..<oh).map {
            Pool2dGeometry.window($0, stride: stride.height, padding: padding.height, kernel: kernel.height, size: height,
                                  countIncludePad: countIncludePad)
        }
        Parallel.forRanges(planes, cost: oh * ow * (kernel.height + kernel.width)) { planeRange in
            let sums = UnsafeMutablePointer<Float>.allocate(capacity: h * ow)
            defer { sums.deallocate() }
            for plane in planeRange {
                let src = x + plane * h * w, dst = out + plane * oh * ow
                for iy in 0..<h {
                    let line = src + iy * w, target = sums + iy * ow
                    for xo in 0..<ow {
                        var acc: Float = 0
                        for ix in columns[xo].start..<columns[xo].end { acc += line[ix] }
                        target[xo] = acc
                    }
                }
                for y in 0..<oh {
                    let row = dst + y * ow
                    row.update(repeating: 0, count: ow)
                    for iy in rows[y].start..<rows[y].end {
                        let line = sums + iy * ow
                        for xo in 0..<ow { row[xo] += line[xo] }
                    }
                    for xo in 0..<ow { row[xo] /= Float(Swift.max(rows[y].count * columns[xo].count, 1)) }
                }
            }
        }
    }

    /// One axis of an averaging window (PyTorch's rule: the window is first clipped to the padded input for
    /// the padded count, then to the input itself): the input range and the count it contributes.
    @inline(__always)
    static func window(_ o: Int, stride: Int, padding: Int, kernel: Int, size: Int, countIncludePad: Bool) -> (start: Int, end: Int, count: Int) {
        let start = o * stride - padding
        let end = Swift.min(start + kernel, size + padding)
        let (clippedStart, clippedEnd) = (Swift.max(start, 0), Swift.min(end, size))
        return (clippedStart, clippedEnd, countIncludePad ? end - start : clippedEnd - clippedStart)
    }

    /// The input rows/columns of one averaging window and its divisor (the product of the two axes' counts).
    @inline(__always)
    func averageWindow(_ y: Int, _ x: Int, countIncludePad: Bool) -> (Int, Int, Int, Int, Float) {
        let r = Pool2dGeometry.window(y, stride: stride.height, padding: padding.height, kernel: kernel.height, size: height,
                                      countIncludePad: countIncludePad)
        let c = Pool2dGeometry.window(x, stride: stride.width, padding: padding.width, kernel: kernel.width, size: width,
                                      countIncludePad: countIncludePad)
        return (r.start, r.end, c.start, c.end, Float(Swift.max(r.count * c.count, 1)))
    }
}
