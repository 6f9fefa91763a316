/// How `Tensor.conv2d` computes a convolution.
public enum Conv2dAlgorithm: Sendable, Equatable, CaseIterable {
    /// Winograd's minimal filtering where it applies and pays (``Conv2dGeometry/prefersWinograd``), im2col +
    /// GEMM elsewhere.
    case automatic
    /// im2col + GEMM (every convolution).
    case im2col
    /// Winograd F(2 × 2, 3 × 3) (3 × 3 kernels, stride 1, no dilation, one group, padding at most 2); a
    /// convolution it does not apply to throws.
    case winograd
}

/// Winograd's F(2 × 2, 3 × 3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): each
/// 2 × 2 block of outputs comes from a 4 × 4 input patch with 16 multiplications per channel pair instead of
/// 36. With d the patch, g the 3 × 3 kernel and
///
///     Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],  Aᵀ = [1 1 1 0; 0 1 −1 −1],
///
/// the output block is Aᵀ [Σ_c (G g Gᵀ) ⊙ (Bᵀ d B)] A. The sum over input channels of the 16 element-wise
/// products is 16 GEMMs, `[outC, inC] × [inC, tiles]`, one per position ξ of the 4 × 4 transformed tile; the
/// transforms use only additions and halvings, so the results agree with the direct convolution to float
/// rounding.
enum Winograd {
    /// The rule of ``Conv2dGeometry/prefersWinograd``: 1/inC + 1/outC ≤ 1/20 and at least 64 tiles.
    static func pays(inChannels: Int, outChannels: Int, tiles: Int) -> Bool {
        20 * (inChannels + outChannels) <= inChannels * outChannels && tiles >= 64
    }

    /// Transformed weights `[16, outC, inC]` of `weight` `[outC, inC, 3, 3]`; with `flipped`, of the weight the
    /// input gradient convolves with (`w'[c][o][r][s] = w[o][c][2 − r][2 − s]`, so `[16, inC, outC]`).
    static func transformedWeights(_ weight: UnsafePointer<Float>, outChannels: Int, inChannels: Int, flipped: Bool) -> Tensor {
        let (rows, columns) = flipped ? (inChannels, outChannels) : (outChannels, inChannels)
        let plane = rows * columns
        return Tensor(shape: [16, rows, columns]) { u in
            let base = u.baseAddress!
            Parallel.forRanges(outChannels * inChannels, cost: 64) { pairs in
                let g = UnsafeMutablePointer<Float>.allocate(capacity: 9), t = UnsafeMutablePointer<Float>.allocate(capacity: 12)
                defer { g.deallocate(); t.deallocate() }
                for pair in pairs {
                    let (o, c) = (pair / inChannels, pair % inChannels)
                    let src = weight + pair * 9
                    for i in 0..<9 { g[i] = flipped ? src[8 - i] : src[i] }
                    // t = G g (4 × 3), then U = t Gᵀ (4 × 4).
                    for s in 0..<3 {
                        let (g0, g1, g2) = (g[s], g[3 + s], g[6 + s])
                        t[s] = g0
                        t[3 + s] = 0.5 * (g0 + g1 + g2)
                        t[6 + s] = 0.5 * (g0 - g1 + g2)
                        t[9 + s] = g2
                    }
                    let at = flipped ? c * columns + o : o * columns + c
                    for r in 0..<4 {
                        let (t0, t1, t2) = (t[3 * r], t[3 * r + 1], t[3 * r + 2])
                        base[(4 * r) * plane + at] = t0
                        base[(4 * r + 1) * plane + at] = 0.5 * (t0 + t1 + t2)
                        base[(4 * r + 2) * plane + at] = 0.5 * (t0 - t1 + t2)
                        base[(4 * r + 3) * plane + at] = t2
                    }
                }
            }
        }
    }

