import TestSupport
import Testing
@testable import S2IGANTensor
import S2IGANFormats

@Suite struct ConvolutionTests {
    let f: SafeTensorsFile
    let cases: [String: [String: Any]]

    init() throws {
        f = try fixtures.load("conv")
        cases = try fixtures.cases(f)
    }

    func pair(_ c: [String: Any], _ key: String) -> IntPair {
        let v = (c[key] as? [Any] ?? []).ints
        return v.count == 2 ? IntPair(v[0], v[1]) : IntPair(v[0], v[0])
    }

    @Test(arguments: ["c1", "c2", "c3", "c4", "c5"])
    func conv2dForwardAndBackwardMatchPyTorch(_ name: String) throws {
        let c = try #require(cases[name])
        let x = try f.tensor("\(name).x"), w = try f.tensor("\(name).w")
        let hasBias = c["bias"] as? Bool ?? false
        let bias = hasBias ? try f.tensor("\(name).bias") : nil
        let (s, p, d) = (pair(c, "stride"), pair(c, "padding"), pair(c, "dilation"))
        let groups = c["groups"] as? Int ?? 1
        let y = try Tensor.conv2d(x, weight: w, bias: bias, stride: s, padding: p, dilation: d, groups: groups)
        expectClose(y, try f.tensor("\(name).out"), rtol: 1e-4, atol: 1e-4, "\(name) forward")
        let gy = try f.tensor("\(name).grad_out")
        let gx = try Tensor.conv2dBackwardInput(gy, weight: w, inputShape: x.shape, stride: s, padding: p, dilation: d, groups: groups)
        expectClose(gx, try f.tensor("\(name).grad_x"), rtol: 1e-4, atol: 1e-4, "\(name) grad input")
        let gw = try Tensor.conv2dBackwardWeight(gy, input: x, weightShape: w.shape, stride: s, padding: p, dilation: d, groups: groups)
        expectClose(gw, try f.tensor("\(name).grad_w"), rtol: 1e-4, atol: 1e-4, "\(name) grad weight")
        if hasBias {
            expectClose(try gy.sum(axes: [0, 2, 3]), try f.tensor("\(name).grad_bias"), rtol: 1e-4, atol: 1e-4, "\(name) grad bias")
        }
        // Each algorithm that applies, forced, against the same PyTorch values.
        for algorithm in Conv2dAlgorithm.allCases {
            let geometry = try Conv2dGeometry(inputShape: x.shape, weightShape: w.shape, stride: s, padding: p, dilation: d, groups: groups)
            if algorithm == .winograd && !geometry.allowsWinograd { continue }
            let y = try Tensor.conv2d(x, weight: w, bias: bias, stride: s, padding: p, dilation: d, groups: groups, algorithm: algorithm)
            expectClose(y, try f.tensor("\(name).out"), rtol: 1e-4, atol: 1e-4, "\(name) forward, \(algorithm)")
            let gx = try Tensor.conv2dBackwardInput(gy, weight: w, inputShape: x.shape, stride: s, padding: p, dilation: d, groups: groups,
                                                    algorithm: algorithm)
            expectClose(gx, try f.tensor("\(name).grad_x"), rtol: 1e-4, atol: 1e-4, "\(name) grad input, \(algorithm)")
        }
    }

    /// Winograd F(2×2, 3×3) against im2col at shapes that exercise its edges: odd output sizes (half tiles),
    /// paddings 0, 1 and 2, maps wide enough for the eight-tile vector path and narrow ones that never take it,
    /// several tile blocks, bias and rectifier, and the input gradient. NaN and infinity propagate as in im2col.
    @Test(arguments: [
        ([2, 5, 21, 37], 7, 1), ([1, 3, 9, 9], 2, 0), ([3, 4, 40, 19], 6, 2), ([1, 17, 6, 5], 16, 1),
        ([2, 20, 35, 35], 24, 1), ([1, 2, 3, 3], 3, 0), ([1, 2, 3, 3], 3, 2), ([40, 4, 34, 34], 4, 1),
    ])
    func winogradAgreesWithIm2col(_ xShape: [Int], _ outChannels: Int, _ padding: Int) throws {
        var rng = RandomGenerator(seed: UInt64(xShape.reduce(0, +) + padding))
        let x = try Tensor.normal(xShape, using: &rng), w = try Tensor.normal([outChannels, xShape[1], 3, 3], std: 0.3, using: &rng)
        let bias = try Tensor.normal([outChannels], using: &rng), p = IntPair(padding, padding)
        for relu in [false, true] {
            let fast = try Tensor.conv2d(x, weight: w, bias: bias, padding: p, relu: relu, algorithm: .winograd)
            let plain = try Tensor.conv2d(x, weight: w, bias: bias, padding: p, relu: relu, algorithm: .im2col)
            expectClose(fast, plain, rtol: 1e-4, atol: 1e-4, "forward, relu \(relu)")
        }
        let gy = try Tensor.normal(try Tensor.conv2d(x, weight: w, padding: p).shape, using: &rng)
        expectClose(try Tensor.conv2dBackwardInput(gy, weight: w, inputShape: xShape, padding: p, algorithm: .winograd),
                    try Tensor.conv2dBackwardInput(gy, weight: w, inputShape: xShape, padding: p, algorithm: .im2col),
                    rtol: 1e-4, atol: 1e-4, "input gradient")
        var special = x.scalars
        special[special.count / 2] = .nan
        special[special.count / 3] = .infinity
        let marked = try Tensor(shape: xShape, scalars: special)
        let a = try Tensor.conv2d(marked, weight: w, padding: p, algorithm: .winograd).scalars
        let b = try Tensor.conv2d(marked, weight: w, padding: p, algorithm: .im2col).scalars
        #expect(a.map { $0.isFinite } == b.map { $0.isFinite })
    }

