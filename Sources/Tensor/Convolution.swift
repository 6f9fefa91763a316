/// The shapes of one 2-D convolution, validated once and shared by the forward and both backward kernels.
public struct Conv2dGeometry: Sendable, Equatable {
    public let batch, inChannels, height, width: Int
    public let outChannels, kernelHeight, kernelWidth: Int
    public let stride, padding, dilation: IntPair
    public let groups: Int
    public let outHeight, outWidth: Int

    /// - Throws: if the shapes or hyper-parameters do not describe a valid convolution.
    public init(inputShape: [Int], weightShape: [Int], stride: IntPair, padding: IntPair, dilation: IntPair, groups: Int) throws {
        guard inputShape.count == 4 else {
            throw TensorError.shapeMismatch("conv2d: input must be [N, C, H, W], got \(inputShape)")
        }
        guard weightShape.count == 4 else {
            throw TensorError.shapeMismatch("conv2d: weight must be [outChannels, inChannels/groups, kH, kW], got \(weightShape)")
        }
        guard stride.height > 0 && stride.width > 0 && dilation.height > 0 && dilation.width > 0
                && padding.height >= 0 && padding.width >= 0 && groups > 0 else {
            throw TensorError.invalidArgument("conv2d: invalid stride \(stride), padding \(padding), dilation \(dilation) or groups \(groups)")
        }
        (batch, inChannels, height, width) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        (outChannels, kernelHeight, kernelWidth) = (weightShape[0], weightShape[2], weightShape[3])
        guard inChannels % groups == 0 && outChannels % groups == 0 && weightShape[1] * groups == inChannels else {
            throw TensorError.shapeMismatch("conv2d: weight \(weightShape) with \(groups) group(s) does not fit input \(inputShape)")
        }
        (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
        outHeight = (height + 2 * padding.height - dilation.height * (kernelHeight - 1) - 1) / stride.height + 1
        outWidth = (width + 2 * padding.width - dilation.width * (kernelWidth - 1) - 1) / stride.width + 1
        let spanH = height + 2 * padding.height - dilation.height * (kernelHeight - 1)
        let spanW = width + 2 * padding.width - dilation.width * (kernelWidth - 1)
        guard kernelHeight > 0 && kernelWidth > 0 && spanH > 0 && spanW > 0 else {
            throw TensorError.shapeMismatch("conv2d: kernel \(weightShape[2])×\(weightShape[3]) (dilation \(dilation)) does not fit input \(height)×\(width) with padding \(padding)")
        }
    }

    public var outputShape: [Int] { [batch, outChannels, outHeight, outWidth] }
    public var inputShape: [Int] { [batch, inChannels, height, width] }
    public var weightShape: [Int] { [outChannels, inChannels / groups, kernelHeight, kernelWidth] }

    var groupInChannels: Int { inChannels / groups }
    var groupOutChannels: Int { outChannels / groups }
    /// Rows of the column matrix of one group: inChannels/groups × kH × kW.
    var columnRows: Int { groupInChannels * kernelHeight * kernelWidth }
    var outPlane: Int { outHeight * outWidth }
    var inPlane: Int { height * width }
    /// A 1×1 convolution with unit stride and no padding reads the input directly as its column matrix.
    var isPointwise: Bool {
        kernelHeight == 1 && kernelWidth == 1 && stride == 1 && padding == 0
    }

    /// Number of samples whose columns are built together in the batched strategy, so that one GEMM
    /// covers them, keeping the column buffer under about 64 MiB.
    var samplesPerChunk: Int {
        let perSample = Swift.max(1, columnRows * outPlane)
        return Swift.max(1, Swift.min(batch, (16 << 20) / perSample))
    }

    /// Convolutions with many output pixels per sample run as tiles of whole output rows, each tile's
    /// columns built in cache and multiplied on the worker's own core. Small feature maps instead
    /// batch several samples into one GEMM that OpenBLAS spreads over the cores.
    var usesTiles: Bool { outPlane >= 1024 && Parallel.coreCount > 1 && batch * tilesPerSample >= 2 * Parallel.coreCount }

    /// Output rows per tile: the column tile holds about 128k floats (512 KiB), half a core's L2.
    var tileRows: Int {
        let cached = (1 << 17) / Swift.max(1, columnRows * outWidth)
        let wide = (minimumTileColumns + outWidth - 1) / outWidth
        return Swift.max(1, Swift.min(outHeight, Swift.max(cached, wide)))
    }
    /// GEMMs narrower than this lose more to packing overhead than they gain from cache.
    var minimumTileColumns: Int { 512 }
    var tilesPerSample: Int { (outHeight + tileRows - 1) / tileRows }

    /// The FLOPs of the forward pass (2 per multiply-add), for benchmarks.
    public var forwardFLOPs: Double {
        2 * Double(batch) * Double(outChannels) * Double(outPlane) * Double(columnRows)
    }

    /// im2col of one sample: rows `kRows` of the column matrix (`row = (c * kH + kh) * kW + kw`, channels
    /// of `group`), for output rows `outRows`; column `(y - outRows.lowerBound) * outW + x` of each row
    /// lands at `col[row * ld + ...]`.
    func im2col(_ sample: UnsafePointer<Float>, group: Int, kRows: Range<Int>, outRows: Range<Int>,
                into col: UnsafeMutablePointer<Float>, ld: Int) {
        let (kh, kw) = (kernelHeight, kernelWidth)
        let (ow, h, w) = (outWidth, height, width)
        let (sh, sw, ph, pw, dh, dw) = (stride.height, stride.width, padding.height, padding.width, dilation.height, dilation.width)
        let c0 = group * groupInChannels
        for row in kRows {
            let c = row / (kh * kw), ky = (row / kw) % kh, kx = row % kw
            let iw0 = kx * dw - pw
            // Output columns whose input column lies inside the image (for unit stride, one contiguous run).
            let owStart = iw0 >= 0 ? 0 : Swift.min(ow, (-iw0 + sw - 1) / sw)
            let owEnd = Swift.max(owStart, Swift.min(ow, w - iw0 <= 0 ? 0 : (w - iw0 - 1) / sw + 1))
            let plane = sample + (c0 + c) * h * w
            var dst = col + row * ld
            for y in outRows {
                let iy = y * sh - ph + ky * dh
                if iy < 0 || iy >= h {
                    dst.update(repeating: 0, count: ow)
                } else {
                    let line = plane + iy * w + iw0
                    if owStart > 0 { dst.update(repeating: 0, count: owStart) }
                    if sw == 1 {
                        (dst + owStart).update(from: line + owStart, count: owEnd - owStart)
                    } else {
                        for x in owStart..<owEnd { dst[x] = line[x * sw] }
                    }
                    if owEnd < ow { (dst + owEnd).update(repeating: 0, count: ow - owEnd) }
                }
                dst += ow
            }
        }
    }

    /// col2im of one sample: adds the column rows of `channels` (of `group`) for output rows `outRows`
    /// back onto the sample's input gradient.
    func col2im(_ col: UnsafePointer<Float>, ld: Int, group: Int, channels: Range<Int>, outRows: Range<Int>,
                into sampleGrad: UnsafeMutablePointer<Float>) {
        let (kh, kw) = (kernelHeight, kernelWidth)
        let (ow, h, w) = (outWidth, height, width)
        let (sh, sw, ph, pw, dh, dw) = (stride.height, stride.width, padding.height, padding.width, dilation.height, dilation.width)
        let c0 = group * groupInChannels
        for c in channels {
            let plane = sampleGrad + (c0 + c) * h * w
            for ky in 0..<kh {
                for kx in 0..<kw {
                    let row = (c * kh + ky) * kw + kx
                    let iw0 = kx * dw - pw
                    let owStart = iw0 >= 0 ? 0 : Swift.min(ow, (-iw0 + sw - 1) / sw)
                    let owEnd = Swift.max(owStart, Swift.min(ow, w - iw0 <= 0 ? 0 : (w - iw0 - 1) / sw + 1))
                    var src = col + row * ld
                    for y in outRows {
                        let iy = y * sh - ph + ky * dh
                        if iy >= 0 && iy < h {
                            let line = plane + iy * w + iw0
                            if sw == 1 {
                                for x in owStart..<owEnd { line[x] += src[x] }
                            } else {
                                for x in owStart..<owEnd { line[x * sw] += src[x] }
                            }
                        }
                        src += ow
                    }
                }
            }
        }
    }

    /// Batched strategy: columns of `samples` samples side by side (`ld = samples * outPlane`), built in parallel.
    func im2colBatch(_ input: UnsafePointer<Float>, first: Int, samples: Int, group: Int, into col: UnsafeMutablePointer<Float>) {
        let ld = samples * outPlane, sampleSize = inChannels * inPlane
        Parallel.forRanges(columnRows, cost: ld) { rows in
            for s in 0..<samples {
                let sample = input + (first + s) * sampleSize
                im2col(sample, group: group, kRows: rows, outRows: 0..<outHeight, into: col + s * outPlane, ld: ld)
            }
        }
    }

    /// Batched strategy: the inverse of `im2colBatch`, accumulated into the input gradient.
    func col2imBatch(_ col: UnsafePointer<Float>, first: Int, samples: Int, group: Int, into gradInput: UnsafeMutablePointer<Float>) {
        let ld = samples * outPlane, sampleSize = inChannels * inPlane
        Parallel.forRanges(groupInChannels * samples, cost: kernelHeight * kernelWidth * outPlane) { items in
            for item in items {
                let c = item / samples, s = item % samples
                col2im(col + s * outPlane, ld: ld, group: group, channels: c..<(c + 1), outRows: 0..<outHeight,
                       into: gradInput + (first + s) * sampleSize)
            }
        }
    }

    /// The column matrix of a pointwise convolution: the group's channels of `samples` samples side by side.
    func gatherPointwise(_ input: UnsafePointer<Float>, first: Int, samples: Int, group: Int, into col: UnsafeMutablePointer<Float>) {
        let plane = inPlane, c0 = group * groupInChannels
        for c in 0..<groupInChannels {
            for s in 0..<samples {
                let from: Int = ((first + s) * inChannels + c0 + c) * plane
                (col + (c * samples + s) * plane).update(from: input + from, count: plane)
            }
        }
    }

    /// The inverse of `gatherPointwise`, writing into the input gradient.
    func scatterPointwise(_ col: UnsafePointer<Float>, first: Int, samples: Int, group: Int, into gradInput: UnsafeMutablePointer<Float>) {
        let plane = inPlane, c0 = group * groupInChannels
        for c in 0..<groupInChannels {
            for s in 0..<samples {
                let to: Int = ((first + s) * inChannels + c0 + c) * plane
                (gradInput + to).update(from: col + (c * samples + s) * plane, count: plane)
            }
        }
    }
}

/// Copies `[outChannels, samples * plane]` (GEMM layout) to `[samples, outChannels, plane]` (NCHW), or back.
func shuffleSamples(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, channels: Int, samples: Int, plane: Int, toNCHW: Bool) {
    Parallel.forRanges(channels * samples, cost: plane) { items in
        for item in items {
            let c = item / samples, s = item % samples
            let gemm = c * samples * plane + s * plane, nchw = (s * channels + c) * plane
            if toNCHW {
                (dst + nchw).update(from: src + gemm, count: plane)
            } else {
                (dst + gemm).update(from: src + nchw, count: plane)
            }
        }
    }
}

extension Tensor {
    /// 2-D cross-correlation, as `torch.nn.functional.conv2d`: input `[N, C, H, W]`, weight
    /// `[outC, C/groups, kH, kW]`, optional bias `[outC]` → `[N, outC, outH, outW]` with
    /// `out = (in + 2·padding − dilation·(k − 1) − 1) / stride + 1`.
    ///
    /// Computed as im2col + OpenBLAS GEMM: in cache-sized tiles of output rows, one tile per core at a
    /// time, for large feature maps; with several samples per GEMM for small ones.
    public static func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: IntPair = 1,
                              padding: IntPair = 0, dilation: IntPair = 1, groups: Int = 1) throws -> Tensor {
        let g = try Conv2dGeometry(inputShape: input.shape, weightShape: weight.shape, stride: stride,
                                   padding: padding, dilation: dilation, groups: groups)
        if let bias, bias.shape != [g.outChannels] {
            throw TensorError.shapeMismatch("conv2d: bias must be [\(g.outChannels)], got \(bias.shape)")
        }
        let result = Tensor(uninitializedShape: g.outputShape)
        guard result.count > 0 else { return result }
        let x = input.storage.pointer, w = weight.storage.pointer, out = result.storage.pointer
        if g.columnRows == 0 {
            out.update(repeating: 0, count: result.count)
        } else if g.usesTiles {
            convForwardTiled(g, x, w, out)
        } else {
            convForwardBatched(g, x, w, out)
        }
        if let bias {
            let b = bias.storage.pointer, plane = g.outPlane
            Parallel.forRanges(g.batch * g.outChannels, cost: plane) { items in
                for item in items {
                    let v = b[item % g.outChannels]
                    let p = out + item * plane
                    for i in 0..<plane { p[i] += v }
                }
            }
        }
        return result
    }