    /// `out[n, o] = Σ_c x[n, c] ⋆ k[o, c]` (3 × 3, stride 1, zero padding `padding` on every side) with the
    /// transformed weights `u` `[16, outC, inC]`, plus `bias`, then the rectifier if asked.
    static func convolve(_ x: UnsafePointer<Float>, batch: Int, inChannels: Int, height: Int, width: Int, padding: Int,
                         u: UnsafePointer<Float>, outChannels: Int, bias: UnsafePointer<Float>?, relu: Bool,
                         into out: UnsafeMutablePointer<Float>, maximumBlock: Int = .max) {
        let (oh, ow) = (height + 2 * padding - 2, width + 2 * padding - 2)
        let (tilesHigh, tilesWide) = ((oh + 1) / 2, (ow + 1) / 2)
        let perSample = tilesHigh * tilesWide
        let total = batch * perSample
        // Tiles per block: the transformed inputs and products of a block take about 8M floats (32 MiB), so the
        // GEMMs are wide; at least 64 tiles, and no more than there are (or than `maximumBlock`, for tests).
        let block = Swift.min(total, maximumBlock, Swift.max(64, (8 << 20) / (16 * (inChannels + outChannels))))
        let (C, O) = (inChannels, outChannels)
        Scratch.withBuffer(count: 16 * (C + O) * block) { scratch in
            let v = scratch, m = scratch + 16 * C * block
            var origins = [Int](repeating: 0, count: 3 * block), runs = [Int](repeating: 1, count: block)
            for start in Swift.stride(from: 0, to: total, by: block) {
                let count = Swift.min(block, total - start)
                for j in 0..<count {
                    let t = start + j
                    let (n, r) = (t / perSample, t % perSample)
                    origins[3 * j] = n
                    origins[3 * j + 1] = 2 * (r / tilesWide) - padding
                    origins[3 * j + 2] = 2 * (r % tilesWide) - padding
                }
                // Eight tiles side by side in one tile row, their patches inside the input (and their outputs inside
                // the output), go through the transforms as one vector each: `runs[j]` is 8 where such a group
                // starts and 1 for a tile done alone.
                for j in 0..<count {
                    let (n, y0, x0) = (origins[3 * j], origins[3 * j + 1], origins[3 * j + 2])
                    var group = j + 8 <= count && y0 >= 0 && y0 + 4 <= height && x0 >= 0 && x0 + 18 <= width
                        && y0 + padding + 2 <= oh && x0 + padding + 16 <= ow
                    if group {
                        let last = 3 * (j + 7)
                        group = origins[last] == n && origins[last + 1] == y0 && origins[last + 2] == x0 + 14
                    }
                    runs[j] = group ? 8 : 1
                }
                origins.withUnsafeBufferPointer { o in
                  runs.withUnsafeBufferPointer { kinds in
                    let origin = o.baseAddress!, run = kinds.baseAddress!
                    // V[ξ][c][j] = (Bᵀ d B)[ξ] of channel c's patch of tile j.
                    Parallel.forRanges(C, cost: count * 48) { channels in
                        let p = UnsafeMutablePointer<Float>.allocate(capacity: 16)
                        defer { p.deallocate() }
                        let step = C * block
                        for c in channels {
                            var j = 0
                            while j < count {
                                let (n, y0, x0) = (origin[3 * j], origin[3 * j + 1], origin[3 * j + 2])
                                let plane = x + (n * C + c) * height * width
                                if run[j] == 8 {
                                    Winograd.transformInputs(plane + y0 * width + x0, width: width, into: v + c * block + j, step: step)
                                    j += 8
                                    continue
                                }
                                defer { j += 1 }
                                if y0 >= 0 && x0 >= 0 && y0 + 4 <= height && x0 + 4 <= width {
                                    for r in 0..<4 {
                                        let row = plane + (y0 + r) * width + x0
                                        p[4 * r] = row[0]; p[4 * r + 1] = row[1]; p[4 * r + 2] = row[2]; p[4 * r + 3] = row[3]
                                    }
                                } else {
                                    for r in 0..<4 {
                                        let y = y0 + r
                                        for s in 0..<4 {
                                            let xx = x0 + s
                                            p[4 * r + s] = (y >= 0 && y < height && xx >= 0 && xx < width) ? plane[y * width + xx] : 0
                                        }
                                    }
                                }
                                // t = Bᵀ d (rows), then V = t B (columns).
                                let (t00, t01, t02, t03) = (p[0] - p[8], p[1] - p[9], p[2] - p[10], p[3] - p[11])
                                let (t10, t11, t12, t13) = (p[4] + p[8], p[5] + p[9], p[6] + p[10], p[7] + p[11])
                                let (t20, t21, t22, t23) = (p[8] - p[4], p[9] - p[5], p[10] - p[6], p[11] - p[7])
                                let (t30, t31, t32, t33) = (p[4] - p[12], p[5] - p[13], p[6] - p[14], p[7] - p[15])
                                let dst = v + c * block + j
                                dst[0] = t00 - t02; dst[step] = t01 + t02; dst[2 * step] = t02 - t01; dst[3 * step] = t01 - t03
                                dst[4 * step] = t10 - t12; dst[5 * step] = t11 + t12; dst[6 * step] = t12 - t11; dst[7 * step] = t11 - t13
                                dst[8 * step] = t20 - t22; dst[9 * step] = t21 + t22; dst[10 * step] = t22 - t21; dst[11 * step] = t21 - t23
                                dst[12 * step] = t30 - t32; dst[13 * step] = t31 + t32; dst[14 * step] = t32 - t31; dst[15 * step] = t31 - t33
                            }
                        }
                    }
                    // M[ξ] = U[ξ] V[ξ]: sixteen independent products, spread over the workers.
                    Parallel.forRanges(16, cost: 1 << 20) { positions in
                        for xi in positions {
                            sgemm(transA: false, transB: false, m: O, n: count, k: C, a: u + xi * O * C, lda: C,
                                  b: v + xi * C * block, ldb: block, c: m + xi * O * block, ldc: block)
                        }
                    }
                    // Y = Aᵀ M A per output channel and tile, plus the bias, rectified.
                    Parallel.forRanges(O, cost: count * 40) { channels in
                        let step = O * block
                        for o in channels {
                            let b = bias?[o] ?? 0
                            var j = 0
                            while j < count {
                                let (n, y0, x0) = (origin[3 * j], origin[3 * j + 1] + padding, origin[3 * j + 2] + padding)
                                let q = m + o * block + j
                                if run[j] == 8 {
                                    Winograd.transformOutputs(q, step: step, bias: b, relu: relu, into: out + ((n * O + o) * oh + y0) * ow + x0, width: ow)
                                    j += 8
                                    continue
                                }
                                defer { j += 1 }
                                let (m0, m1, m2, m3) = (q[0], q[step], q[2 * step], q[3 * step])
                                let (m4, m5, m6, m7) = (q[4 * step], q[5 * step], q[6 * step], q[7 * step])
                                let (m8, m9, m10, m11) = (q[8 * step], q[9 * step], q[10 * step], q[11 * step])
                                let (m12, m13, m14, m15) = (q[12 * step], q[13 * step], q[14 * step], q[15 * step])
                                // s = Aᵀ M (2 × 4), then Y = s A (2 × 2).
                                let (s00, s01, s02, s03) = (m0 + m4 + m8, m1 + m5 + m9, m2 + m6 + m10, m3 + m7 + m11)
                                let (s10, s11, s12, s13) = (m4 - m8 - m12, m5 - m9 - m13, m6 - m10 - m14, m7 - m11 - m15)
                                var y00 = s00 + s01 + s02 + b, y01 = s01 - s02 - s03 + b
                                var y10 = s10 + s11 + s12 + b, y11 = s11 - s12 - s13 + b
                                if relu {
                                    y00 = ReluOp.apply(y00); y01 = ReluOp.apply(y01); y10 = ReluOp.apply(y10); y11 = ReluOp.apply(y11)
                                }
                                let dst = out + ((n * O + o) * oh + y0) * ow + x0
                                dst[0] = y00
                                if x0 + 1 < ow { dst[1] = y01 }
                                if y0 + 1 < oh {
                                    dst[ow] = y10
                                    if x0 + 1 < ow { dst[ow + 1] = y11 }
                                }
                            }
                        }
                    }
                  }
                }
            }
        }
    }

