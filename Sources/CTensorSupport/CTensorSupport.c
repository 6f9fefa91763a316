#define _GNU_SOURCE
#include "CTensorSupport.h"
#include <dlfcn.h>
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
#else
int s2_cpu_supports_avx512_skylakex(void) { return 0; }
#endif

const char *s2_openblas_core_name(void) {
    const char *(*corename)(void) = (const char *(*)(void))dlsym(RTLD_DEFAULT, "gotoblas_corename");
    return corename ? corename() : NULL;
}

int s2_openblas_prefer_avx512(void) {
    if (getenv("OPENBLAS_CORETYPE") != NULL) return 0; /* the user's explicit choice wins */
    if (!s2_cpu_supports_avx512_skylakex()) return 0;
    void (*dyn_init)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init");
    void (*dyn_quit)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit");
    const char *name = s2_openblas_core_name();
    if (!dyn_init || !dyn_quit || !name) return 0; /* not a DYNAMIC_ARCH build: nothing to choose */
    if (!dlsym(RTLD_DEFAULT, "gotoblas_SKYLAKEX")) return 0; /* built without the AVX-512 kernels */
    /* Only upgrade from the AVX2-level kernel sets; never override a better or unusual choice. */
    if (strcmp(name, "Haswell") != 0 && strcmp(name, "Zen") != 0) return 0;
    /* OpenBLAS reads OPENBLAS_CORETYPE in gotoblas_dynamic_init; re-run it with the variable set,
       then remove the variable again so child processes detect for themselves. */
    setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
    dyn_quit();
    dyn_init();
    unsetenv("OPENBLAS_CORETYPE");
    name = s2_openblas_core_name();
    return (name && strcmp(name, "SkylakeX") == 0) ? 1 : 0;
}
