import COpenBLAS
import CTensorSupport
import Foundation

/// The BLAS library behind the matrix kernels, and which of its kernel sets is in use.
///
/// Debian's OpenBLAS 0.3.21 detects recent AVX-512 AMD CPUs as "Haswell" and runs its AVX2 kernels,
/// at about half the speed its AVX-512 ("SkylakeX") kernels reach on the same machine. Before the
/// first BLAS call, this module switches such a library to the SkylakeX kernels when the CPU and
/// the OS support AVX-512. Setting `OPENBLAS_CORETYPE` yourself (for example `Haswell`) keeps your
/// choice and disables the switch.
public enum BLAS {
    /// Runs once, before the first BLAS call of any kernel in this module.
    static let configured: Bool = s2_openblas_prefer_avx512() == 1

    /// Makes sure the kernel set has been chosen; cheap after the first call.
    @inline(__always)
    static func prepare() { _ = configured }

    /// The OpenBLAS kernel set in use (e.g. `SkylakeX`, `Haswell`), or `nil` if unknown.
    public static var coreName: String? {
        prepare()
        return s2_openblas_core_name().map { String(cString: $0) }
    }

    /// Whether this module switched OpenBLAS to its AVX-512 kernels.
    public static var switchedToAVX512: Bool { configured }

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
