/// Per-channel kernels for batch normalisation on `[N, C, ...]` tensors: statistics, the affine
/// transform, and the fused backward pass. Each is one pass (or two) over the data, parallel over channels.
extension Tensor {
    private func channelLayout(_ op: String) throws -> (batch: Int, channels: Int, plane: Int) {
        guard rank >= 2 else { throw TensorError.shapeMismatch("\(op): input must be [N, C, ...], got \(shape)") }
        return (shape[0], shape[1], shape[2...].reduce(1, *))
    }

    /// The mean and the biased variance of every channel (axis 1) over all other axes, accumulated in Double.
    public func channelMoments() throws -> (mean: Tensor, variance: Tensor) {
        let (n, c, plane) = try channelLayout("channelMoments")
        let mean = Tensor(uninitializedShape: [c]), variance = Tensor(uninitializedShape: [c])
        let x = storage.pointer, mp = mean.storage.pointer, vp = variance.storage.pointer
        let count = Double(Swift.max(n * plane, 1))
        Parallel.forRanges(c, cost: n * plane * 2) { channels in
            for ch in channels {
                var sum = 0.0
                for i in 0..<n { sum += Double(contiguousSum(x + (i * c + ch) * plane, plane)) }
                let mu = sum / count
                var squares = 0.0
                for i in 0..<n {
                    let p = x + (i * c + ch) * plane
                    squares += squaredDeviations(p, Float(mu), plane)
                }
                mp[ch] = Float(mu)
                vp[ch] = Float(squares / count)
            }
        }
        return (mean, variance)
    }

    /// `x · scale[c] + shift[c]` for every channel `c` (axis 1).
    public func channelAffine(scale: Tensor, shift: Tensor) throws -> Tensor {
        let (n, c, plane) = try channelLayout("channelAffine")
        guard scale.shape == [c], shift.shape == [c] else {
            throw TensorError.shapeMismatch("channelAffine: scale \(scale.shape) and shift \(shift.shape) must be [\(c)]")
        }
        let result = Tensor(uninitializedShape: shape)
        let x = storage.pointer, y = result.storage.pointer, a = scale.storage.pointer, b = shift.storage.pointer
        Parallel.forRanges(n * c, cost: plane) { items in
            for item in items {
                let (s, t) = (a[item % c], b[item % c])
                let src = x + item * plane, dst = y + item * plane
                for j in 0..<plane { dst[j] = src[j] * s + t }
            }
        }
        return result
    }

    /// The sum of every channel (axis 1) over all other axes: the bias gradient of a convolution.
    public func channelSums() throws -> Tensor {
        let (n, c, plane) = try channelLayout("channelSums")
        let result = Tensor(uninitializedShape: [c])
        let x = storage.pointer, out = result.storage.pointer
        Parallel.forRanges(c, cost: n * plane) { channels in
            for ch in channels {
                var sum: Float = 0
                for i in 0..<n { sum += contiguousSum(x + (i * c + ch) * plane, plane) }
                out[ch] = sum
            }
        }
        return result
    }

    /// The mean and biased variance of every channel over the global batch of a data-parallel job, each replica
    /// holding `self`, a shard of it: the channel sums and the element count are summed over the replicas, then the
    /// squared deviations from the global mean (two exchanges of `C + 1` and `C` Doubles, the single-process
    /// arithmetic of ``channelMoments()`` up to the order of the sums). `count` is the global element count per
    /// channel. Without replicas it is ``channelMoments()``.
    public func channelMoments(across replicas: (any ReplicaGroup)?) throws -> (mean: Tensor, variance: Tensor, count: Int) {
        let (n, c, plane) = try channelLayout("channelMoments")
        guard let replicas else {
            let (mean, variance) = try channelMoments()
            return (mean, variance, n * plane)
        }
        let x = storage.pointer
        var sums = [Double](repeating: 0, count: c + 1)
        sums.withUnsafeMutableBufferPointer { buffer in
            let s = buffer.baseAddress!
            Parallel.forRanges(c, cost: n * plane) { channels in
                for ch in channels {
                    var sum = 0.0
                    for i in 0..<n { sum += Double(contiguousSum(x + (i * c + ch) * plane, plane)) }
                    s[ch] = sum
                }
            }
        }
        sums[c] = Double(n * plane)
        try replicas.sumOverReplicas(&sums)
        let count = sums[c]
        guard count >= 1 else { throw TensorError.invalidArgument("channelMoments: the replicas hold no elements") }
        let mean = Tensor(uninitializedShape: [c]), variance = Tensor(uninitializedShape: [c])
        let mp = mean.storage.pointer
        for ch in 0..<c { mp[ch] = Float(sums[ch] / count) }
        var squares = [Double](repeating: 0, count: c)
        squares.withUnsafeMutableBufferPointer { buffer in
            let s = buffer.baseAddress!
            Parallel.forRanges(c, cost: n * plane) { channels in
                for ch in channels {
                    var total = 0.0
                    for i in 0..<n { total += squaredDeviations(x + (i * c + ch) * plane, mp[ch], plane) }
                    s[ch] = total
                }
            }
        }
        try replicas.sumOverReplicas(&squares)
        let vp = variance.storage.pointer
        for ch in 0..<c { vp[ch] = Float(squares[ch] / count) }
        return (mean, variance, Int(count))
    }

