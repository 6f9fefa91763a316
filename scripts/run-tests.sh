#!/usr/bin/env bash
# Runs every test target (Swift Testing and XCTest) and ends with one plain summary line,
# "tests: N passed, M failed", counted from Swift Testing's report.
set -uo pipefail
log=$(mktemp)
trap 'rm -f "$log"' EXIT
swift test --skip-build "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
total=$(grep -oE 'Test run with [0-9]+ tests?' "$log" | tail -n 1 | grep -oE '[0-9]+' || true)
failed=$(grep -E '^✘ Test .* failed after' "$log" | grep -vc '^✘ Test run with' || true)
total=${total:-0}
echo "tests: $((total - failed)) passed, $failed failed"
if [ "$total" -eq 0 ]; then
    echo "no tests ran" >&2
    exit 1
fi
exit "$status"
