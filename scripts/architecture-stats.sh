#!/usr/bin/env bash
# Prints the numbers of the architecture's before/after table (Docs/architecture.md): lines of Swift and C per
# source target, the modules each target imports (besides Foundation/Glibc/Darwin/Dispatch), the largest files,
# and the command line's lines. Run from the repository root.
set -uo pipefail
cd "$(dirname "$0")/.."
echo "## lines per target"
for folder in Sources/*/; do
    lines=$(find "$folder" \( -name '*.swift' -o -name '*.c' -o -name '*.h' \) -print0 | xargs -0 cat 2>/dev/null | wc -l)
    printf '%6d  %s\n' "$lines" "$(basename "$folder")"
done
echo "## imports per target (other than the system's)"
for folder in Sources/*/; do
    imports=$(grep -rhoE '^(@_exported |@testable |public |internal |package )?import [A-Za-z0-9_]+' "$folder" --include='*.swift' 2>/dev/null \
        | awk '{print $NF}' | grep -vxE 'Foundation|Glibc|Darwin|Dispatch|Musl|Android' | sort -u | tr '\n' ' ')
    [ -n "$imports" ] && printf '%-14s %2d  %s\n' "$(basename "$folder")" "$(echo "$imports" | wc -w)" "$imports"
done
echo "## largest files"
find Sources -name '*.swift' -print0 | xargs -0 wc -l | grep -v ' total$' | sort -rn | head -n 10
echo "## command line"
find Sources/s2igan-cli -name '*.swift' -print0 | xargs -0 cat | wc -l