    /// The backward pass of training-mode batch normalisation `y = (x − mean) · invStd · weight + bias`:
    /// `dx = weight · invStd · (g − mean(g) − x̂ · mean(g · x̂))` with `x̂ = (x − mean) · invStd`, and the
    /// parameter gradients `Σ g · x̂` and `Σ g` per channel.
    ///
    /// With `replicas` (SyncBatchNorm; `mean` and `invStd` are then the global batch's, `count` its element count
    /// per channel from ``channelMoments(across:)``), `mean(g)` and `mean(g · x̂)` are taken over the global batch: the
    /// per-channel sums are exchanged between the two passes. The parameter gradients stay this replica's own sums,
    /// to be averaged with the other gradients as data-parallel training does.
    public static func batchNormBackward(_ gradient: Tensor, input: Tensor, mean: Tensor, invStd: Tensor,
                                         weight: Tensor?, count: Int? = nil, across replicas: (any ReplicaGroup)? = nil)
        throws -> (input: Tensor, weight: Tensor, bias: Tensor) {
        let (n, c, plane) = try input.channelLayout("batchNormBackward")
        guard gradient.shape == input.shape, mean.shape == [c], invStd.shape == [c], weight.map({ $0.shape == [c] }) ?? true else {
            throw TensorError.shapeMismatch("batchNormBackward: gradient \(gradient.shape), input \(input.shape) and statistics do not match")
        }
        let dx = Tensor(uninitializedShape: input.shape)
        let dw = Tensor(uninitializedShape: [c]), db = Tensor(uninitializedShape: [c])
        let g = gradient.storage.pointer, x = input.storage.pointer, mp = mean.storage.pointer, ip = invStd.storage.pointer
        let wp = weight?.storage.pointer, out = dx.storage.pointer, dwp = dw.storage.pointer, dbp = db.storage.pointer
        let m = Float(Swift.max(count ?? n * plane, 1))
        /// Σg and Σg(x − μ) of one channel, which cancel heavily: blocks of 8-lane Float sums, accumulated in Double.
        func totals(_ ch: Int) -> (Double, Double) {
            var totalG = 0.0, totalGX = 0.0
            for i in 0..<n {
                let (a, b) = centredSums(g + (i * c + ch) * plane, x + (i * c + ch) * plane, mp[ch], plane)
                totalG += a
                totalGX += b
            }
            return (totalG, totalGX)
        }
        /// dx of one channel from the (global) sums.
        func inputGradient(_ ch: Int, _ sumG: Float, _ sumGX: Float) {
            let (mu, inv) = (mp[ch], ip[ch])
            let scale = (wp?[ch] ?? 1) * inv
            let meanG = sumG / m, meanGX = sumGX / m
            for i in 0..<n {
                let gp = g + (i * c + ch) * plane, xp = x + (i * c + ch) * plane, dp = out + (i * c + ch) * plane
                for j in 0..<plane {
                    let xhat = (xp[j] - mu) * inv
                    dp[j] = scale * (gp[j] - meanG - xhat * meanGX)
                }
            }
        }
        guard let replicas else {
            // One pass per channel while its data is in cache.
            Parallel.forRanges(c, cost: n * plane * 3) { channels in
                for ch in channels {
                    let (totalG, totalGX) = totals(ch)
                    let sumG = Float(totalG), sumGX = Float(totalGX) * ip[ch]
                    (dbp[ch], dwp[ch]) = (sumG, sumGX)
                    inputGradient(ch, sumG, sumGX)
                }
            }
            return (dx, dw, db)
        }
        var sums = [Double](repeating: 0, count: 2 * c)
        sums.withUnsafeMutableBufferPointer { buffer in
            let s = buffer.baseAddress!
            Parallel.forRanges(c, cost: n * plane * 2) { channels in
                for ch in channels { (s[ch], s[c + ch]) = totals(ch) }
            }
        }
        for ch in 0..<c { (dbp[ch], dwp[ch]) = (Float(sums[ch]), Float(sums[c + ch]) * ip[ch]) }
        try replicas.sumOverReplicas(&sums)
        let global = sums
        Parallel.forRanges(c, cost: n * plane * 2) { channels in
            for ch in channels { inputGradient(ch, Float(global[ch]), Float(global[c + ch]) * ip[ch]) }
        }
        return (dx, dw, db)
    }

