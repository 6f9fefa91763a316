/// One axis of a bilinear resize with `align_corners=False`: for each output position the two source
/// positions and their weights (PyTorch's `area_pixel_compute_source_index`).
struct LinearAxis {
    var low: [Int], high: [Int], weightLow: [Float], weightHigh: [Float]

    init(input: Int, output: Int) {
        let scale = Float(input) / Float(output)
        low = []; high = []; weightLow = []; weightHigh = []
        for o in 0..<output {
            let src = Swift.max(scale * (Float(o) + 0.5) - 0.5, 0)
            let i0 = Swift.min(Int(src), input - 1)
            let i1 = i0 + (i0 < input - 1 ? 1 : 0)
            let l1 = src - Float(i0)
            low.append(i0); high.append(i1); weightLow.append(1 - l1); weightHigh.append(l1)
        }
    }
}

extension Tensor {
    private func planes(_ op: String) throws -> (planes: Int, height: Int, width: Int) {
        guard rank == 4 else { throw TensorError.shapeMismatch("\(op): input must be [N, C, H, W], got \(shape)") }
        return (shape[0] * shape[1], shape[2], shape[3])
    }

    /// Nearest-neighbour upsampling by an integer factor, as `F.interpolate(scale_factor=k, mode='nearest')`.
    public func upsampledNearest(scale: Int) throws -> Tensor {
        guard scale > 0 else { throw TensorError.invalidArgument("upsampleNearest: scale must be positive, got \(scale)") }
        let (n, h, w) = try planes("upsampleNearest")
        let (oh, ow) = (h * scale, w * scale)
        let result = Tensor(uninitializedShape: [shape[0], shape[1], oh, ow])
        let src = storage.pointer, dst = result.storage.pointer
        Parallel.forRanges(n * h, cost: scale * ow) { rows in
            for row in rows {
                let line = src + row * w
                let first = dst + row * scale * ow
                for x in 0..<w {
                    let v = line[x]
                    for k in 0..<scale { first[x * scale + k] = v }
                }
                for k in 1..<scale { (first + k * ow).update(from: first, count: ow) }
            }
        }
        return result
    }

    /// Gradient of `upsampledNearest(scale:)`: sums each `scale × scale` block.
    public func upsampleNearestBackward(scale: Int) throws -> Tensor {
        let (n, oh, ow) = try planes("upsampleNearestBackward")
        guard scale > 0, oh % scale == 0, ow % scale == 0 else {
            throw TensorError.shapeMismatch("upsampleNearestBackward: gradient \(shape) is not a ×\(scale) upsampling")
        }
        let (h, w) = (oh / scale, ow / scale)
        let result = Tensor(uninitializedShape: [shape[0], shape[1], h, w])
        let src = storage.pointer, dst = result.storage.pointer
        Parallel.forRanges(n * h, cost: scale * ow) { rows in
            for row in rows {
                let out = dst + row * w
                out.update(repeating: 0, count: w)
                for k in 0..<scale {
                    let line = src + (row * scale + k) * ow
                    for x in 0..<w {
                        var acc: Float = 0
                        for j in 0..<scale { acc += line[x * scale + j] }
                        out[x] += acc
                    }
                }
            }
        }
        return result
    }

    /// Stretches `[N, C, 2a+1, 2b+1]` planes to `height × width` by repeating their middle row and column:
    /// output row `y` reads input row `y` for `y < a`, `y − (height − 2a − 1)` for `y ≥ height − a`, and row `a`
    /// in between (columns likewise). This is the shape of a stride-1 convolution with padding `a × b` over a
    /// spatially constant map: every output position sees the same taps as the matching position of a
    /// `(2a+1) × (2b+1)` map, so that small convolution, stretched, is the large one.
    public func stretchedMiddle(height: Int, width: Int) throws -> Tensor {
        let (n, h, w) = try planes("stretchedMiddle")
        try Tensor.checkStretch(h, w, height, width, "stretchedMiddle")
        let (a, b) = (h / 2, w / 2)
        let result = Tensor(uninitializedShape: [shape[0], shape[1], height, width])
        let src = storage.pointer, dst = result.storage.pointer
        Parallel.forRanges(n, cost: height * width) { range in
            for plane in range {
                let input = src + plane * h * w, output = dst + plane * height * width
                // The h distinct rows, each written once; the middle one then fills the rows between.
                for r in 0..<h {
                    let y = r < a ? r : (r == a ? a : r + height - h)
                    let line = input + r * w, out = output + y * width
                    for x in 0..<b { out[x] = line[x] }
                    (out + b).update(repeating: line[b], count: width - 2 * b)
                    for x in 0..<b { out[width - b + x] = line[b + 1 + x] }
                }
                for y in (a + 1)..<(height - a) { (output + y * width).update(from: output + a * width, count: width) }
            }
        }
        return result
    }

