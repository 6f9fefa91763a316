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

    /// One unit of convolution work: `samples` consecutive samples from `first`, output rows `rows`
    /// (all rows when a tile holds more than one sample).
    struct Tile {
        let first: Int, samples: Int, rows: Range<Int>
    }

    /// GEMMs narrower than this lose more to packing overhead than they gain from cache.
    static let minimumTileColumns = 512
    /// The sequential strategy keeps its column buffer under 16M floats (64 MiB).
    static let sequentialColumnBudget = 16 << 20

    /// How the work is cut. With small weights, many tiles of at least 512 output columns whose column
    /// matrix fits in a core's cache run in parallel, one core each, with single-threaded GEMMs: whole
    /// rows bands of one sample for large feature maps, several whole samples for small ones. Large
    /// weights (deep layers) would be re-packed by every small GEMM, so they instead run as a few large
    /// tiles one after another, each GEMM spread over the cores by OpenBLAS.
    func plan() -> (tiles: [Tile], parallel: Bool) {
        let cores = Parallel.workerCount
        if cores > 1 && groupOutChannels * columnRows <= 1 << 20 {
            var tiles: [Tile] = []
            if outPlane >= Conv2dGeometry.minimumTileColumns {
                let cached = (1 << 17) / Swift.max(1, columnRows * outWidth)
                let wide = (Conv2dGeometry.minimumTileColumns + outWidth - 1) / outWidth
                let band = Swift.max(1, Swift.min(outHeight, Swift.max(cached, wide)))
                for n in 0..<batch {
                    for y in Swift.stride(from: 0, to: outHeight, by: band) {
                        tiles.append(Tile(first: n, samples: 1, rows: y..<Swift.min(outHeight, y + band)))
                    }
                }
            } else {
                let wanted = (Conv2dGeometry.minimumTileColumns + outPlane - 1) / outPlane
                let perTile = Swift.max(1, Swift.min(wanted, batch / (2 * cores)))
                for n in Swift.stride(from: 0, to: batch, by: perTile) {
                    tiles.append(Tile(first: n, samples: Swift.min(perTile, batch - n), rows: 0..<outHeight))
                }
            }
            if tiles.count >= 2 * cores { return (tiles, true) }
        }
        var tiles: [Tile] = []
        let perSample = Swift.max(1, columnRows * outPlane)
        let perTile = Swift.max(1, Swift.min(batch, Conv2dGeometry.sequentialColumnBudget / perSample))
        if perTile == 1 {
            let band = Swift.max(1, Swift.min(outHeight, Conv2dGeometry.sequentialColumnBudget / Swift.max(1, columnRows * outWidth)))
            for n in 0..<batch {
                for y in Swift.stride(from: 0, to: outHeight, by: band) {
                    tiles.append(Tile(first: n, samples: 1, rows: y..<Swift.min(outHeight, y + band)))
                }
            }
        } else {
            for n in Swift.stride(from: 0, to: batch, by: perTile) {
                tiles.append(Tile(first: n, samples: Swift.min(perTile, batch - n), rows: 0..<outHeight))
            }
        }
        return (tiles, false)
    }

    /// Output columns of a tile: its rows of one sample, or whole planes of several.
    func columns(_ t: Tile) -> Int { t.samples == 1 ? t.rows.count * outWidth : t.samples * outPlane }

    /// The largest tile's column count, for sizing buffers.
    func maximumColumns(_ tiles: [Tile]) -> Int { tiles.map(columns).max() ?? 0 }

    /// The FLOPs of the forward pass (2 per multiply-add), for benchmarks.
    public var forwardFLOPs: Double {
        2 * Double(batch) * Double(outChannels) * Double(outPlane) * Double(columnRows)
    }

    /// The column matrix of a tile for `group` as a GEMM operand `[columnRows, columns]`: read in place
    /// for a pointwise convolution of one sample, otherwise built in `col`. `parallel` spreads the
    /// building over the cores (for the sequential strategy).
    func columnMatrix(_ x: UnsafePointer<Float>, _ t: Tile, group: Int, col: UnsafeMutablePointer<Float>,
                      parallel: Bool) -> (pointer: UnsafePointer<Float>, ld: Int) {
        let ld = columns(t), sampleSize = inChannels * inPlane
        if isPointwise && t.samples == 1 {
            let offset: Int = t.first * sampleSize + group * groupInChannels * inPlane + t.rows.lowerBound * outWidth
            return (x + offset, inPlane)
        }
        let build = { (kRows: Range<Int>) in
            for j in 0..<t.samples {
                self.im2col(x + (t.first + j) * sampleSize, group: group, kRows: kRows, outRows: t.rows,
                            into: col + j * self.outPlane, ld: ld)
            }
        }
        if parallel {
            Parallel.forRanges(columnRows, cost: ld) { build($0) }
        } else {
            build(0..<columnRows)
        }
        return (UnsafePointer(col), ld)
    }

    /// The output-shaped operand `[groupOutChannels, columns]` of a tile (output gradients): in place for
    /// one sample, otherwise gathered from NCHW into `buffer`.
    func outputMatrix(_ y: UnsafePointer<Float>, _ t: Tile, group: Int, buffer: UnsafeMutablePointer<Float>) -> (pointer: UnsafePointer<Float>, ld: Int) {
        if t.samples == 1 {
            let offset: Int = (t.first * outChannels + group * groupOutChannels) * outPlane + t.rows.lowerBound * outWidth
            return (y + offset, outPlane)
        }
        let ld = columns(t)
        for o in 0..<groupOutChannels {
            for j in 0..<t.samples {
                let from: Int = ((t.first + j) * outChannels + group * groupOutChannels + o) * outPlane
                (buffer + o * ld + j * outPlane).update(from: y + from, count: outPlane)
            }
        }
        return (UnsafePointer(buffer), ld)
    }

    /// Where a tile's GEMM writes its output `[groupOutChannels, columns]`: straight into NCHW for one
    /// sample, else into `buffer`, to be spread out by `scatterOutputs`.
    func outputTarget(_ out: UnsafeMutablePointer<Float>, _ t: Tile, group: Int, buffer: UnsafeMutablePointer<Float>) -> (pointer: UnsafeMutablePointer<Float>, ld: Int) {
        if t.samples == 1 {
            let offset: Int = (t.first * outChannels + group * groupOutChannels) * outPlane + t.rows.lowerBound * outWidth
            return (out + offset, outPlane)
        }
        return (buffer, columns(t))
    }

    /// Copies a several-sample GEMM output from `buffer` to its NCHW places.
    func scatterOutputs(_ buffer: UnsafePointer<Float>, _ t: Tile, group: Int, into out: UnsafeMutablePointer<Float>) {
        guard t.samples > 1 else { return }
        let ld = columns(t)
        for o in 0..<groupOutChannels {
            for j in 0..<t.samples {
                let to: Int = ((t.first + j) * outChannels + group * groupOutChannels + o) * outPlane
                (out + to).update(from: buffer + o * ld + j * outPlane, count: outPlane)
            }
        }
    }

    /// Where a tile's input-gradient GEMM writes `[columnRows, columns]`: straight into the input gradient
    /// for a pointwise convolution of one sample, else into `col`, to be added back by `addColumns`.
    func columnTarget(_ gx: UnsafeMutablePointer<Float>, _ t: Tile, group: Int, col: UnsafeMutablePointer<Float>) -> (pointer: UnsafeMutablePointer<Float>, ld: Int) {
        if isPointwise && t.samples == 1 {
            let offset: Int = t.first * inChannels * inPlane + group * groupInChannels * inPlane + t.rows.lowerBound * outWidth
            return (gx + offset, inPlane)
        }
        return (col, columns(t))
    }

    /// Adds a tile's column gradients back onto the input gradient (col2im; a copy for pointwise).
    /// `parallel` spreads the work over channels, which never write to the same place.
    func addColumns(_ col: UnsafePointer<Float>, _ t: Tile, group: Int, into gx: UnsafeMutablePointer<Float>, parallel: Bool) {
        if isPointwise && t.samples == 1 { return }
        let ld = columns(t), sampleSize = inChannels * inPlane
        let add = { (channels: Range<Int>) in
            for j in 0..<t.samples {
                self.col2im(col + j * self.outPlane, ld: ld, group: group, channels: channels, outRows: t.rows,
                            into: gx + (t.first + j) * sampleSize)
            }
        }
        if parallel {
            Parallel.forRanges(groupInChannels, cost: kernelHeight * kernelWidth * ld) { add($0) }
        } else {
            add(0..<groupInChannels)
        }
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
                    } else if sw == 2 {
                        Conv2dGeometry.copyEvenElements(from: line, to: dst, owStart..<owEnd, available: w - iw0)
                    } else {
                        for x in owStart..<owEnd { dst[x] = line[x * sw] }
                    }
                    if owEnd < ow { (dst + owEnd).update(repeating: 0, count: ow - owEnd) }
                }
                dst += ow
            }
        }
    }

    /// `dst[x] = line[2x]` for `x` in `range`, eight at a time with a vector de-interleave (the stride-2
    /// gathers of the discriminators' 4×4 convolutions). `available` bounds the readable part of `line`.
    @inline(__always)
    static func copyEvenElements(from line: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, _ range: Range<Int>,
                                 available: Int) {
        var x = range.lowerBound
        let raw = UnsafeRawPointer(line)
        while x + 8 <= range.upperBound && 2 * x + 16 <= available {
            let pair = raw.loadUnaligned(fromByteOffset: 2 * x * 4, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(dst + x).storeBytes(of: pair.evenHalf, as: SIMD8<Float>.self)
            x += 8
        }
        while x < range.upperBound {
            dst[x] = line[2 * x]
            x += 1
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

}

extension Tensor {
    /// 2-D cross-correlation, as `torch.nn.functional.conv2d`: input `[N, C, H, W]`, weight
    /// `[outC, C/groups, kH, kW]`, optional bias `[outC]` → `[N, outC, outH, outW]` with
    /// `out = (in + 2·padding − dilation·(k − 1) − 1) / stride + 1`.
    ///
    /// Computed as im2col + OpenBLAS GEMM over tiles of the output (see ``Conv2dGeometry``), or for 3 × 3
    /// stride-1 kernels with enough channels by Winograd's F(2 × 2, 3 × 3) (``Conv2dAlgorithm``; `algorithm`
    /// forces one). With `relu`, the rectifier is applied in the same pass that adds the bias
    /// (`relu(conv2d(…))` without a second pass over the output).
    public static func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: IntPair = 1,
                              padding: IntPair = 0, dilation: IntPair = 1, groups: Int = 1, relu: Bool = false,
                              algorithm: Conv2dAlgorithm = .automatic) throws -> Tensor {
        let g = try Conv2dGeometry(inputShape: input.shape, weightShape: weight.shape, stride: stride,
                                   padding: padding, dilation: dilation, groups: groups)
        if let bias, bias.shape != [g.outChannels] {
            throw TensorError.shapeMismatch("conv2d: bias must be [\(g.outChannels)], got \(bias.shape)")
        }
        if algorithm == .winograd { try g.requireWinograd("conv2d") }
        let result = Tensor(uninitializedShape: g.outputShape)
        guard result.count > 0 else { return result }
        let x = input.storage.pointer, w = weight.storage.pointer, out = result.storage.pointer
        if algorithm == .winograd || (algorithm == .automatic && g.prefersWinograd) {
            let u = Winograd.transformedWeights(w, outChannels: g.outChannels, inChannels: g.inChannels, flipped: false)
            Winograd.convolve(x, batch: g.batch, inChannels: g.inChannels, height: g.height, width: g.width, padding: g.padding.height,
                              u: u.storage.pointer, outChannels: g.outChannels, bias: bias?.storage.pointer, relu: relu, into: out)
            return result
        }
        if g.columnRows == 0 {
            out.update(repeating: 0, count: result.count)
        } else {
            let (k, ocg) = (g.columnRows, g.groupOutChannels)
            g.run { tile, col, buffer, parallel in
                for group in 0..<g.groups {
                    let b = g.columnMatrix(x, tile, group: group, col: col, parallel: parallel)
                    let c = g.outputTarget(out, tile, group: group, buffer: buffer)
                    sgemm(transA: false, transB: false, m: ocg, n: g.columns(tile), k: k, a: w + group * ocg * k, lda: k,
                          b: b.pointer, ldb: b.ld, c: c.pointer, ldc: c.ld)
                    g.scatterOutputs(buffer, tile, group: group, into: out)
                }
            }
        }
        if bias != nil || relu {
            let b = bias?.storage.pointer, plane = g.outPlane
            Parallel.forRanges(g.batch * g.outChannels, cost: plane) { items in
                for item in items {
                    let v = b?[item % g.outChannels] ?? 0
                    let p = out + item * plane
                    if relu {
                        for i in 0..<plane { p[i] = ReluOp.apply(p[i] + v) }
                    } else {
                        for i in 0..<plane { p[i] += v }
                    }
                }
            }
        }
        return result
    }

    /// Gradient of `conv2d` with respect to its input, given the gradient of its output.
    /// `algorithm` as for ``conv2d(_:weight:bias:stride:padding:dilation:groups:relu:algorithm:)``: for a 3 × 3 stride-1
    /// kernel the gradient is itself such a convolution (of the output gradient, with the kernel flipped and
    /// its channel axes swapped, padded by 2 − p).
    public static func conv2dBackwardInput(_ gradOutput: Tensor, weight: Tensor, inputShape: [Int], stride: IntPair = 1,
                                           padding: IntPair = 0, dilation: IntPair = 1, groups: Int = 1,
                                           algorithm: Conv2dAlgorithm = .automatic) throws -> Tensor {
        let g = try Conv2dGeometry(inputShape: inputShape, weightShape: weight.shape, stride: stride,
                                   padding: padding, dilation: dilation, groups: groups)
        guard gradOutput.shape == g.outputShape else {
            throw TensorError.shapeMismatch("conv2dBackwardInput: gradient \(gradOutput.shape) does not match output \(g.outputShape)")
        }
        if algorithm == .winograd { try g.requireWinograd("conv2dBackwardInput") }
        if gradOutput.count > 0 && (algorithm == .winograd || (algorithm == .automatic && g.prefersWinogradInputGradient)) {
            let result = Tensor(uninitializedShape: inputShape)
            let u = Winograd.transformedWeights(weight.storage.pointer, outChannels: g.outChannels, inChannels: g.inChannels, flipped: true)
            Winograd.convolve(gradOutput.storage.pointer, batch: g.batch, inChannels: g.outChannels, height: g.outHeight, width: g.outWidth,
                              padding: 2 - g.padding.height, u: u.storage.pointer, outChannels: g.inChannels, bias: nil, relu: false,
                              into: result.storage.pointer)
            return result
        }
        let result = try Tensor.zeros(inputShape)
        guard result.count > 0 && gradOutput.count > 0 && g.columnRows > 0 else { return result }
        let gy = gradOutput.storage.pointer, w = weight.storage.pointer, gx = result.storage.pointer
        let (k, ocg) = (g.columnRows, g.groupOutChannels)
        // Row bands of one sample overlap in the input: they must run on one worker.
        g.run(keepingSamplesTogether: true) { tile, col, buffer, parallel in
            for group in 0..<g.groups {
                let b = g.outputMatrix(gy, tile, group: group, buffer: buffer)
                let c = g.columnTarget(gx, tile, group: group, col: col)
                sgemm(transA: true, transB: false, m: k, n: g.columns(tile), k: ocg, a: w + group * ocg * k, lda: k,
                      b: b.pointer, ldb: b.ld, c: c.pointer, ldc: c.ld)
                g.addColumns(col, tile, group: group, into: gx, parallel: parallel)
            }
        }
        return result
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
        let (k, ocg) = (g.columnRows, g.groupOutChannels)
        let weightCount = result.count
        let (tiles, parallel) = g.plan()
        // Parallel workers accumulate into private copies of the gradient, added up at the end.
        let copies = parallel ? Parallel.chunkCount(tiles.count, cost: 1 << 20) : 1
        Scratch.withBuffer(count: weightCount * copies) { partials in
            partials.update(repeating: 0, count: weightCount * copies)
            g.run(tiles: tiles, parallel: parallel) { chunk, tile, col, buffer in
                let partial = partials + chunk * weightCount
                for group in 0..<g.groups {
                    let a = g.outputMatrix(gy, tile, group: group, buffer: buffer)
                    let b = g.columnMatrix(x, tile, group: group, col: col, parallel: !parallel)
                    sgemm(transA: false, transB: true, m: ocg, n: k, k: g.columns(tile), a: a.pointer, lda: a.ld,
                          b: b.pointer, ldb: b.ld, beta: 1, c: partial + group * ocg * k, ldc: k)
                }
            }
            gw.update(from: partials, count: weightCount)
            for copy in 1..<Swift.max(copies, 1) {
                let p = partials + copy * weightCount
                for i in 0..<weightCount { gw[i] += p[i] }
            }
        }
        return result
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

extension Conv2dGeometry {
    /// Runs `body(tile, col, buffer, innerParallel)` over the planned tiles with per-worker buffers:
    /// in parallel with single-threaded GEMMs, or one after another with multi-threaded GEMMs and
    /// `innerParallel` set. With `keepingSamplesTogether`, all tiles of one sample go to the same worker.
    func run(keepingSamplesTogether: Bool = false,
             _ body: (Tile, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Bool) -> Void) {
        let (tiles, parallel) = plan()
        var groups = tiles.map { [$0] }
        if parallel && keepingSamplesTogether {
            groups = Dictionary(grouping: tiles, by: \.first).sorted { $0.key < $1.key }.map(\.value)
        }
        run(groups, tiles: tiles, parallel: parallel) { _, tile, col, buffer in body(tile, col, buffer, !parallel) }
    }

    /// The tile loop with the worker's chunk number, for private accumulators.
    func run(tiles: [Tile], parallel: Bool, _ body: (Int, Tile, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        run(tiles.map { [$0] }, tiles: tiles, parallel: parallel, body)
    }

    private func run(_ groups: [[Tile]], tiles: [Tile], parallel: Bool,
                     _ body: (Int, Tile, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        let widest = maximumColumns(tiles)
        let colCount = columnRows * widest, bufferCount = Swift.max(groupOutChannels, 1) * widest
        if parallel {
            Parallel.forChunks(groups.count, cost: 1 << 20) { chunk, range in
                Scratch.withBuffer(count: colCount + bufferCount) { scratch in
                    for i in range { for tile in groups[i] { body(chunk, tile, scratch, scratch + colCount) } }
                }
            }
        } else {
            Scratch.withBuffer(count: colCount + bufferCount) { scratch in
                for tile in tiles { body(0, tile, scratch, scratch + colCount) }
            }
        }
    }
}