    /// The gradient of `leakyRelu(negativeSlope:)` (and of `relu`, slope 0) given the input.
    public static func leakyReluGradient(_ gradient: Tensor, input: Tensor, negativeSlope: Float = 0) throws -> Tensor {
        guard gradient.shape == input.shape else {
            throw TensorError.shapeMismatch("leakyReluGradient: gradient \(gradient.shape) and input \(input.shape) differ")
        }
        let result = Tensor(uninitializedShape: input.shape)
        let g = gradient.storage.pointer, x = input.storage.pointer, out = result.storage.pointer
        Parallel.forRanges(result.count) { r in
            for i in r { out[i] = x[i] > 0 ? g[i] : g[i] * negativeSlope }
        }
        return result
    }

    /// `g · y · (1 − y)`, the gradient of the sigmoid given its output `y`.
    public static func sigmoidGradient(_ gradient: Tensor, output: Tensor) throws -> Tensor {
        try outputGradient(gradient, output, SigmoidGradientOp.self)
    }

    /// `g · (1 − y²)`, the gradient of tanh given its output `y`.
    public static func tanhGradient(_ gradient: Tensor, output: Tensor) throws -> Tensor {
        try outputGradient(gradient, output, TanhGradientOp.self)
    }

    private static func outputGradient<Op: BinaryElementwise>(_ gradient: Tensor, _ output: Tensor, _ op: Op.Type) throws -> Tensor {
        guard gradient.shape == output.shape else {
            throw TensorError.shapeMismatch("\(Op.name): gradient \(gradient.shape) and output \(output.shape) differ")
        }
        return try broadcastBinary(gradient, output, op)
    }
}

enum SigmoidGradientOp: BinaryElementwise {
    static let name = "sigmoidGradient"
    static func apply(_ g: Float, _ y: Float) -> Float { g * y * (1 - y) }
}

enum TanhGradientOp: BinaryElementwise {
    static let name = "tanhGradient"
    static func apply(_ g: Float, _ y: Float) -> Float { g * (1 - y * y) }
}

/// `(Σ g, Σ g·(x − mu))` over `count` elements: 8 Float lanes within blocks of 512, blocks added in Double, so
/// that the error does not grow with the plane size.
@inline(__always)
func centredSums(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ mu: Float, _ count: Int) -> (Double, Double) {
    var totalG = 0.0, totalGX = 0.0
    var start = 0
    while start < count {
        let end = Swift.min(start + 512, count)
        var sg = SIMD8<Float>(repeating: 0), sgx = SIMD8<Float>(repeating: 0)
        var j = start
        while j + 8 <= end {
            let gv = SIMD8<Float>(UnsafeBufferPointer(start: g + j, count: 8))
            let xv = SIMD8<Float>(UnsafeBufferPointer(start: x + j, count: 8))
            sg += gv
            sgx += gv * (xv - SIMD8<Float>(repeating: mu))
            j += 8
        }
        var tg = sg.sum(), tgx = sgx.sum()
        while j < end { tg += g[j]; tgx += g[j] * (x[j] - mu); j += 1 }
        totalG += Double(tg)
        totalGX += Double(tgx)
        start = end
    }
    return (totalG, totalGX)
}

/// `Σ (x − mu)²` over `count` elements, blocked as ``centredSums(_:_:_:_:)``.
@inline(__always)
func squaredDeviations(_ x: UnsafePointer<Float>, _ mu: Float, _ count: Int) -> Double {
    var total = 0.0
    var start = 0
    while start < count {
        let end = Swift.min(start + 512, count)
        var acc = SIMD8<Float>(repeating: 0)
        var j = start
        while j + 8 <= end {
            let d = SIMD8<Float>(UnsafeBufferPointer(start: x + j, count: 8)) - SIMD8<Float>(repeating: mu)
            acc += d * d
            j += 8
        }
        var t = acc.sum()
        while j < end { let d = x[j] - mu; t += d * d; j += 1 }
        total += Double(t)
        start = end
    }
    return total
}
