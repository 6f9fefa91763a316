#!/usr/bin/env bash
# Shows that scripts/check-imports.swift fails when it should. In a scratch copy of the manifest, the sources and
# the scripts it plants one fault at a time, the way a change could: an arrow up through Package.swift, an import
# a target does not declare, a declared dependency no file imports, a target with no level, and expects each to
# be refused with its own message. The unchanged copy must pass. Run from anywhere; `make test` runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0

fresh_copy() {
    rm -rf "$scratch/package"
    mkdir -p "$scratch/package"
    # Only what the check reads: the manifest, the Swift files of every target, the levels file and the script.
    git ls-files Package.swift scripts Sources Tests | grep -E '^(Package\.swift|scripts/.*|.*\.swift)$' \
        | tar -cf - -T - | tar -xf - -C "$scratch/package"
}

check() { (cd "$scratch/package" && swift scripts/check-imports.swift 2>&1); }

# expect_refused WHAT EXPECTED...: the check fails and its output holds every EXPECTED text.
expect_refused() {
    local what=$1 output expected
    shift
    if output=$(check); then
        echo "test-check-imports: FAILED: $what was accepted"; failures=$((failures + 1)); return
    fi
    for expected in "$@"; do
        if ! grep -qF -- "$expected" <<<"$output"; then
            echo "test-check-imports: FAILED: $what was refused without '$expected':"; echo "$output" | head -5
            failures=$((failures + 1)); return
        fi
    done
    echo "test-check-imports: refused $what"
}

fresh_copy
check >/dev/null || { echo "test-check-imports: FAILED: the unchanged package does not pass"; check | head -5; exit 1; }

# An arrow up, declared: Metrics (level 5) on GAN (level 9).
fresh_copy
sed -i 's/layer("Metrics", \["S2IGANFormats", "S2IGANTensor"\])/layer("Metrics", ["S2IGANGAN", "S2IGANFormats", "S2IGANTensor"])/' \
    "$scratch/package/Package.swift"
grep -q '"S2IGANGAN", "S2IGANFormats"' "$scratch/package/Package.swift" || { echo "test-check-imports: the manifest changed shape; update this test"; exit 1; }
echo "import S2IGANGAN" >> "$scratch/package/Sources/Metrics/Retrieval.swift"
expect_refused "Metrics depending on GAN" "S2IGANMetrics (level 5) depends on S2IGANGAN (level 9): an arrow may only point down"

# An import the target does not declare (the file compiles in no build, but the check reads it first).
fresh_copy
printf '@testable import S2IGANSEN\n' >> "$scratch/package/Sources/Tensor/Creation.swift"
expect_refused "an undeclared import in Tensor" "Sources/Tensor/Creation.swift:" \
    "imports S2IGANSEN, which target S2IGANTensor does not declare"

# The same in a test target.
fresh_copy
echo "import S2IGANGAN" >> "$scratch/package/Tests/FormatsTests/PickleTests.swift"
expect_refused "an undeclared import in a test target" "imports S2IGANGAN, which target FormatsTests does not declare"

# A declared dependency that no file imports.
fresh_copy
sed -i 's/layer("Autograd", \["S2IGANTensor"\])/layer("Autograd", ["S2IGANFormats", "S2IGANTensor"])/' "$scratch/package/Package.swift"
expect_refused "an unused dependency" "S2IGANAutograd declares S2IGANFormats in Package.swift but no file of it imports it"

# A target missing from the levels file.
fresh_copy
sed -i 's/^7: S2IGANDatasets S2IGANTraining$/7: S2IGANDatasets/' "$scratch/package/scripts/allowed-imports.txt"
expect_refused "a target with no level" "target S2IGANTraining has no level in scripts/allowed-imports.txt"

[ "$failures" -eq 0 ] || { echo "test-check-imports: $failures case(s) failed"; exit 1; }
echo "test-check-imports: every planted fault was refused"