    /// The input transform of eight neighbouring tiles (patch origins two columns apart) of one channel: `patch`
    /// is the first patch's top-left value, and the 18 values of each of its 4 rows are read. Writes the 16
    /// transformed values of each tile to `dst[ξ · step + j]`.
    @inline(__always)
    static func transformInputs(_ patch: UnsafePointer<Float>, width: Int, into dst: UnsafeMutablePointer<Float>, step: Int) {
        typealias V = SIMD8<Float>
        func row(_ r: Int) -> (V, V, V, V) {
            let base = UnsafeRawPointer(patch + r * width)
            let a = base.loadUnaligned(as: SIMD16<Float>.self), b = base.loadUnaligned(fromByteOffset: 8, as: SIMD16<Float>.self)
            return (a.evenHalf, a.oddHalf, b.evenHalf, b.oddHalf)
        }
        let (d00, d01, d02, d03) = row(0), (d10, d11, d12, d13) = row(1)
        let (d20, d21, d22, d23) = row(2), (d30, d31, d32, d33) = row(3)
        let (t00, t01, t02, t03) = (d00 - d20, d01 - d21, d02 - d22, d03 - d23)
        let (t10, t11, t12, t13) = (d10 + d20, d11 + d21, d12 + d22, d13 + d23)
        let (t20, t21, t22, t23) = (d20 - d10, d21 - d11, d22 - d12, d23 - d13)
        let (t30, t31, t32, t33) = (d10 - d30, d11 - d31, d12 - d32, d13 - d33)
        func put(_ xi: Int, _ value: V) { UnsafeMutableRawPointer(dst + xi * step).storeBytes(of: value, as: V.self) }
        put(0, t00 - t02); put(1, t01 + t02); put(2, t02 - t01); put(3, t01 - t03)
        put(4, t10 - t12); put(5, t11 + t12); put(6, t12 - t11); put(7, t11 - t13)
        put(8, t20 - t22); put(9, t21 + t22); put(10, t22 - t21); put(11, t21 - t23)
        put(12, t30 - t32); put(13, t31 + t32); put(14, t32 - t31); put(15, t31 - t33)
    }

