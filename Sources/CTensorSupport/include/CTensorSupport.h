#ifndef S2IGAN_CTENSORSUPPORT_H
#define S2IGAN_CTENSORSUPPORT_H

/// Returns 1 when the CPU and the operating system both support the AVX-512 subset
/// (F, CD, BW, DQ, VL) that OpenBLAS's SkylakeX kernels use, 0 otherwise.
int s2_cpu_supports_avx512_skylakex(void);

/// Name of the kernel set the loaded OpenBLAS uses ("Haswell", "SkylakeX", ...), or NULL when the
/// library was built without runtime kernel selection.
const char *s2_openblas_core_name(void);

/// If the loaded OpenBLAS runs a weaker kernel set than the CPU supports (Debian's 0.3.21 picks
/// "Haswell" on AVX-512 AMD CPUs) and the user has not chosen one with OPENBLAS_CORETYPE, switch it
/// to its SkylakeX (AVX-512) kernels. Must run before the first BLAS call. Returns 1 if it switched.
int s2_openblas_prefer_avx512(void);

#endif
