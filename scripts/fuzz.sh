#!/usr/bin/env bash
# Coverage-guided fuzzing of the decoders (Docs/reliability.md).
#
#   scripts/fuzz.sh [TARGET...]     build the libFuzzer binary, then fuzz each target (default: all) for
#                                   FUZZ_SECONDS seconds (default 300) on a scratch copy of its seed corpus
#   scripts/fuzz.sh --build-only    only build
#
# The binary is built into .build-fuzz (never the normal .build) with -sanitize=fuzzer,address for the Swift
# code and -fsanitize=fuzzer-no-link,address for the C code of the package, with -D S2IGAN_FUZZ, which turns
# s2igan-fuzz from a replay driver into a libFuzzer binary. Inputs found while fuzzing go to
# .build-fuzz/corpus/<target>, crashes to .build-fuzz/crashes/<target>, logs to .build-fuzz/logs/<target>.log;
# lld links it: gold fails on the fuzzer runtime's second `main` (an internal error instead of a message).
# The summary (executions, coverage, crashes per target) goes to .build-fuzz/logs/summary.txt. Exits non-zero
# when a target crashed. Settings: FUZZ_SECONDS, FUZZ_JOBS (targets run at once, default 1), FUZZ_NICE
# (default 10), FUZZ_RSS_MB (2048), FUZZ_MALLOC_MB (1024), FUZZ_TIMEOUT (10 s per input), FUZZ_CONFIG (release),
# FUZZ_SEED (libFuzzer's -seed; unset: a new seed each run; the smoke pass fixes it so CI explores the same way).
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"

seconds=${FUZZ_SECONDS:-300}
jobs=${FUZZ_JOBS:-1}
niceness=${FUZZ_NICE:-10}
rss_mb=${FUZZ_RSS_MB:-2048}
malloc_mb=${FUZZ_MALLOC_MB:-1024}
timeout_s=${FUZZ_TIMEOUT:-10}
config=${FUZZ_CONFIG:-release}
scratch=.build-fuzz

build_only=0
targets=()
for argument in "$@"; do
    case "$argument" in
        --build-only) build_only=1 ;;
        -*) echo "fuzz.sh: unknown option $argument" >&2; exit 2 ;;
        *) targets+=("$argument") ;;
    esac
done

start=$(date +%s)
nice -n "$niceness" swift build -c "$config" --scratch-path "$scratch" --product s2igan-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -D -Xswiftc S2IGAN_FUZZ -Xswiftc -use-ld=lld \
    -Xcc -fsanitize=fuzzer-no-link,address || exit 1
echo "fuzz build: $(( $(date +%s) - start )) s"
binary="$scratch/$config/s2igan-fuzz"
[ "$build_only" -eq 1 ] && exit 0

if [ ${#targets[@]} -eq 0 ]; then
    targets=()
    for folder in Tests/Fuzz/corpus/*/; do targets+=("$(basename "$folder")"); done
fi
mkdir -p "$scratch/logs"
summary="$scratch/logs/summary.txt"
: > "$summary"

# Fuzzes one target; writes its line of the summary to its own file (jobs may run at once).
fuzz_one() {
    local target=$1
    local corpus="$scratch/corpus/$target" crashes="$scratch/crashes/$target" log="$scratch/logs/$target.log"
    mkdir -p "$corpus" "$crashes"
    cp -n Tests/Fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null
    [ -d Tests/Fuzz/regressions/"$target" ] && cp -n Tests/Fuzz/regressions/"$target"/* "$corpus"/ 2>/dev/null
    local dictionary=()
    [ -f Tests/Fuzz/dictionaries/"$target".dict ] && dictionary=(-dict=Tests/Fuzz/dictionaries/"$target".dict)
    local t0; t0=$(date +%s)
    # ASan: allocator_may_return_null lets the malloc limit be reported by libFuzzer as a finding rather than
    # an abort deep inside a decoder; detect_leaks stays on (a leak per input is a finding too).
    # Tests/Fuzz/lsan.supp lists the leaks that are the toolchain's, not the project's.
    S2IGAN_FUZZ_TARGET="$target" ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}" \
        LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/Tests/Fuzz/lsan.supp:print_suppressions=0}" \
        nice -n "$niceness" "$binary" "$corpus" "${dictionary[@]}" -max_total_time="$seconds" -rss_limit_mb="$rss_mb" \
        -malloc_limit_mb="$malloc_mb" -timeout="$timeout_s" -artifact_prefix="$crashes/" -print_final_stats=1 ${FUZZ_SEED:+-seed=$FUZZ_SEED} \
        >"$log" 2>&1
    local status=$?
    local wall=$(( $(date +%s) - t0 ))
    local execs cov ft found
    execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -n 1)
    cov=$(grep -oE ' cov: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+')
    ft=$(grep -oE ' ft: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+')
    # Findings are crash-, leak-, oom- and timeout- files; slow-unit- files (an input that took over 10 s once,
    # often a stall of a loaded machine) are only counted.
    found=$(find "$crashes" -type f ! -name 'slow-unit-*' | wc -l)
    slow=$(find "$crashes" -type f -name 'slow-unit-*' | wc -l)
    printf '%-12s %5ss  execs %-10s cov %-6s ft %-6s corpus %-5s files  crashes %s  slow %s  exit %s\n' "$target" "$wall" \
        "${execs:-?}" "${cov:-?}" "${ft:-?}" "$(find "$corpus" -type f | wc -l)" "$found" "$slow" "$status" > "$scratch/logs/$target.summary"
    cat "$scratch/logs/$target.summary"
}

running=0
for target in "${targets[@]}"; do
    if [ ! -d "Tests/Fuzz/corpus/$target" ]; then echo "fuzz.sh: no corpus for target '$target'" >&2; exit 2; fi
    fuzz_one "$target" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait
failed=0
for target in "${targets[@]}"; do
    cat "$scratch/logs/$target.summary" >> "$summary"
    grep -q 'exit 0$' "$scratch/logs/$target.summary" || failed=1
done
echo "--- fuzzing summary ($seconds s per target; logs in $scratch/logs)"
cat "$summary"
[ "$failed" -eq 0 ] || { echo "fuzz: a target crashed; inputs in $scratch/crashes/<target>/" >&2; exit 1; }
