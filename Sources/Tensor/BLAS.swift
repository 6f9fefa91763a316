import COpenBLAS
import CTensorSupport
import Foundation

/// The BLAS library behind the matrix kernels, and which of its kernel sets is in use.
///
/// Debian's OpenBLAS 0.3.21 picks its kernels when it loads, and on recent AMD CPUs it picks badly:
/// AVX2 ("Haswell") kernels on Zen 5, which has full-width AVX-512 units and runs the AVX-512
/// ("SkylakeX") kernels about twice as fast; AVX-512 ("Cooperlake") kernels on Zen 4, whose AVX-512 runs
/// on 256-bit units and where the AVX2 kernels are up to 1.6× faster on the skinny products of
/// convolutions. Before the first BLAS call this module re-runs OpenBLAS's selection with the better
/// kernel set for such CPUs. Setting `OPENBLAS_CORETYPE` yourself keeps your choice and disables this.
public enum BLAS {
    /// Runs once, before the first BLAS call of any kernel in this module.
    static let selection: String? = s2_openblas_select_core().map { String(cString: $0) }

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

    /// Number of threads OpenBLAS uses for one call.
    public static var threadCount: Int {
        prepare()
        return Int(openblas_get_num_threads())
    }

    private static let threadModeLock = NSLock()

    /// Runs `body` with OpenBLAS in single-threaded mode, for kernels that call GEMM from several of
    /// their own worker threads at once (each call then runs on its caller's thread).
    static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
        prepare()
        threadModeLock.lock()
        defer { threadModeLock.unlock() }
        let previous = openblas_get_num_threads()
        if previous == 1 { return try body() }
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(previous) }
        return try body()
    }

    /// Sets the number of threads OpenBLAS uses for one call.
    public static func setThreadCount(_ n: Int) {
        prepare()
        openblas_set_num_threads(Int32(Swift.max(1, n)))
    }
}

/// `C[m×n] = alpha * op(A) * op(B) + beta * C` on row-major buffers; `lda`, `ldb`, `ldc` are the row
/// lengths of the stored (untransposed) matrices.
@inline(__always)
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
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
}
