"""The timing rule shared by the PyTorch benchmark scripts (the same as `s2igan bench`): one warm-up
call, one probe, then the median of enough calls to fill `seconds` (at least 5, at most `most`)."""
import time


def median_ms(fn, seconds, most=500):
    fn()
    t0 = time.perf_counter()
    fn()
    probe = time.perf_counter() - t0
    runs = max(5, min(most, int(seconds / max(probe, 1e-6))))
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return times[len(times) // 2], runs
