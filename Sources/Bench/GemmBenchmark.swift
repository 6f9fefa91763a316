import ArgumentParser
import S2IGANTensor

/// Single-precision matrix products, the shapes of `shared/bench/01_gemm.py`: square 256–2048 and the skinny
/// products of im2col convolutions.
public struct GemmBenchmark {
    /// One product `[M, K] · [K, N]`; `kind` is "square", "skinny" or "custom".
    public struct Shape: Equatable, Sendable {
        public var m, n, k: Int
        public var kind: String

        public init(m: Int, n: Int, k: Int, kind: String) { (self.m, self.n, self.k, self.kind) = (m, n, k, kind) }
    }

    public static let defaultShapes: [Shape] = [
        (256, 256, 256, "square"), (512, 512, 512, "square"), (1024, 1024, 1024, "square"), (2048, 2048, 2048, "square"),
        (32, 65536, 576, "skinny"), (64, 65536, 576, "skinny"), (64, 16384, 1152, "skinny"), (64, 16384, 1440, "skinny"),
        (128, 4096, 1152, "skinny"), (128, 4096, 1728, "skinny"), (128, 4096, 1024, "skinny"), (128, 4096, 576, "skinny"),
        (256, 4096, 2304, "skinny"), (512, 4096, 4608, "skinny"), (512, 6144, 4096, "skinny"), (1024, 1536, 9216, "skinny"),
    ].map { Shape(m: $0.0, n: $0.1, k: $0.2, kind: $0.3) }

    /// Comma-separated `MxNxK` shapes with positive sizes, e.g. `64x4096x576,128x128x128`.
    public static func shapes(parsing list: String) throws -> [Shape] {
        try list.split(separator: ",").map { spec in
            let parts = spec.split(separator: "x").compactMap { Int($0) }
            guard parts.count == 3, parts.allSatisfy({ $0 > 0 }) else {
                throw ValidationError("--shapes: '\(spec)' is not MxNxK with positive sizes")
            }
            return Shape(m: parts[0], n: parts[1], k: parts[2], kind: "custom")
        }
    }

    public var shapes: [Shape]
    public var timing: Timing

    public init(shapes: [Shape] = GemmBenchmark.defaultShapes, timing: Timing = Timing()) {
        (self.shapes, self.timing) = (shapes, timing)
    }

    /// Times `Tensor.matmul` on each shape; one record per shape.
    public func run(_ emit: (BenchmarkRecord) -> Void) throws {
        var rng = RandomGenerator(seed: 0)
        for s in shapes {
            let a = try Tensor.uniform([s.m, s.k], low: -1, high: 1, using: &rng)
            let b = try Tensor.uniform([s.k, s.n], low: -1, high: 1, using: &rng)
            let t = try timing.median { _ = try Tensor.matmul(a, b) }
            var row = benchmarkContext()
            row.merge(["bench": "gemm", "kind": s.kind, "M": s.m, "N": s.n, "K": s.k, "ms_median": t.milliseconds, "iters": t.runs,
                       "gflops_median": 2.0 * Double(s.m) * Double(s.n) * Double(s.k) / (t.milliseconds * 1e6)]) { $1 }
            emit(row)
        }
    }
}