    /// The output transform of eight neighbouring tiles of one output channel: `q[ξ · step + j]` are the
    /// products, and the 2 × 16 outputs (plus `bias`, rectified if asked) go to `dst` and the row below.
    @inline(__always)
    static func transformOutputs(_ q: UnsafePointer<Float>, step: Int, bias: Float, relu: Bool, into dst: UnsafeMutablePointer<Float>, width: Int) {
        typealias V = SIMD8<Float>
        func get(_ xi: Int) -> V { UnsafeRawPointer(q + xi * step).loadUnaligned(as: V.self) }
        let (m0, m1, m2, m3) = (get(0), get(1), get(2), get(3))
        let (m4, m5, m6, m7) = (get(4), get(5), get(6), get(7))
        let (m8, m9, m10, m11) = (get(8), get(9), get(10), get(11))
        let (m12, m13, m14, m15) = (get(12), get(13), get(14), get(15))
        let (s00, s01, s02, s03) = (m0 + m4 + m8, m1 + m5 + m9, m2 + m6 + m10, m3 + m7 + m11)
        let (s10, s11, s12, s13) = (m4 - m8 - m12, m5 - m9 - m13, m6 - m10 - m14, m7 - m11 - m15)
        let b = V(repeating: bias)
        var top = SIMD16<Float>(), bottom = SIMD16<Float>()
        top.evenHalf = s00 + s01 + s02 + b
        top.oddHalf = s01 - s02 - s03 + b
        bottom.evenHalf = s10 + s11 + s12 + b
        bottom.oddHalf = s11 - s12 - s13 + b
        if relu {
            // ReluOp's rule: NaN stays NaN (it is not ≤ 0), everything else not above 0 becomes 0.
            top.replace(with: 0, where: top .<= 0)
            bottom.replace(with: 0, where: bottom .<= 0)
        }
        UnsafeMutableRawPointer(dst).storeBytes(of: top, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(dst + width).storeBytes(of: bottom, as: SIMD16<Float>.self)
    }
}

extension Conv2dGeometry {
    /// Whether Winograd F(2 × 2, 3 × 3) can compute this convolution.
    var allowsWinograd: Bool {
        kernelHeight == 3 && kernelWidth == 3 && stride == 1 && dilation == 1 && groups == 1
            && padding.height == padding.width && padding.height <= 2
    }

    /// Whether it is also expected to be faster than im2col + GEMM. The transforms cost about inC + outC per
    /// tile against inC · outC for the products, and the products are GEMMs only inC deep: measured on this
    /// project's shapes (`s2igan bench conv --algorithm im2col|winograd`, `Docs/benchmarks.md`), Winograd
    /// wins by 1.1–1.6× from 32 × 64 channels up and ties at 32 × 32 (Inception-v3's second layer), so it is
    /// chosen when 1/inC + 1/outC ≤ 1/20, and when there are at least 64 tiles.
    var prefersWinograd: Bool {
        allowsWinograd && Winograd.pays(inChannels: inChannels, outChannels: outChannels,
                                        tiles: ((outHeight + 1) / 2) * ((outWidth + 1) / 2) * batch)
    }

    /// The same choice for this convolution's input gradient: a convolution of the output gradient from outC to
    /// inC channels whose output is the input's size.
    var prefersWinogradInputGradient: Bool {
        allowsWinograd && Winograd.pays(inChannels: outChannels, outChannels: inChannels, tiles: ((height + 1) / 2) * ((width + 1) / 2) * batch)
    }

    /// Throws, naming `operation`, unless Winograd F(2 × 2, 3 × 3) applies (for a forced `.winograd`).
    func requireWinograd(_ operation: String) throws {
        guard allowsWinograd else {
            throw TensorError.invalidArgument("\(operation): Winograd F(2×2, 3×3) needs a 3×3 kernel, stride 1, no dilation, one group and equal padding of at most 2; got weight \(weightShape), stride \(stride), padding \(padding), dilation \(dilation), groups \(groups)")
        }
    }
}