    private static func convForwardTiled(_ g: Conv2dGeometry, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                         _ out: UnsafeMutablePointer<Float>) {
        let (k, ocg, plane, ow) = (g.columnRows, g.groupOutChannels, g.outPlane, g.outWidth)
        let tiles = g.tilesPerSample, sampleSize = g.inChannels * g.inPlane
        BLAS.singleThreaded {
            Parallel.forRanges(g.batch * tiles, cost: 1 << 20) { items in
                Scratch.withBuffer(count: g.isPointwise ? 0 : k * g.tileRows * ow) { col in
                    for item in items {
                        let n = item / tiles, y0 = (item % tiles) * g.tileRows
                        let rows = y0..<Swift.min(g.outHeight, y0 + g.tileRows)
                        let columns = rows.count * ow
                        for group in 0..<g.groups {
                            let outOffset: Int = (n * g.outChannels + group * ocg) * plane + y0 * ow
                            if g.isPointwise {
                                let inOffset: Int = n * sampleSize + group * g.groupInChannels * plane + y0 * ow
                                sgemm(transA: false, transB: false, m: ocg, n: columns, k: k, a: w + group * ocg * k, lda: k,
                                      b: x + inOffset, ldb: plane, c: out + outOffset, ldc: plane)
                            } else {
                                g.im2col(x + n * sampleSize, group: group, kRows: 0..<k, outRows: rows, into: col, ld: columns)
                                sgemm(transA: false, transB: false, m: ocg, n: columns, k: k, a: w + group * ocg * k, lda: k,
                                      b: col, ldb: columns, c: out + outOffset, ldc: plane)
                            }
                        }
                    }
                }
            }
        }
    }

