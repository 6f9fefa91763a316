#ifndef S2IGAN_STFTPOWER_H
#define S2IGAN_STFTPOWER_H

/// Short-time power spectra `|DFT_k|²` (k = 0 … n/2) of windowed real frames whose length n = n1 · n2 has
/// coprime factors 2 … 64 (551 = 19 · 29, 400 = 16 · 25, …), for lengths FFTW has no fast codelets for.
/// Good–Thomas prime-factor algorithm with direct small DFTs, eight frames per SIMD vector (AVX2 + FMA
/// when the CPU has it, portable vector code otherwise).

typedef struct s2i_stft_plan s2i_stft_plan;

/// Flag for `s2i_stft_plan_create_with_flags`: use the portable code even where AVX2 + FMA are available
/// (tests, comparisons).
#define S2I_STFT_PORTABLE 1

/// A plan for frames of length n = n1 · n2 with gcd(n1, n2) = 1 and both factors 2 … 64, or NULL when n
/// has no such factorisation (or memory runs out). `window` holds n values and is copied into the plan.
s2i_stft_plan *s2i_stft_plan_create(int n, const float *window);

/// `s2i_stft_plan_create` with `S2I_STFT_*` flags.
s2i_stft_plan *s2i_stft_plan_create_with_flags(int n, const float *window, int flags);

/// Frees a plan (NULL is allowed).
void s2i_stft_plan_destroy(s2i_stft_plan *plan);

/// The frame length of a plan.
int s2i_stft_plan_length(const s2i_stft_plan *plan);

/// The factors n1 · n2 a plan uses: n2 is the length of the real-input first stage, n1 of the second.
void s2i_stft_plan_factors(const s2i_stft_plan *plan, int *n1, int *n2);

/// 1 when the plan runs the AVX2 + FMA kernel, 0 for the portable one.
int s2i_stft_plan_uses_avx2(const s2i_stft_plan *plan);

/// For f in [0, frames): frame f is signal[f·hop … f·hop + n − 1] times the window; writes |DFT_k|² for
/// k = 0 … n/2 to out[k · out_stride + f]. No alignment is required. Only the samples of the `frames` frames
/// are read, and only those `frames` columns of `out` are written. The plan is read-only here, so several
/// threads may call this at once (on different output columns). Returns 0, or −1 when the scratch memory
/// (about 80·n bytes) cannot be allocated, in which case nothing is written.
int s2i_stft_power(const s2i_stft_plan *plan, const float *signal, int hop, int frames, float *out, long out_stride);

#endif
