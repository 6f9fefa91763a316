#define _GNU_SOURCE
#include "CTensorSupport.h"
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long s2_xgetbv0(void) {
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

int s2_cpu_supports_avx512_skylakex(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & (1u << 27))) return 0; /* OSXSAVE: the OS manages extended state */
    /* XCR0 bits 1,2 (SSE, AVX) and 5,6,7 (opmask, ZMM_Hi256, Hi16_ZMM) must all be enabled. */
    if ((s2_xgetbv0() & 0xE6) != 0xE6) return 0;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    const unsigned int need = (1u << 16) /* F */ | (1u << 17) /* DQ */ | (1u << 28) /* CD */
                            | (1u << 30) /* BW */ | (1u << 31) /* VL */;
    return (b & need) == need;
}

int s2_cpu_supports_avx2_fma(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    /* OSXSAVE, AVX and FMA, with the SSE and AVX state enabled by the OS (XCR0 bits 1 and 2). */
    const unsigned int need = (1u << 27) | (1u << 28) | (1u << 12);
    if ((c & need) != need) return 0;
    if ((s2_xgetbv0() & 0x6) != 0x6) return 0;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b & (1u << 5)) != 0; /* AVX2 */
}

int s2_cpu_amd_family(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return 0;
    /* "AuthenticAMD" is returned in EBX, EDX, ECX. */
    if (b != 0x68747541u || d != 0x69746e65u || c != 0x444d4163u) return 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    unsigned int family = (a >> 8) & 0xF;
    if (family == 0xF) family += (a >> 20) & 0xFF;
    return (int)family;
}
#else
int s2_cpu_supports_avx512_skylakex(void) { return 0; }
int s2_cpu_supports_avx2_fma(void) { return 0; }
int s2_cpu_amd_family(void) { return 0; }
#endif

const char *s2_openblas_core_name(void) {
    const char *(*corename)(void) = (const char *(*)(void))dlsym(RTLD_DEFAULT, "gotoblas_corename");
    return corename ? corename() : NULL;
}

/* OpenBLAS's own choice, kept when the module switches kernels. */
static const char *detected_core = NULL;

const char *s2_openblas_detected_core(void) { return detected_core ? detected_core : s2_openblas_core_name(); }

static int one_of(const char *name, const char *const *names) {
    for (; *names; names++) if (strcmp(name, *names) == 0) return 1;
    return 0;
}

/* Kernel sets older than AVX2 with FMA. "Prescott" is also what OpenBLAS falls back to for a CPU model it does
   not know: 0.3.21 does so on Intel Xeons newer than it (Emerald Rapids, family 6 model 0xCF). */
static const char *const before_avx2[] = {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Sandybridge", NULL};

const char *s2_preferred_openblas_core(void) {
    const char *detected = s2_openblas_detected_core();
    if (s2_cpu_supports_avx512_skylakex()) {
        const int family = s2_cpu_amd_family();
        /* Zen 4 executes AVX-512 on 256-bit units: OpenBLAS's AVX2 kernels are as fast on large products and
           clearly faster on the skinny ones convolutions produce (Docs/benchmarks.md). */
        if (family == 0x19) return "Haswell";
        /* Zen 5 and later have full-width AVX-512 units. */
        if (family >= 0x1A) return "SkylakeX";
        /* Intel: keep OpenBLAS's AVX-512 kernels; correct a fallback to the AVX2 kernels or to older ones. */
        if (detected && (strcmp(detected, "Haswell") == 0 || strcmp(detected, "Zen") == 0 || one_of(detected, before_avx2))) return "SkylakeX";
        return NULL;
    }
    /* A CPU with AVX2 and FMA that OpenBLAS did not recognise. */
    if (s2_cpu_supports_avx2_fma() && detected && one_of(detected, before_avx2)) return "Haswell";
    return NULL;
}

const char *s2_openblas_select_core(void) {
    if (getenv("OPENBLAS_CORETYPE") != NULL) return NULL; /* the user's explicit choice wins */
    const char *wanted = s2_preferred_openblas_core();
    if (!wanted) return NULL;
    void (*dyn_init)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init");
    void (*dyn_quit)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit");
    const char *current = s2_openblas_core_name();
    if (!dyn_init || !dyn_quit || !current) return NULL; /* not a DYNAMIC_ARCH build: nothing to choose */
    if (!detected_core) detected_core = current;
    if (strcmp(current, wanted) == 0) return NULL;
    char table[64];
    snprintf(table, sizeof table, "gotoblas_%s", strcmp(wanted, "SkylakeX") == 0 ? "SKYLAKEX" : "HASWELL");
    if (!dlsym(RTLD_DEFAULT, table)) return NULL; /* built without that kernel set */
    /* OpenBLAS reads OPENBLAS_CORETYPE in gotoblas_dynamic_init; re-run it with the variable set, then
       remove the variable again so that child processes detect for themselves. */
    setenv("OPENBLAS_CORETYPE", wanted, 1);
    dyn_quit();
    dyn_init();
    unsetenv("OPENBLAS_CORETYPE");
    current = s2_openblas_core_name();
    return (current && strcmp(current, wanted) == 0) ? wanted : NULL;
}

void s2_line_buffer_stdout(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
}