    private static func convForwardBatched(_ g: Conv2dGeometry, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                           _ out: UnsafeMutablePointer<Float>) {
        let (k, ocg, plane) = (g.columnRows, g.groupOutChannels, g.outPlane)
        let chunk = g.samplesPerChunk
        let colCount = k * chunk * plane
        Scratch.withBuffer(count: colCount + (chunk > 1 ? g.outChannels * chunk * plane : 0)) { scratch in
            let col = scratch, gemmOut = scratch + colCount
            var first = 0
            while first < g.batch {
                let samples = Swift.min(chunk, g.batch - first)
                for group in 0..<g.groups {
                    let wg = w + group * ocg * k
                    if samples == 1 {
                        let outOffset: Int = (first * g.outChannels + group * ocg) * plane
                        if g.isPointwise {
                            let inOffset: Int = (first * g.inChannels + group * g.groupInChannels) * plane
                            sgemm(transA: false, transB: false, m: ocg, n: plane, k: k, a: wg, lda: k, b: x + inOffset,
                                  ldb: plane, c: out + outOffset, ldc: plane)
                        } else {
                            g.im2colBatch(x, first: first, samples: 1, group: group, into: col)
                            sgemm(transA: false, transB: false, m: ocg, n: plane, k: k, a: wg, lda: k, b: col, ldb: plane,
                                  c: out + outOffset, ldc: plane)
                        }
                        continue
                    }
                    if g.isPointwise {
                        g.gatherPointwise(x, first: first, samples: samples, group: group, into: col)
                    } else {
                        g.im2colBatch(x, first: first, samples: samples, group: group, into: col)
                    }
                    sgemm(transA: false, transB: false, m: ocg, n: samples * plane, k: k, a: wg, lda: k, b: col,
                          ldb: samples * plane, c: gemmOut + group * ocg * samples * plane, ldc: samples * plane)
                }
                if samples > 1 {
                    shuffleSamples(gemmOut, out + first * g.outChannels * plane, channels: g.outChannels,
                                   samples: samples, plane: plane, toNCHW: true)
                }
                first += samples
            }
        }
    }

