/* Short-time power spectra of real frames of length n = n1 · n2 (gcd(n1, n2) = 1) by the Good–Thomas
 * prime-factor algorithm, eight frames at a time (one frame per SIMD lane).
 *
 * Index maps (N = n1 · n2, W_m = exp(−2πi/m)):
 *   input   x[a][b] = frame[(n2·a + n1·b) mod N],                a ∈ [0, n1), b ∈ [0, n2)
 *   output  X[k] for k ≡ k1 (mod n1), k ≡ k2 (mod n2), i.e.
 *           k = (k1·e1 + k2·e2) mod N,  e1 = n2·(n2⁻¹ mod n1),  e2 = n1·(n1⁻¹ mod n2)
 * so that X[k] = Σ_a W_n1^(a·k1) Σ_b W_n2^(b·k2) x[a][b], with no twiddle factors between the stages:
 *   stage A: for each a, the real-input DFT of length n2 over b, outputs k2 = 0 … ⌊n2/2⌋ only (Hermitian);
 *   stage B: for each of those k2, the DFT of length n1 over a, outputs k1 = 0 … ⌊n1/2⌋ and their mirrors
 *            n1 − k1.
 * This produces every pair {k, N − k} exactly once, and as |X[k]|² = |X[N − k]|² the power goes to bin
 * min(k, N − k).
 *
 * Both stages are direct sums over symmetric pairs. Before stage A the windowed frame goes through a 2-D
 * butterfly in place: rows a and n1 − a (0 < a < n1/2) become their sum (kept in row a) and difference (row
 * n1 − a), and within each row columns j and n2 − j become their sum (kept at j) and difference (at n2 − j).
 * Stage A of row r is then
 *   Re A_r[k2] = x_r[0] + Σ_j cos(2πj·k2/n2)·x_r[j],   Im A_r[k2] = −Σ_j sin(2πj·k2/n2)·x_r[n2 − j],
 * and since it is linear, A_a = Y_a + Y_{n1−a} and A_{n1−a} = Y_a − Y_{n1−a} (Y: stage A of the original
 * rows) are exactly the pair terms of stage B (column k2 fixed):
 *   X[k1] = (Ar − Br, Ai + Bi),  X[n1 − k1] = (Ar + Br, Ai − Bi),  with
 *   Ar + i·Ai = A_0 + Σ_a cos(2πa·k1/n1)·A_a,
 *   Br = −Σ_a sin(2πa·k1/n1)·Im A_{n1−a},   Bi = −Σ_a sin(2πa·k1/n1)·Re A_{n1−a}.
 * (For even lengths the middle row / column has no partner and enters the cosine sums once, unhalved.)
 * Every sum is a small matrix product, coefficients × vectors of 8 frames, computed by one register-blocked
 * kernel: 2 vectors × 5 outputs per tile, each coefficient broadcast once for 2 multiply-adds.
 *
 * The body is written once (GCC/Clang vector extensions) and inlined into an AVX2 + FMA function and into a
 * portable one, chosen per plan from CPUID; the 8 × 8 transposes and the tiles have AVX2 intrinsic versions.
 * The portable path runs the tiles on 4-lane halves (SSE2, NEON).
 */
#include "StftPower.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define S2I_X86 1
#include <cpuid.h>
#include <immintrin.h>
#else
#define S2I_X86 0
#endif

#ifdef __clang__
#pragma STDC FP_CONTRACT ON
#endif

/* Eight frames, one per lane (GCC/Clang vector extension: AVX in the AVX2 kernel, pairs of SSE / NEON
 * registers in the portable one). */
typedef float s2i_v8 __attribute__((vector_size(32), may_alias));

#define S2I_INLINE static inline __attribute__((always_inline))
#define S2I_ALIGN 64
#define S2I_K 5 /* outputs per register tile (2 × 5 accumulators) */

