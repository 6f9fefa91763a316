import COpenBLAS
import CTensorSupport
import Foundation

/// The BLAS library behind the matrix kernels, and which of its kernel sets is in use.
///
/// Debian's OpenBLAS 0.3.21 picks its kernels when it loads, and on some CPUs it picks badly:
/// AVX2 ("Haswell") kernels on Zen 5, which has full-width AVX-512 units and runs the AVX-512
/// ("SkylakeX") kernels about twice as fast; AVX-512 ("Cooperlake") kernels on Zen 4, whose AVX-512 runs
/// on 256-bit units and where the AVX2 kernels are up to 1.6× faster on the skinny products of
/// convolutions; and the SSE3 ("Prescott") kernels, its fallback for a model it does not know, on Intel
/// Xeons newer than it (Emerald Rapids: 3–6× slower than its AVX-512 kernels there). Before the first
/// BLAS call this module re-runs OpenBLAS's selection with the better kernel set for such CPUs. Setting
/// `OPENBLAS_CORETYPE` yourself keeps your choice and disables this.
///
/// OpenBLAS runs single-threaded: ``Parallel`` splits large products over its workers itself, so that
/// OpenBLAS's threads (which spin for a while after every call) never compete with the library's.
public enum BLAS {
    /// Runs once, before the first BLAS call of any kernel in this module.
    static let selection: String? = {
        let chosen = s2_openblas_select_core().map { String(cString: $0) }
        openblas_set_num_threads(1)
        return chosen
    }()

    /// Makes sure the kernel set has been chosen; cheap after the first call.
    @inline(__always)
    static func prepare() { _ = selection }

    /// The OpenBLAS kernel set in use (e.g. `SkylakeX`, `Haswell`), or `nil` if unknown.
    public static var coreName: String? {
        prepare()
        return s2_openblas_core_name().map { String(cString: $0) }
    }

    /// The kernel set this module switched OpenBLAS to, or `nil` if it kept OpenBLAS's own choice.
    public static var selectedCore: String? { selection }

    /// The kernel set this module prefers on this CPU, or `nil` where OpenBLAS's own choice stands.
    public static var preferredCore: String? { s2_preferred_openblas_core().map { String(cString: $0) } }

    /// The kernel set OpenBLAS chose itself when it loaded, before any switch.
    public static var detectedCore: String? {
        prepare()
        return s2_openblas_detected_core().map { String(cString: $0) }
    }

    /// Whether this CPU (and its operating system) runs AVX2 with FMA, which every kernel set from Haswell on uses.
    public static var cpuHasAVX2AndFMA: Bool { s2_cpu_supports_avx2_fma() != 0 }

    /// Splits a product of `m × n` outputs (`k` deep) into row or column blocks, one per worker, when
    /// it is big enough to share; a single block otherwise (or inside a parallel loop).
    static func blocks(m: Int, n: Int, k: Int) -> [(rows: Range<Int>, columns: Range<Int>)] {
        let work = Double(m) * Double(n) * Double(k)
        let workers = Swift.min(Parallel.workerCount, Swift.max(1, Int(work / Double(1 << 21))))
        guard workers > 1 && !Parallel.isInsideWorker else { return [(0..<m, 0..<n)] }
        // Cut the longer side, in multiples of 16 so that every block keeps whole vector tiles.
        let along = Swift.max(m, n)
        let step = ((along + workers - 1) / workers + 15) / 16 * 16
        return Swift.stride(from: 0, to: along, by: step).map { start in
            let part = start..<Swift.min(along, start + step)
            return n >= m ? (0..<m, part) : (part, 0..<n)
        }
    }
}

/// `C[m×n] = alpha * op(A) * op(B) + beta * C` on row-major buffers; `lda`, `ldb`, `ldc` are the row
/// lengths of the stored (untransposed) matrices. Large products are split over the workers.
func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
           a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
           beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0 && n > 0 else { return }
    if k == 0 {
        // BLAS leaves C untouched (beta = 1) or scales it; an empty sum is zero.
        for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
        return
    }
    BLAS.prepare()
    let parts = BLAS.blocks(m: m, n: n, k: k)
    Parallel.forChunks(parts.count, cost: 1 << 20) { _, range in
        for (rows, columns) in parts[range] {
            // Row i of op(A) and column j of op(B), wherever the transposes put them.
            let aBlock = a + (transA ? rows.lowerBound : rows.lowerBound * lda)
            let bBlock = b + (transB ? columns.lowerBound * ldb : columns.lowerBound)
            cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                        blasint(rows.count), blasint(columns.count), blasint(k), alpha, aBlock, blasint(lda),
                        bBlock, blasint(ldb), beta, c + rows.lowerBound * ldc + columns.lowerBound, blasint(ldc))
        }
    }
}