    /// Gradient of `conv2d` with respect to its input, given the gradient of its output.
    public static func conv2dBackwardInput(_ gradOutput: Tensor, weight: Tensor, inputShape: [Int], stride: IntPair = 1,
                                           padding: IntPair = 0, dilation: IntPair = 1, groups: Int = 1) throws -> Tensor {
        let g = try Conv2dGeometry(inputShape: inputShape, weightShape: weight.shape, stride: stride,
                                   padding: padding, dilation: dilation, groups: groups)
        guard gradOutput.shape == g.outputShape else {
            throw TensorError.shapeMismatch("conv2dBackwardInput: gradient \(gradOutput.shape) does not match output \(g.outputShape)")
        }
        let result = try Tensor.zeros(inputShape)
        guard result.count > 0 && gradOutput.count > 0 && g.columnRows > 0 else { return result }
        let gy = gradOutput.storage.pointer, w = weight.storage.pointer, gx = result.storage.pointer
        // Tiles of one sample overlap in the input, so the tiled strategy gives each worker whole samples.
        if g.usesTiles && g.batch >= Parallel.coreCount {
            convBackwardInputTiled(g, gy, w, gx)
        } else {
            convBackwardInputBatched(g, gy, w, gx)
        }
        return result
    }

    private static func convBackwardInputTiled(_ g: Conv2dGeometry, _ gy: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                               _ gx: UnsafeMutablePointer<Float>) {
        let (k, ocg, plane, ow) = (g.columnRows, g.groupOutChannels, g.outPlane, g.outWidth)
        let sampleSize = g.inChannels * g.inPlane
        BLAS.singleThreaded {
            Parallel.forRanges(g.batch, cost: 1 << 20) { samples in
                Scratch.withBuffer(count: g.isPointwise ? 0 : k * g.tileRows * ow) { col in
                    for n in samples {
                        for tile in 0..<g.tilesPerSample {
                            let y0 = tile * g.tileRows
                            let rows = y0..<Swift.min(g.outHeight, y0 + g.tileRows)
                            let columns = rows.count * ow
                            for group in 0..<g.groups {
                                let gyOffset: Int = (n * g.outChannels + group * ocg) * plane + y0 * ow
                                if g.isPointwise {
                                    let gxOffset: Int = n * sampleSize + group * g.groupInChannels * plane + y0 * ow
                                    sgemm(transA: true, transB: false, m: k, n: columns, k: ocg, a: w + group * ocg * k, lda: k,
                                          b: gy + gyOffset, ldb: plane, c: gx + gxOffset, ldc: plane)
                                } else {
                                    sgemm(transA: true, transB: false, m: k, n: columns, k: ocg, a: w + group * ocg * k, lda: k,
                                          b: gy + gyOffset, ldb: plane, c: col, ldc: columns)
                                    g.col2im(col, ld: columns, group: group, channels: 0..<g.groupInChannels, outRows: rows,
                                             into: gx + n * sampleSize)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static func convBackwardInputBatched(_ g: Conv2dGeometry, _ gy: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                                 _ gx: UnsafeMutablePointer<Float>) {
        let (k, ocg, plane) = (g.columnRows, g.groupOutChannels, g.outPlane)
        let chunk = g.samplesPerChunk
        let colCount = k * chunk * plane
        Scratch.withBuffer(count: colCount + (chunk > 1 ? g.outChannels * chunk * plane : 0)) { scratch in
            let col = scratch, gemmIn = scratch + colCount
            var first = 0
            while first < g.batch {
                let samples = Swift.min(chunk, g.batch - first)
                if samples > 1 {
                    shuffleSamples(gy + first * g.outChannels * plane, gemmIn, channels: g.outChannels,
                                   samples: samples, plane: plane, toNCHW: false)
                }
                for group in 0..<g.groups {
                    let source: UnsafePointer<Float>
                    if samples > 1 {
                        let offset: Int = group * ocg * samples * plane
                        source = UnsafePointer(gemmIn + offset)
                    } else {
                        let offset: Int = (first * g.outChannels + group * ocg) * plane
                        source = gy + offset
                    }
                    if g.isPointwise && samples == 1 {
                        let gxOffset: Int = (first * g.inChannels + group * g.groupInChannels) * plane
                        sgemm(transA: true, transB: false, m: k, n: plane, k: ocg, a: w + group * ocg * k, lda: k,
                              b: source, ldb: plane, c: gx + gxOffset, ldc: plane)
                        continue
                    }
                    sgemm(transA: true, transB: false, m: k, n: samples * plane, k: ocg, a: w + group * ocg * k, lda: k,
                          b: source, ldb: samples * plane, c: col, ldc: samples * plane)
                    if g.isPointwise {
                        g.scatterPointwise(col, first: first, samples: samples, group: group, into: gx)
                    } else {
                        g.col2imBatch(col, first: first, samples: samples, group: group, into: gx)
                    }
                }
                first += samples
            }
        }
    }

    /// Gradient of `conv2d` with respect to its weight, given the input and the gradient of the output.
    public static func conv2dBackwardWeight(_ gradOutput: Tensor, input: Tensor, weightShape: [Int], stride: IntPair = 1,
                                            padding: IntPair = 0, dilation: IntPair = 1, groups: Int = 1) throws -> Tensor {
        let g = try Conv2dGeometry(inputShape: input.shape, weightShape: weightShape, stride: stride,
                                   padding: padding, dilation: dilation, groups: groups)
        guard gradOutput.shape == g.outputShape else {
            throw TensorError.shapeMismatch("conv2dBackwardWeight: gradient \(gradOutput.shape) does not match output \(g.outputShape)")
        }
        let result = try Tensor.zeros(weightShape)
        guard result.count > 0 && gradOutput.count > 0 else { return result }
        let gy = gradOutput.storage.pointer, x = input.storage.pointer, gw = result.storage.pointer
        if g.usesTiles {
            convBackwardWeightTiled(g, gy, x, gw)
        } else {
            convBackwardWeightBatched(g, gy, x, gw)
        }
        return result
    }

    private static func convBackwardWeightTiled(_ g: Conv2dGeometry, _ gy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                                                _ gw: UnsafeMutablePointer<Float>) {
        let (k, ocg, plane, ow) = (g.columnRows, g.groupOutChannels, g.outPlane, g.outWidth)
        let tiles = g.tilesPerSample, sampleSize = g.inChannels * g.inPlane
        let weightCount = g.outChannels * k
        let items = g.batch * tiles, chunks = Parallel.chunkCount(items, cost: 1 << 20)
        // Each worker accumulates into its own copy of the weight gradient; the copies are added at the end.
        Scratch.withBuffer(count: weightCount * chunks) { partials in
            partials.update(repeating: 0, count: weightCount * chunks)
            BLAS.singleThreaded {
                Parallel.forChunks(items, cost: 1 << 20) { chunk, range in
                    let partial = partials + chunk * weightCount
                    Scratch.withBuffer(count: g.isPointwise ? 0 : k * g.tileRows * ow) { col in
                        for item in range {
                            let n = item / tiles, y0 = (item % tiles) * g.tileRows
                            let rows = y0..<Swift.min(g.outHeight, y0 + g.tileRows)
                            let columns = rows.count * ow
                            for group in 0..<g.groups {
                                let gyOffset: Int = (n * g.outChannels + group * ocg) * plane + y0 * ow
                                if g.isPointwise {
                                    let xOffset: Int = n * sampleSize + group * g.groupInChannels * plane + y0 * ow
                                    sgemm(transA: false, transB: true, m: ocg, n: k, k: columns, a: gy + gyOffset, lda: plane,
                                          b: x + xOffset, ldb: plane, beta: 1, c: partial + group * ocg * k, ldc: k)
                                } else {
                                    g.im2col(x + n * sampleSize, group: group, kRows: 0..<k, outRows: rows, into: col, ld: columns)
                                    sgemm(transA: false, transB: true, m: ocg, n: k, k: columns, a: gy + gyOffset, lda: plane,
                                          b: col, ldb: columns, beta: 1, c: partial + group * ocg * k, ldc: k)
                                }
                            }
                        }
                    }
                }
            }
            gw.update(from: partials, count: weightCount)
            for chunk in 1..<Swift.max(chunks, 1) {
                let p = partials + chunk * weightCount
                for i in 0..<weightCount { gw[i] += p[i] }
            }
        }
    }

    private static func convBackwardWeightBatched(_ g: Conv2dGeometry, _ gy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                                                  _ gw: UnsafeMutablePointer<Float>) {
        let (k, ocg, plane) = (g.columnRows, g.groupOutChannels, g.outPlane)
        let chunk = g.samplesPerChunk
        let colCount = k * chunk * plane
        Scratch.withBuffer(count: colCount + (chunk > 1 ? g.outChannels * chunk * plane : 0)) { scratch in
            let col = scratch, gemmIn = scratch + colCount
            var first = 0
            while first < g.batch {
                let samples = Swift.min(chunk, g.batch - first)
                if samples > 1 {
                    shuffleSamples(gy + first * g.outChannels * plane, gemmIn, channels: g.outChannels,
                                   samples: samples, plane: plane, toNCHW: false)
                }
                for group in 0..<g.groups {
                    let source: UnsafePointer<Float>
                    if samples > 1 {
                        let offset: Int = group * ocg * samples * plane
                        source = UnsafePointer(gemmIn + offset)
                    } else {
                        let offset: Int = (first * g.outChannels + group * ocg) * plane
                        source = gy + offset
                    }
                    let columns: UnsafePointer<Float>
                    if g.isPointwise && samples == 1 {
                        let offset: Int = (first * g.inChannels + group * g.groupInChannels) * plane
                        columns = x + offset
                    } else if g.isPointwise {
                        g.gatherPointwise(x, first: first, samples: samples, group: group, into: col)
                        columns = UnsafePointer(col)
                    } else {
                        g.im2colBatch(x, first: first, samples: samples, group: group, into: col)
                        columns = UnsafePointer(col)
                    }
                    sgemm(transA: false, transB: true, m: ocg, n: k, k: samples * plane, a: source, lda: samples * plane,
                          b: columns, ldb: samples * plane, beta: 1, c: gw + group * ocg * k, ldc: k)
                }
                first += samples
            }
        }
    }

    /// 1-D cross-correlation, as `torch.nn.functional.conv1d`: input `[N, C, L]`, weight
    /// `[outC, C/groups, k]`, optional bias `[outC]` → `[N, outC, outL]`.
    public static func conv1d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1,
                              padding: Int = 0, dilation: Int = 1, groups: Int = 1) throws -> Tensor {
        let (x, w) = try conv1dAs2d(input, weightShape: weight.shape, "conv1d")
        let y = try conv2d(x, weight: weight.reshaped(w), bias: bias, stride: IntPair(1, stride),
                           padding: IntPair(0, padding), dilation: IntPair(1, dilation), groups: groups)
        return try y.squeezed(axis: 2)
    }

    /// Gradient of `conv1d` with respect to its input.
    public static func conv1dBackwardInput(_ gradOutput: Tensor, weight: Tensor, inputShape: [Int], stride: Int = 1,
                                           padding: Int = 0, dilation: Int = 1, groups: Int = 1) throws -> Tensor {
        guard inputShape.count == 3, gradOutput.rank == 3 else {
            throw TensorError.shapeMismatch("conv1dBackwardInput: input \(inputShape) and gradient \(gradOutput.shape) must be [N, C, L]")
        }
        let (_, w) = try conv1dAs2d(gradOutput, weightShape: weight.shape, "conv1dBackwardInput")
        let gx = try conv2dBackwardInput(gradOutput.unsqueezed(axis: 2), weight: weight.reshaped(w),
                                         inputShape: [inputShape[0], inputShape[1], 1, inputShape[2]], stride: IntPair(1, stride),
                                         padding: IntPair(0, padding), dilation: IntPair(1, dilation), groups: groups)
        return try gx.squeezed(axis: 2)
    }

    /// Gradient of `conv1d` with respect to its weight.
    public static func conv1dBackwardWeight(_ gradOutput: Tensor, input: Tensor, weightShape: [Int], stride: Int = 1,
                                            padding: Int = 0, dilation: Int = 1, groups: Int = 1) throws -> Tensor {
        let (x, w) = try conv1dAs2d(input, weightShape: weightShape, "conv1dBackwardWeight")
        guard gradOutput.rank == 3 else {
            throw TensorError.shapeMismatch("conv1dBackwardWeight: gradient must be [N, outC, outL], got \(gradOutput.shape)")
        }
        let gw = try conv2dBackwardWeight(gradOutput.unsqueezed(axis: 2), input: x, weightShape: w, stride: IntPair(1, stride),
                                          padding: IntPair(0, padding), dilation: IntPair(1, dilation), groups: groups)
        return try gw.reshaped(weightShape)
    }

    private static func conv1dAs2d(_ input: Tensor, weightShape: [Int], _ op: String) throws -> (Tensor, [Int]) {
        guard input.rank == 3 else { throw TensorError.shapeMismatch("\(op): input must be [N, C, L], got \(input.shape)") }
        guard weightShape.count == 3 else {
            throw TensorError.shapeMismatch("\(op): weight must be [outChannels, inChannels/groups, k], got \(weightShape)")
        }
        return (try input.unsqueezed(axis: 2), [weightShape[0], weightShape[1], 1, weightShape[2]])
    }
}