    /// Gradient of ``stretchedMiddle(height:width:)`` for input planes of `height × width` (odd sizes): sums
    /// the gradient over the positions that read each input element.
    public func stretchedMiddleBackward(height h: Int, width w: Int) throws -> Tensor {
        let (n, oh, ow) = try planes("stretchedMiddleBackward")
        try Tensor.checkStretch(h, w, oh, ow, "stretchedMiddleBackward")
        let (a, b) = (h / 2, w / 2)
        let result = Tensor(uninitializedShape: [shape[0], shape[1], h, w])
        let src = storage.pointer, dst = result.storage.pointer
        Parallel.forRanges(n, cost: oh * ow) { range in
            for plane in range {
                let grad = src + plane * oh * ow, out = dst + plane * h * w
                out.update(repeating: 0, count: h * w)
                for y in 0..<oh {
                    let r = y < a ? y : (y >= oh - a ? y - (oh - h) : a)
                    let line = grad + y * ow, row = out + r * w
                    for x in 0..<b { row[x] += line[x] }
                    var middle: Float = 0
                    for x in b..<(ow - b) { middle += line[x] }
                    row[b] += middle
                    for x in 0..<b { row[b + 1 + x] += line[ow - b + x] }
                }
            }
        }
        return result
    }

    private static func checkStretch(_ h: Int, _ w: Int, _ height: Int, _ width: Int, _ op: String) throws {
        guard h % 2 == 1, w % 2 == 1, height >= h, width >= w else {
            throw TensorError.shapeMismatch("\(op): planes of \(h) × \(w) (odd sizes) cannot stretch to \(height) × \(width)")
        }
    }

    /// Bilinear resize to `height × width`, as `F.interpolate(size=..., mode='bilinear', align_corners=False)`
    /// (no antialiasing).
    public func resizedBilinear(height outH: Int, width outW: Int) throws -> Tensor {
        let (n, h, w) = try planes("resizeBilinear")
        guard outH > 0 && outW > 0 && h > 0 && w > 0 else {
            throw TensorError.invalidArgument("resizeBilinear: cannot resize \(h)×\(w) to \(outH)×\(outW)")
        }
        let ax = LinearAxis(input: h, output: outH), aw = LinearAxis(input: w, output: outW)
        let result = Tensor(uninitializedShape: [shape[0], shape[1], outH, outW])
        let src = storage.pointer, dst = result.storage.pointer
        Parallel.forRanges(n, cost: outH * outW * 8) { planes in
            for plane in planes {
                let s = src + plane * h * w, d = dst + plane * outH * outW
                for y in 0..<outH {
                    let r0 = s + ax.low[y] * w, r1 = s + ax.high[y] * w
                    let wy0 = ax.weightLow[y], wy1 = ax.weightHigh[y]
                    for x in 0..<outW {
                        let x0 = aw.low[x], x1 = aw.high[x], wx0 = aw.weightLow[x], wx1 = aw.weightHigh[x]
                        d[y * outW + x] = wy0 * (wx0 * r0[x0] + wx1 * r0[x1]) + wy1 * (wx0 * r1[x0] + wx1 * r1[x1])
                    }
                }
            }
        }
        return result
    }

    /// Gradient of `resizedBilinear` with respect to its input of size `height × width`.
    public func resizeBilinearBackward(height h: Int, width w: Int) throws -> Tensor {
        let (n, outH, outW) = try planes("resizeBilinearBackward")
        guard h > 0 && w > 0 else { throw TensorError.invalidArgument("resizeBilinearBackward: invalid input size \(h)×\(w)") }
        let ax = LinearAxis(input: h, output: outH), aw = LinearAxis(input: w, output: outW)
        let result = try Tensor.zeros([shape[0], shape[1], h, w])
        let src = storage.pointer, dst = result.storage.pointer
        Parallel.forRanges(n, cost: outH * outW * 8) { planes in
            for plane in planes {
                let g = src + plane * outH * outW, d = dst + plane * h * w
                for y in 0..<outH {
                    let r0 = d + ax.low[y] * w, r1 = d + ax.high[y] * w
                    let wy0 = ax.weightLow[y], wy1 = ax.weightHigh[y]
                    for x in 0..<outW {
                        let v = g[y * outW + x]
                        let x0 = aw.low[x], x1 = aw.high[x], wx0 = aw.weightLow[x], wx1 = aw.weightHigh[x]
                        r0[x0] += wy0 * wx0 * v; r0[x1] += wy0 * wx1 * v
                        r1[x0] += wy1 * wx0 * v; r1[x1] += wy1 * wx1 * v
                    }
                }
            }
        }
        return result
    }
}