typedef struct {
    int m;      /* DFT length */
    int cpairs; /* cosine terms j = 1 … ⌊m/2⌋ (for even m, j = m/2 has no partner) */
    int spairs; /* sine terms j = 1 … ⌊(m − 1)/2⌋ */
    int outs;   /* outputs k = 0 … ⌊m/2⌋ */
    int stride; /* row length of the tables: outs rounded up to S2I_K */
    float *cos; /* [cpairs][stride]: cos(2πjk/m), 0 beyond outs */
    float *sin; /* [spairs][stride]: −sin(2πjk/m), 0 beyond outs */
} s2i_dft_table;

struct s2i_stft_plan {
    int n, n1, n2, bins;
    int rows;         /* n1 rounded up to even: stage A works on pairs of rows */
    int avx2;
    float *window;    /* n values, zero-padded to a multiple of 8 */
    int *pos;         /* pos[i] = a·n2 + b for input sample i = (n2·a + n1·b) mod n */
    s2i_dft_table ta; /* length n2 (stage A) */
    s2i_dft_table tb; /* length n1 (stage B) */
    int *bin_plus;    /* [ta.outs][tb.stride]: folded bin of (k1 = k, k2), −1 for padding */
    int *bin_minus;   /* [ta.outs][tb.stride]: folded bin of (k1 = n1 − k, k2), −1 for padding or a repeat */
    void *memory;
};

/* ---------------------------------------------------------------------------------------------------- */
/* Plan */

