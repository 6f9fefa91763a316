#ifndef S2IGAN_CTENSORSUPPORT_H
#define S2IGAN_CTENSORSUPPORT_H

/// Returns 1 when the CPU and the operating system both support the AVX-512 subset
/// (F, CD, BW, DQ, VL) that OpenBLAS's SkylakeX kernels use, 0 otherwise.
int s2_cpu_supports_avx512_skylakex(void);

/// Returns 1 when the CPU and the operating system both support AVX2 and FMA (OpenBLAS's Haswell kernels).
int s2_cpu_supports_avx2_fma(void);

/// The CPU family of an AMD processor (0x19 for Zen 3/4, 0x1A for Zen 5), or 0 for other vendors.
int s2_cpu_amd_family(void);

/// Name of the kernel set the loaded OpenBLAS uses ("Haswell", "SkylakeX", ...), or NULL when the
/// library was built without runtime kernel selection.
const char *s2_openblas_core_name(void);

/// The kernel set OpenBLAS chose itself when it loaded (before any switch by `s2_openblas_select_core`).
const char *s2_openblas_detected_core(void);

/// The OpenBLAS kernel set this CPU runs fastest, where OpenBLAS 0.3.21's own detection is known to
/// choose worse; NULL to keep OpenBLAS's choice. Judged from OpenBLAS's own choice, so the answer is the same
/// before and after the switch.
const char *s2_preferred_openblas_core(void);

/// Switches the loaded OpenBLAS to `s2_preferred_openblas_core()` unless the user set
/// OPENBLAS_CORETYPE. Must run before the first BLAS call. Returns the kernel set switched to, or NULL.
const char *s2_openblas_select_core(void);

/// Makes standard output line-buffered, so the progress of long command-line jobs appears as it happens
/// also when it goes into a pipe or a file.
void s2_line_buffer_stdout(void);

#include "StftPower.h"

#endif