    /// Blocks of tiles that end inside a tile row (so an eight-tile group may not start near a block's end).
    @Test(arguments: [1, 7, 13, 64])
    func winogradBlocksMaySplitTileRows(_ maximumBlock: Int) throws {
        var rng = RandomGenerator(seed: UInt64(maximumBlock))
        let x = try Tensor.normal([2, 3, 40, 41], using: &rng), w = try Tensor.normal([5, 3, 3, 3], using: &rng)
        let expected = try Tensor.conv2d(x, weight: w, padding: 1, algorithm: .im2col)
        let u = Winograd.transformedWeights(w.storage.pointer, outChannels: 5, inChannels: 3, flipped: false)
        let result = Tensor(uninitializedShape: expected.shape)
        Winograd.convolve(x.storage.pointer, batch: 2, inChannels: 3, height: 40, width: 41, padding: 1, u: u.storage.pointer,
                          outChannels: 5, bias: nil, relu: false, into: result.storage.pointer, maximumBlock: maximumBlock)
        expectClose(result, expected, rtol: 1e-4, atol: 1e-4, "blocks of \(maximumBlock) tiles")
    }

    /// A hand-derived case: a 3×3 box filter over a 4×4 ramp with padding 1 sums each clipped neighbourhood.
    @Test func winogradHandDerived() throws {
        let x = try Tensor.arange(0, 16).reshaped([1, 1, 4, 4])
        let y = try Tensor.conv2d(x, weight: Tensor.ones([1, 1, 3, 3]), padding: 1, algorithm: .winograd)
        #expect(y.scalars == [10, 18, 24, 18, 27, 45, 54, 39, 51, 81, 90, 63, 42, 66, 72, 50])
        #expect(throws: TensorError.self) { try Tensor.conv2d(x, weight: Tensor.ones([1, 1, 3, 3]), stride: 2, algorithm: .winograd) }
        #expect(throws: TensorError.self) { try Tensor.conv2d(x, weight: Tensor.ones([1, 1, 2, 2]), algorithm: .winograd) }
    }

    @Test(arguments: ["d1", "d2"])
    func conv1dForwardAndBackwardMatchPyTorch(_ name: String) throws {
        let c = try #require(cases[name])
        let x = try f.tensor("\(name).x"), w = try f.tensor("\(name).w")
        let bias = (c["bias"] as? Bool ?? false) ? try f.tensor("\(name).bias") : nil
        let s = (c["stride"] as? [Any] ?? []).ints[0], p = (c["padding"] as? [Any] ?? []).ints[0]
        let d = (c["dilation"] as? [Any] ?? []).ints[0]
        let y = try Tensor.conv1d(x, weight: w, bias: bias, stride: s, padding: p, dilation: d)
        expectClose(y, try f.tensor("\(name).out"), rtol: 1e-4, atol: 1e-4, "\(name) forward")
        let gy = try f.tensor("\(name).grad_out")
        expectClose(try Tensor.conv1dBackwardInput(gy, weight: w, inputShape: x.shape, stride: s, padding: p, dilation: d),
                    try f.tensor("\(name).grad_x"), rtol: 1e-4, atol: 1e-4, "\(name) grad input")
        expectClose(try Tensor.conv1dBackwardWeight(gy, input: x, weightShape: w.shape, stride: s, padding: p, dilation: d),
                    try f.tensor("\(name).grad_w"), rtol: 1e-4, atol: 1e-4, "\(name) grad weight")
    }