static int s2i_gcd(int a, int b) {
    while (b) {
        const int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static int s2i_inverse_mod(int a, int m) {
    for (int x = 1; x < m; x++)
        if ((long)a * x % m == 1) return x;
    return 0;
}

static int s2i_round_up(int x, int k) { return (x + k - 1) / k * k; }

static void s2i_table_shape(s2i_dft_table *t, int m) {
    t->m = m;
    t->cpairs = m / 2;
    t->spairs = (m - 1) / 2;
    t->outs = m / 2 + 1;
    t->stride = s2i_round_up(t->outs, S2I_K);
}

static void s2i_table_fill(s2i_dft_table *t) {
    const int m = t->m;
    for (int j = 1; j <= t->cpairs; j++) {
        for (int k = 0; k < t->stride; k++) {
            double cv = 0, sv = 0;
            if (k < t->outs) {
                /* exact zeros and ones where the angle is a multiple of π/2 */
                const int r = (int)((long)j * k % m);
                if (r == 0) cv = 1;
                else if (2 * r == m) cv = -1;
                else if (4 * r == m) sv = 1;
                else if (4 * r == 3 * m) sv = -1;
                else {
                    const double angle = 2 * 3.14159265358979323846 * r / m;
                    cv = cos(angle);
                    sv = sin(angle);
                }
            }
            t->cos[(size_t)(j - 1) * t->stride + k] = (float)cv;
            if (j <= t->spairs) t->sin[(size_t)(j - 1) * t->stride + k] = (float)-sv;
        }
    }
}

/* Multiply-adds per eight frames. */
static long s2i_cost(int n1, int n2) {
    s2i_dft_table a, b;
    s2i_table_shape(&a, n2);
    s2i_table_shape(&b, n1);
    const long stage_a = (long)(n1 + 1) / 2 * (a.stride / S2I_K) * (a.cpairs + a.spairs) * 2 * S2I_K;
    const long stage_b = (long)a.outs * (b.stride / S2I_K) * (b.cpairs + b.spairs) * 2 * S2I_K;
    return stage_a + stage_b;
}

#if S2I_X86
static int s2i_cpu_has_avx2_fma(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const unsigned int need = (1u << 12) /* FMA */ | (1u << 27) /* OSXSAVE */ | (1u << 28) /* AVX */;
    if ((c & need) != need) return 0;
    unsigned int xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    if ((xcr0_lo & 6u) != 6u) return 0; /* the OS saves the XMM and YMM registers */
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b >> 5) & 1u; /* AVX2 */
}
#endif

s2i_stft_plan *s2i_stft_plan_create(int n, const float *window) { return s2i_stft_plan_create_with_flags(n, window, 0); }

s2i_stft_plan *s2i_stft_plan_create_with_flags(int n, const float *window, int flags) {
    if (n < 6 || window == NULL) return NULL;
    int n1 = 0, n2 = 0;
    long best = -1;
    for (int f = 2; f <= 64; f++) {
        if (n % f || n / f < 2 || n / f > 64 || s2i_gcd(f, n / f) != 1) continue;
        const long cost = s2i_cost(f, n / f);
        if (best < 0 || cost < best) {
            best = cost;
            n1 = f;
            n2 = n / f;
        }
    }
    if (best < 0) return NULL;

    s2i_dft_table ta, tb;
    s2i_table_shape(&ta, n2);
    s2i_table_shape(&tb, n1);
    const size_t bins_len = (size_t)ta.outs * tb.stride;
    const size_t lengths[8] = {
        (size_t)s2i_round_up(n, 8) * sizeof(float),     (size_t)n * sizeof(int),
        (size_t)ta.cpairs * ta.stride * sizeof(float),  (size_t)(ta.spairs + 1) * ta.stride * sizeof(float),
        (size_t)tb.cpairs * tb.stride * sizeof(float),  (size_t)(tb.spairs + 1) * tb.stride * sizeof(float),
        bins_len * sizeof(int),                         bins_len * sizeof(int),
    };
    size_t offsets[8], size = 0;
    for (int i = 0; i < 8; i++) {
        offsets[i] = size;
        size += (lengths[i] + S2I_ALIGN - 1) / S2I_ALIGN * S2I_ALIGN;
    }
    s2i_stft_plan *plan = calloc(1, sizeof *plan);
    void *memory = calloc(1, size + S2I_ALIGN);
    if (!plan || !memory) {
        free(plan);
        free(memory);
        return NULL;
    }
    char *base = (char *)(((uintptr_t)memory + S2I_ALIGN - 1) & ~(uintptr_t)(S2I_ALIGN - 1));
    plan->memory = memory;
    plan->n = n;
    plan->n1 = n1;
    plan->n2 = n2;
    plan->bins = n / 2 + 1;
    plan->rows = s2i_round_up(n1, 2);
    plan->window = (float *)(base + offsets[0]);
    plan->pos = (int *)(base + offsets[1]);
    plan->ta = ta;
    plan->tb = tb;
    plan->ta.cos = (float *)(base + offsets[2]);
    plan->ta.sin = (float *)(base + offsets[3]);
    plan->tb.cos = (float *)(base + offsets[4]);
    plan->tb.sin = (float *)(base + offsets[5]);
    plan->bin_plus = (int *)(base + offsets[6]);
    plan->bin_minus = (int *)(base + offsets[7]);

    memcpy(plan->window, window, (size_t)n * sizeof(float)); /* the padding stays zero */
    for (int a = 0; a < n1; a++)
        for (int b = 0; b < n2; b++) plan->pos[((long)n2 * a + (long)n1 * b) % n] = a * n2 + b;
    s2i_table_fill(&plan->ta);
    s2i_table_fill(&plan->tb);

    /* Output map, checked: every bin 0 … n/2 must be produced exactly once. */
    const long e1 = (long)n2 * s2i_inverse_mod(n2 % n1, n1), e2 = (long)n1 * s2i_inverse_mod(n1 % n2, n2);
    unsigned char *seen = calloc((size_t)plan->bins, 1);
    int ok = seen != NULL;
    for (size_t i = 0; i < bins_len; i++) plan->bin_plus[i] = plan->bin_minus[i] = -1;
    for (int k2 = 0; ok && k2 < ta.outs; k2++) {
        /* For k2 = 0 and k2 = n2/2, X[n1 − k1, k2] is the conjugate of X[k1, k2]: one bin for both. */
        const int real_column = k2 == 0 || 2 * k2 == n2;
        for (int k = 0; ok && k < tb.outs; k++) {
            for (int side = 0; ok && side < (real_column ? 1 : 2); side++) {
                const int k1 = side ? (n1 - k) % n1 : k;
                if (side && k1 == k) continue;
                long bin = (k1 * e1 + k2 * e2) % n;
                if (bin % n1 != k1 || bin % n2 != k2) ok = 0;
                if (bin > n - bin) bin = n - bin;
                if (!ok || seen[bin]) {
                    ok = 0;
                    break;
                }
                seen[bin] = 1;
                (side ? plan->bin_minus : plan->bin_plus)[k2 * tb.stride + k] = (int)bin;
            }
        }
    }
    for (int i = 0; ok && i < plan->bins; i++) ok = seen[i];
    free(seen);
    if (!ok) {
        s2i_stft_plan_destroy(plan);
        return NULL;
    }
#if S2I_X86
    plan->avx2 = !(flags & S2I_STFT_PORTABLE) && s2i_cpu_has_avx2_fma();
#else
    (void)flags;
    plan->avx2 = 0;
#endif
    return plan;
}

void s2i_stft_plan_destroy(s2i_stft_plan *plan) {
    if (!plan) return;
    free(plan->memory);
    free(plan);
}

int s2i_stft_plan_length(const s2i_stft_plan *plan) { return plan->n; }

void s2i_stft_plan_factors(const s2i_stft_plan *plan, int *n1, int *n2) {
    if (n1) *n1 = plan->n1;
    if (n2) *n2 = plan->n2;
}

int s2i_stft_plan_uses_avx2(const s2i_stft_plan *plan) { return plan->avx2; }

/* ---------------------------------------------------------------------------------------------------- */
/* Kernel: one body, inlined into an AVX2 + FMA function and into a portable one. */

typedef struct {
    s2i_v8 *x;      /* [rows][n2]: the windowed frames in Good–Thomas order (row n1, if any, stays zero) */
    s2i_v8 *re;     /* [ta.stride][rows]: stage-A outputs, real parts, one column k2 per row */
    s2i_v8 *im;     /* [ta.stride][rows]: imaginary parts */
    s2i_v8 *zero;   /* one zero vector */
    float *zeros;   /* n + 8 zero floats: the samples of lanes without a frame */
    float *tail;    /* [8][8]: the last n mod 8 samples of each frame */
} s2i_scratch;

static size_t s2i_scratch_layout(const s2i_stft_plan *p, s2i_scratch *s, char *base) {
    size_t off = 0;
#define S2I_TAKE(field, count, type)                                                      \
    do {                                                                                  \
        if (base) s->field = (type *)(base + off);                                        \
        off += ((size_t)(count) * sizeof(type) + S2I_ALIGN - 1) / S2I_ALIGN * S2I_ALIGN; \
    } while (0)
    S2I_TAKE(x, (size_t)p->rows * p->n2, s2i_v8);
    S2I_TAKE(re, (size_t)p->ta.stride * p->rows, s2i_v8);
    S2I_TAKE(im, (size_t)p->ta.stride * p->rows, s2i_v8);
    S2I_TAKE(zero, 1, s2i_v8);
    S2I_TAKE(zeros, p->n + 8, float);
    S2I_TAKE(tail, 64, float);
#undef S2I_TAKE
    return off;
}

/* Transposes 8 × 8 samples: rows[r][off + c] · window[c] → lane r of x[pos[c]], for the columns c < count. */
S2I_INLINE void s2i_block_portable(const float *const rows[8], long off, const float *window, const int *pos,
                                   s2i_v8 *x, int count) {
    float t[8][8];
    for (int r = 0; r < 8; r++)
        for (int c = 0; c < 8; c++) t[r][c] = rows[r][off + c] * window[c];
    for (int c = 0; c < count; c++) {
        const s2i_v8 col = {t[0][c], t[1][c], t[2][c], t[3][c], t[4][c], t[5][c], t[6][c], t[7][c]};
        x[pos[c]] = col;
    }
}

#if S2I_X86
__attribute__((target("avx2,fma"))) static inline void s2i_block_avx2(const float *const rows[8], long off,
                                                                       const float *window, const int *pos,
                                                                       s2i_v8 *x, int count) {
    const __m256 w = _mm256_loadu_ps(window);
    const __m256 r0 = _mm256_mul_ps(_mm256_loadu_ps(rows[0] + off), w);
    const __m256 r1 = _mm256_mul_ps(_mm256_loadu_ps(rows[1] + off), w);
    const __m256 r2 = _mm256_mul_ps(_mm256_loadu_ps(rows[2] + off), w);
    const __m256 r3 = _mm256_mul_ps(_mm256_loadu_ps(rows[3] + off), w);
    const __m256 r4 = _mm256_mul_ps(_mm256_loadu_ps(rows[4] + off), w);
    const __m256 r5 = _mm256_mul_ps(_mm256_loadu_ps(rows[5] + off), w);
    const __m256 r6 = _mm256_mul_ps(_mm256_loadu_ps(rows[6] + off), w);
    const __m256 r7 = _mm256_mul_ps(_mm256_loadu_ps(rows[7] + off), w);
    const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    __m256 c[8];
    c[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
    c[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    c[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
    c[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    c[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
    c[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    c[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
    c[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
    for (int i = 0; i < count; i++) _mm256_store_ps((float *)&x[pos[i]], c[i]);
}
#endif

/* Windows the frames of one group into s->x (Good–Thomas order). */
S2I_INLINE void s2i_gather(const s2i_stft_plan *p, const float *const rows[8], const s2i_scratch *s, const int avx2) {
    (void)avx2;
    const int n = p->n, full = n & ~7;
    for (int i = 0; i < full; i += 8) {
#if S2I_X86
        if (avx2) {
            s2i_block_avx2(rows, i, p->window + i, p->pos + i, s->x, 8);
            continue;
        }
#endif
        s2i_block_portable(rows, i, p->window + i, p->pos + i, s->x, 8);
    }
    if (full < n) {
        const int rest = n - full;
        const float *tails[8];
        for (int r = 0; r < 8; r++) {
            float *t = s->tail + 8 * r;
            for (int c = 0; c < 8; c++) t[c] = c < rest ? rows[r][full + c] : 0.0f;
            tails[r] = t;
        }
#if S2I_X86
        if (avx2) {
            s2i_block_avx2(tails, 0, p->window + full, p->pos + full, s->x, rest);
            return;
        }
#endif
        s2i_block_portable(tails, 0, p->window + full, p->pos + full, s->x, rest);
    }
}

/* The 2-D sum/difference butterflies over rows (a, n1 − a) and columns (j, n2 − j), in place. */
S2I_INLINE void s2i_butterflies(const s2i_stft_plan *p, s2i_v8 *x) {
    const int n1 = p->n1, n2 = p->n2, rpairs = (n1 - 1) / 2, cpairs = (n2 - 1) / 2;
    for (int a = 1; a <= rpairs; a++) {
        s2i_v8 *P = x + (long)a * n2, *Q = x + (long)(n1 - a) * n2;
        for (int b = 0; b < n2; b += n2 / 2) { /* columns without a partner: 0 and, for even n2, n2/2 */
            if (b && 2 * b != n2) break;
            const s2i_v8 u = P[b], v = Q[b];
            P[b] = u + v;
            Q[b] = u - v;
        }
        for (int j = 1; j <= cpairs; j++) {
            const s2i_v8 p0 = P[j], p1 = P[n2 - j], q0 = Q[j], q1 = Q[n2 - j];
            const s2i_v8 s0 = p0 + q0, s1 = p1 + q1, d0 = p0 - q0, d1 = p1 - q1;
            P[j] = s0 + s1;
            P[n2 - j] = s0 - s1;
            Q[j] = d0 + d1;
            Q[n2 - j] = d0 - d1;
        }
    }
    for (int a = 0; a < n1; a += n1 / 2) { /* rows without a partner: 0 and, for even n1, n1/2 */
        if (a && 2 * a != n1) break;
        s2i_v8 *P = x + (long)a * n2;
        for (int j = 1; j <= cpairs; j++) {
            const s2i_v8 u = P[j], v = P[n2 - j];
            P[j] = u + v;
            P[n2 - j] = u - v;
        }
    }
}

/* The register tile, the kernel of both stages: for i < S2I_K,
 *   o0[i·os] = *i0 + Σ_{j<len} c[j·cs + i] · d0[j·ds],   o1[i·os] = *i1 + Σ_{j<len} c[j·cs + i] · d1[j·ds],
 * i.e. 2 × 5 accumulators, each coefficient broadcast once for two multiply-adds. */
/* 8 lanes with vector extensions: Clang turns a·b + c into FMAs in the AVX2 function (FP_CONTRACT is on), and
 * unlike intrinsics this stays fast without optimisation (SwiftPM's debug builds compile C with -O0). */
S2I_INLINE void s2i_tile8(const s2i_v8 *d0, const s2i_v8 *d1, long ds, const float *c, long cs, int len,
                          const s2i_v8 *i0, const s2i_v8 *i1, s2i_v8 *o0, s2i_v8 *o1, long os) {
    s2i_v8 a0 = *i0, a1 = *i0, a2 = *i0, a3 = *i0, a4 = *i0;
    s2i_v8 b0 = *i1, b1 = *i1, b2 = *i1, b3 = *i1, b4 = *i1;
    for (int j = 0; j < len; j++, d0 += ds, d1 += ds, c += cs) {
        const s2i_v8 x = *d0, y = *d1;
        float k;
        k = c[0], a0 += x * k, b0 += y * k;
        k = c[1], a1 += x * k, b1 += y * k;
        k = c[2], a2 += x * k, b2 += y * k;
        k = c[3], a3 += x * k, b3 += y * k;
        k = c[4], a4 += x * k, b4 += y * k;
    }
    o0[0] = a0, o0[os] = a1, o0[2 * os] = a2, o0[3 * os] = a3, o0[4 * os] = a4;
    o1[0] = b0, o1[os] = b1, o1[2 * os] = b2, o1[3 * os] = b3, o1[4 * os] = b4;
}

#if S2I_X86 && !defined(__clang__)
/* GCC does not contract a·b + c in its ISO C modes: explicit FMAs. */
__attribute__((target("avx2,fma"))) static inline void s2i_tile_avx2(const s2i_v8 *d0, const s2i_v8 *d1, long ds,
                                                                      const float *c, long cs, int len,
                                                                      const s2i_v8 *i0, const s2i_v8 *i1, s2i_v8 *o0,
                                                                      s2i_v8 *o1, long os) {
    const __m256 z0 = _mm256_load_ps((const float *)i0), z1 = _mm256_load_ps((const float *)i1);
    __m256 a0 = z0, a1 = z0, a2 = z0, a3 = z0, a4 = z0;
    __m256 b0 = z1, b1 = z1, b2 = z1, b3 = z1, b4 = z1;
    for (int j = 0; j < len; j++, d0 += ds, d1 += ds, c += cs) {
        const __m256 x = _mm256_load_ps((const float *)d0), y = _mm256_load_ps((const float *)d1);
        __m256 k;
        k = _mm256_broadcast_ss(c + 0), a0 = _mm256_fmadd_ps(x, k, a0), b0 = _mm256_fmadd_ps(y, k, b0);
        k = _mm256_broadcast_ss(c + 1), a1 = _mm256_fmadd_ps(x, k, a1), b1 = _mm256_fmadd_ps(y, k, b1);
        k = _mm256_broadcast_ss(c + 2), a2 = _mm256_fmadd_ps(x, k, a2), b2 = _mm256_fmadd_ps(y, k, b2);
        k = _mm256_broadcast_ss(c + 3), a3 = _mm256_fmadd_ps(x, k, a3), b3 = _mm256_fmadd_ps(y, k, b3);
        k = _mm256_broadcast_ss(c + 4), a4 = _mm256_fmadd_ps(x, k, a4), b4 = _mm256_fmadd_ps(y, k, b4);
    }
    float *p = (float *)o0, *q = (float *)o1;
    const long step = 8 * os;
    _mm256_store_ps(p, a0), _mm256_store_ps(p + step, a1), _mm256_store_ps(p + 2 * step, a2);
    _mm256_store_ps(p + 3 * step, a3), _mm256_store_ps(p + 4 * step, a4);
    _mm256_store_ps(q, b0), _mm256_store_ps(q + step, b1), _mm256_store_ps(q + 2 * step, b2);
    _mm256_store_ps(q + 3 * step, b3), _mm256_store_ps(q + 4 * step, b4);
}
#endif

/* Portable: the same on each 4-lane half (compilers keep 8-lane vectors the hardware lacks in memory). */
typedef float s2i_v4 __attribute__((vector_size(16), may_alias));

S2I_INLINE void s2i_tile_half(const s2i_v4 *d0, const s2i_v4 *d1, long ds, const float *c, long cs, int len,
                              const s2i_v4 *i0, const s2i_v4 *i1, s2i_v4 *o0, s2i_v4 *o1, long os) {
    s2i_v4 a0 = *i0, a1 = *i0, a2 = *i0, a3 = *i0, a4 = *i0;
    s2i_v4 b0 = *i1, b1 = *i1, b2 = *i1, b3 = *i1, b4 = *i1;
    for (int j = 0; j < len; j++, d0 += ds, d1 += ds, c += cs) {
        const s2i_v4 x = *d0, y = *d1;
        float k;
        k = c[0], a0 += x * k, b0 += y * k;
        k = c[1], a1 += x * k, b1 += y * k;
        k = c[2], a2 += x * k, b2 += y * k;
        k = c[3], a3 += x * k, b3 += y * k;
        k = c[4], a4 += x * k, b4 += y * k;
    }
    o0[0] = a0, o0[os] = a1, o0[2 * os] = a2, o0[3 * os] = a3, o0[4 * os] = a4;
    o1[0] = b0, o1[os] = b1, o1[2 * os] = b2, o1[3 * os] = b3, o1[4 * os] = b4;
}

S2I_INLINE void s2i_tile_any(const s2i_v8 *d0, const s2i_v8 *d1, long ds, const float *c, long cs, int len,
                             const s2i_v8 *i0, const s2i_v8 *i1, s2i_v8 *o0, s2i_v8 *o1, long os, const int avx2) {
    (void)avx2;
    if (avx2) {
#if S2I_X86 && !defined(__clang__)
        s2i_tile_avx2(d0, d1, ds, c, cs, len, i0, i1, o0, o1, os);
#else
        s2i_tile8(d0, d1, ds, c, cs, len, i0, i1, o0, o1, os);
#endif
        return;
    }
    for (int h = 0; h < 2; h++)
        s2i_tile_half((const s2i_v4 *)d0 + h, (const s2i_v4 *)d1 + h, 2 * ds, c, cs, len, (const s2i_v4 *)i0 + h,
                      (const s2i_v4 *)i1 + h, (s2i_v4 *)o0 + h, (s2i_v4 *)o1 + h, 2 * os);
}

/* Stores lanes 0 … lanes − 1 of the vector *v at dst. */
#define S2I_STORE(dst, v, lanes)                                 \
    do {                                                         \
        if ((lanes) == 8) {                                      \
            memcpy((dst), &(v), sizeof(s2i_v8));                 \
        } else {                                                 \
            for (int l_ = 0; l_ < (lanes); l_++) (dst)[l_] = (v)[l_]; \
        }                                                        \
    } while (0)

S2I_INLINE void s2i_group(const s2i_stft_plan *p, const float *const rows[8], const s2i_scratch *s, float *out,
                          long out_stride, int lanes, const int avx2) {
    const int n1 = p->n1, n2 = p->n2, R = p->rows;
    const s2i_dft_table *ta = &p->ta, *tb = &p->tb;
    s2i_v8 *x = s->x, *re = s->re, *im = s->im;
    const s2i_v8 *zero = s->zero;

    s2i_gather(p, rows, s, avx2);
    s2i_butterflies(p, x);

    /* Stage A, rows r and r + 1: re/im[k2][r]. */
    for (int r = 0; r < n1; r += 2) {
        const s2i_v8 *x0 = x + (long)r * n2, *x1 = x0 + n2;
        for (int k = 0; k < ta->outs; k += S2I_K) {
            s2i_v8 *o = re + (long)k * R + r;
            s2i_tile_any(x0 + 1, x1 + 1, 1, ta->cos + k, ta->stride, ta->cpairs, x0, x1, o, o + 1, R, avx2);
            o = im + (long)k * R + r;
            s2i_tile_any(x0 + n2 - 1, x1 + n2 - 1, -1, ta->sin + k, ta->stride, ta->spairs, zero, zero, o, o + 1, R,
                         avx2);
        }
    }

    /* Stage B, column k2. */
    for (int k2 = 0; k2 < ta->outs; k2++) {
        const s2i_v8 *yr = re + (long)k2 * R, *yi = im + (long)k2 * R;
        const int *bp = p->bin_plus + (long)k2 * tb->stride, *bm = p->bin_minus + (long)k2 * tb->stride;
        for (int k = 0; k < tb->outs; k += S2I_K) {
            s2i_v8 ar[S2I_K], ai[S2I_K], br[S2I_K], bi[S2I_K];
            s2i_tile_any(yr + 1, yi + 1, 1, tb->cos + k, tb->stride, tb->cpairs, yr, yi, ar, ai, 1, avx2);
            s2i_tile_any(yi + n1 - 1, yr + n1 - 1, -1, tb->sin + k, tb->stride, tb->spairs, zero, zero, br, bi, 1, avx2);
            for (int i = 0; i < S2I_K; i++) {
                if (bp[k + i] >= 0) {
                    const s2i_v8 xr = ar[i] - br[i], xi = ai[i] + bi[i], pw = xr * xr + xi * xi;
                    S2I_STORE(out + bp[k + i] * out_stride, pw, lanes);
                }
                if (bm[k + i] >= 0) {
                    const s2i_v8 xr = ar[i] + br[i], xi = ai[i] - bi[i], pw = xr * xr + xi * xi;
                    S2I_STORE(out + bm[k + i] * out_stride, pw, lanes);
                }
            }
        }
    }
}

S2I_INLINE void s2i_run(const s2i_stft_plan *p, const float *signal, int hop, int frames, float *out, long out_stride,
                        const s2i_scratch *s, const int avx2) {
    for (int f0 = 0; f0 < frames; f0 += 8) {
        const int lanes = frames - f0 < 8 ? frames - f0 : 8;
        const float *rows[8];
        for (int r = 0; r < 8; r++) rows[r] = r < lanes ? signal + (long)(f0 + r) * hop : s->zeros;
        s2i_group(p, rows, s, out + f0, out_stride, lanes, avx2);
    }
}

#if S2I_X86
__attribute__((target("avx2,fma"), noinline)) static void s2i_run_avx2(const s2i_stft_plan *p, const float *signal,
                                                                       int hop, int frames, float *out,
                                                                       long out_stride, const s2i_scratch *s) {
    s2i_run(p, signal, hop, frames, out, out_stride, s, 1);
}
#endif

__attribute__((noinline)) static void s2i_run_portable(const s2i_stft_plan *p, const float *signal, int hop,
                                                       int frames, float *out, long out_stride,
                                                       const s2i_scratch *s) {
    s2i_run(p, signal, hop, frames, out, out_stride, s, 0);
}

int s2i_stft_power(const s2i_stft_plan *plan, const float *signal, int hop, int frames, float *out, long out_stride) {
    if (frames <= 0) return 0;
    s2i_scratch s;
    const size_t size = s2i_scratch_layout(plan, &s, NULL);
    void *memory = calloc(1, size + S2I_ALIGN); /* zero: the padding row of x and the zero vectors */
    if (!memory) return -1;
    char *base = (char *)(((uintptr_t)memory + S2I_ALIGN - 1) & ~(uintptr_t)(S2I_ALIGN - 1));
    s2i_scratch_layout(plan, &s, base);
#if S2I_X86
    if (plan->avx2)
        s2i_run_avx2(plan, signal, hop, frames, out, out_stride, &s);
    else
#endif
        s2i_run_portable(plan, signal, hop, frames, out, out_stride, &s);
    free(memory);
    return 0;
}
