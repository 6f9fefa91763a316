import ArgumentParser
import S2IGANTensor

/// The convolutions of the S2IGAN discriminators (4×4 stride 2) and generator (3×3) and of Inception-v3's 3×3
/// stride-1 layers: forward and both backward kernels.
public struct ConvBenchmark {
    /// One convolution of the S2IGAN models, as benchmarked.
    public struct Case: Sendable {
        public var name: String
        public var batch, inChannels, outChannels, size, kernel, stride, padding: Int
    }

    /// The trunk of D_NET64, the first layers of D_NET128/256 and the rest of the D_NET256 trunk and the generator's 3×3
    /// convolutions at 64, 128 and 256 px, from the reference architecture; then Inception-v3's (the relation
    /// supervisor's embedder).
    public static func cases(batch b: Int) -> [Case] {
        [
            Case(name: "d64_conv1", batch: b, inChannels: 3, outChannels: 64, size: 64, kernel: 4, stride: 2, padding: 1),
            Case(name: "d64_conv2", batch: b, inChannels: 64, outChannels: 128, size: 32, kernel: 4, stride: 2, padding: 1),
            Case(name: "d64_conv3", batch: b, inChannels: 128, outChannels: 256, size: 16, kernel: 4, stride: 2, padding: 1),
            Case(name: "d64_conv4", batch: b, inChannels: 256, outChannels: 512, size: 8, kernel: 4, stride: 2, padding: 1),
            Case(name: "d128_conv1", batch: b, inChannels: 3, outChannels: 64, size: 128, kernel: 4, stride: 2, padding: 1),
            Case(name: "d256_conv1", batch: b, inChannels: 3, outChannels: 64, size: 256, kernel: 4, stride: 2, padding: 1),
            Case(name: "d256_conv2", batch: b, inChannels: 64, outChannels: 128, size: 128, kernel: 4, stride: 2, padding: 1),
            Case(name: "d256_conv3", batch: b, inChannels: 128, outChannels: 256, size: 64, kernel: 4, stride: 2, padding: 1),
            Case(name: "d256_conv4", batch: b, inChannels: 256, outChannels: 512, size: 32, kernel: 4, stride: 2, padding: 1),
            Case(name: "d256_down1", batch: b, inChannels: 512, outChannels: 1024, size: 16, kernel: 4, stride: 2, padding: 1),
            Case(name: "d256_down2", batch: b, inChannels: 1024, outChannels: 2048, size: 8, kernel: 4, stride: 2, padding: 1),
            Case(name: "g64_up", batch: b, inChannels: 128, outChannels: 128, size: 64, kernel: 3, stride: 1, padding: 1),
            Case(name: "g64_joint", batch: b, inChannels: 192, outChannels: 128, size: 64, kernel: 3, stride: 1, padding: 1),
            Case(name: "g64_res", batch: b, inChannels: 64, outChannels: 128, size: 64, kernel: 3, stride: 1, padding: 1),
            Case(name: "g128_up", batch: b, inChannels: 128, outChannels: 64, size: 128, kernel: 3, stride: 1, padding: 1),
            Case(name: "g128_joint", batch: b, inChannels: 160, outChannels: 64, size: 128, kernel: 3, stride: 1, padding: 1),
            Case(name: "g128_res", batch: b, inChannels: 32, outChannels: 64, size: 128, kernel: 3, stride: 1, padding: 1),
            Case(name: "g256_up", batch: b, inChannels: 64, outChannels: 32, size: 256, kernel: 3, stride: 1, padding: 1),
            Case(name: "g256_image", batch: b, inChannels: 16, outChannels: 3, size: 256, kernel: 3, stride: 1, padding: 1),
            Case(name: "inception_2a", batch: b, inChannels: 32, outChannels: 32, size: 149, kernel: 3, stride: 1, padding: 0),
            Case(name: "inception_2b", batch: b, inChannels: 32, outChannels: 64, size: 147, kernel: 3, stride: 1, padding: 1),
            Case(name: "inception_4a", batch: b, inChannels: 80, outChannels: 192, size: 73, kernel: 3, stride: 1, padding: 0),
            Case(name: "inception_5b", batch: b, inChannels: 64, outChannels: 96, size: 35, kernel: 3, stride: 1, padding: 1),
            Case(name: "inception_7b", batch: b, inChannels: 448, outChannels: 384, size: 8, kernel: 3, stride: 1, padding: 1),
        ]
    }

    public var cases: [Case]
    /// The forward and input-gradient algorithm (the weight gradient has one); winograd runs only the 3×3 stride-1 cases.
    public var algorithm: Conv2dAlgorithm
    public var timing: Timing

    /// The cases of `batch` named in `only` (all when nil); an unknown name or a batch below 1 is a usage error.
    public init(batch: Int = 24, only: Set<String>? = nil, algorithm: Conv2dAlgorithm = .automatic, timing: Timing = Timing()) throws {
        guard batch > 0 else { throw ValidationError("--batch must be positive, got \(batch)") }
        var list = Self.cases(batch: batch)
        if let only {
            let unknown = only.subtracting(list.map(\.name))
            guard unknown.isEmpty else { throw ValidationError("--only: unknown case(s) \(unknown.sorted().joined(separator: ", "))") }
            list = list.filter { only.contains($0.name) }
        }
        (self.cases, self.algorithm, self.timing) = (list, algorithm, timing)
    }

    /// Times the three passes of every case the algorithm applies to; one record per case and pass.
    public func run(_ emit: (BenchmarkRecord) -> Void) throws {
        var rng = RandomGenerator(seed: 0)
        for c in cases {
            if algorithm == .winograd && (c.kernel != 3 || c.stride != 1) { continue }
            let x = try Tensor.normal([c.batch, c.inChannels, c.size, c.size], using: &rng)
            let w = try Tensor.normal([c.outChannels, c.inChannels, c.kernel, c.kernel], std: 0.05, using: &rng)
            let stride = IntPair(c.stride, c.stride), padding = IntPair(c.padding, c.padding)
            let y = try Tensor.conv2d(x, weight: w, stride: stride, padding: padding)
            let gy = try Tensor.normal(y.shape, using: &rng)
            let geometry = try Conv2dGeometry(inputShape: x.shape, weightShape: w.shape, stride: stride, padding: padding,
                                              dilation: 1, groups: 1)
            let flops = geometry.forwardFLOPs
            let algorithm = self.algorithm
            let passes: [(String, () throws -> Void)] = [
                ("forward", { _ = try Tensor.conv2d(x, weight: w, stride: stride, padding: padding, algorithm: algorithm) }),
                ("backward_input", { _ = try Tensor.conv2dBackwardInput(gy, weight: w, inputShape: x.shape, stride: stride, padding: padding,
                                                                        algorithm: algorithm) }),
                ("backward_weight", { _ = try Tensor.conv2dBackwardWeight(gy, input: x, weightShape: w.shape, stride: stride, padding: padding) }),
            ]
            for (pass, body) in passes {
                let t = try timing.median(body)
                var row = benchmarkContext()
                row.merge(["bench": "conv", "case": c.name, "pass": pass, "algorithm": "\(algorithm)", "batch": c.batch, "in_channels": c.inChannels,
                           "out_channels": c.outChannels, "size": c.size, "kernel": c.kernel, "stride": c.stride,
                           "padding": c.padding, "ms_median": t.milliseconds, "iters": t.runs,
                           "gflops_median": flops / (t.milliseconds * 1e6)]) { $1 }
                emit(row)
            }
        }
    }
}