    /// Every work plan (parallel row bands, parallel groups of samples, sequential groups of samples)
    /// agrees with convolving one sample at a time, the plan the PyTorch fixtures above exercise.
    @Test(arguments: [
        ([16, 6, 12, 12], [8, 6, 4, 4], 2, 1),     // small maps: parallel tiles of several samples
        ([4, 3, 40, 40], [5, 3, 3, 3], 1, 1),      // large maps: parallel bands of rows
        ([3, 256, 4, 4], [512, 256, 3, 3], 1, 1),  // large weights: sequential, several samples per GEMM
    ])
    func everyWorkPlanAgreesWithPerSampleConvolution(_ xShape: [Int], _ wShape: [Int], _ stride: Int, _ padding: Int) throws {
        var rng = RandomGenerator(seed: 7)
        let x = try Tensor.normal(xShape, using: &rng), w = try Tensor.normal(wShape, std: 0.1, using: &rng)
        let s = IntPair(stride, stride), p = IntPair(padding, padding)
        let y = try Tensor.conv2d(x, weight: w, stride: s, padding: p)
        let gy = try Tensor.normal(y.shape, using: &rng)
        let gx = try Tensor.conv2dBackwardInput(gy, weight: w, inputShape: x.shape, stride: s, padding: p)
        var gwSum = try Tensor.zeros(w.shape)
        for n in 0..<xShape[0] {
            let xn = try x.slice(axis: 0, start: n, end: n + 1), gyn = try gy.slice(axis: 0, start: n, end: n + 1)
            expectClose(try y.slice(axis: 0, start: n, end: n + 1), try Tensor.conv2d(xn, weight: w, stride: s, padding: p),
                        rtol: 1e-4, atol: 1e-4, "sample \(n)")
            expectClose(try gx.slice(axis: 0, start: n, end: n + 1),
                        try Tensor.conv2dBackwardInput(gyn, weight: w, inputShape: xn.shape, stride: s, padding: p),
                        rtol: 1e-4, atol: 1e-4, "grad input sample \(n)")
            gwSum = try gwSum + Tensor.conv2dBackwardWeight(gyn, input: xn, weightShape: w.shape, stride: s, padding: p)
        }
        expectClose(try Tensor.conv2dBackwardWeight(gy, input: x, weightShape: w.shape, stride: s, padding: p), gwSum,
                    rtol: 1e-3, atol: 1e-3, "grad weight")
    }

    /// Wide stride-2 rows take the vectorised column builder; a direct six-loop convolution is the truth.
    @Test func wideStridedRowsAgreeWithADirectConvolution() throws {
        var rng = RandomGenerator(seed: 11)
        let (n, c, h, w, o, k) = (2, 3, 9, 41, 4, 4)
        let x = try Tensor.normal([n, c, h, w], using: &rng), weight = try Tensor.normal([o, c, k, k], using: &rng)
        let y = try Tensor.conv2d(x, weight: weight, stride: 2, padding: 1)
        let (oh, ow) = ((h + 2 - k) / 2 + 1, (w + 2 - k) / 2 + 1)
        #expect(y.shape == [n, o, oh, ow])
        let xs = x.scalars, ws = weight.scalars
        var expected = [Float](repeating: 0, count: n * o * oh * ow)
        for b in 0..<n { for f in 0..<o { for i in 0..<oh { for j in 0..<ow {
            var acc: Float = 0
            for ch in 0..<c { for u in 0..<k { for v in 0..<k {
                let (yy, xx) = (i * 2 - 1 + u, j * 2 - 1 + v)
                if yy >= 0 && yy < h && xx >= 0 && xx < w {
                    acc += xs[((b * c + ch) * h + yy) * w + xx] * ws[((f * c + ch) * k + u) * k + v]
                }
            } } }
            expected[((b * o + f) * oh + i) * ow + j] = acc
        } } } }
        expectClose(y, try Tensor(shape: y.shape, scalars: expected), rtol: 1e-4, atol: 1e-4, "strided")
    }

    @Test func handDerivedConvolution() throws {
        // A 2×2 box filter over a 3×3 ramp: each output is the sum of a 2×2 window.
        let x = try Tensor.arange(0, 9).reshaped([1, 1, 3, 3])
        let w = try Tensor.ones([1, 1, 2, 2])
        #expect(try Tensor.conv2d(x, weight: w).scalars == [8, 12, 20, 24])
        #expect(try Tensor.conv2d(x, weight: w, bias: Tensor([1])).scalars == [9, 13, 21, 25])
    }

    @Test func invalidConvolutionsThrow() throws {
        let x = try Tensor.zeros([1, 3, 4, 4])
        #expect(throws: TensorError.self) { try Tensor.conv2d(x, weight: try Tensor.zeros([2, 4, 3, 3])) }
        #expect(throws: TensorError.self) { try Tensor.conv2d(x, weight: try Tensor.zeros([2, 3, 5, 5])) }
        #expect(throws: TensorError.self) { try Tensor.conv2d(x, weight: try Tensor.zeros([2, 3, 3, 3]), stride: 0) }
        #expect(throws: TensorError.self) { try Tensor.conv2d(x, weight: try Tensor.zeros([2, 3, 3, 3]), bias: Tensor([1])) }
        #expect(throws: TensorError.self) { try Tensor.conv2d(try Tensor.zeros([3, 4, 4]), weight: try Tensor.zeros([2, 3, 3, 3])) }
    }
}
