#!/usr/bin/env bash
# Installs what S2IGAN-Swift needs on Debian/Ubuntu, and only what is missing. Safe to run again.
# Called by every Makefile goal, so neither README command assumes a manual step.
set -euo pipefail

packages=(pkg-config libopenblas-dev liblapacke-dev libsndfile1-dev libfftw3-dev libjpeg-dev libpng-dev zlib1g-dev espeak-ng
          libopenmpi-dev openmpi-bin)
# `scripts/setup.sh --test` (make test) adds what only the tests use: headless Chromium and Python 3 for the end-to-end
# test of `s2igan serve`'s page (Tools/e2e/serve_e2e.py).
if [ "${1:-}" = "--test" ]; then
    packages+=(chromium python3)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "setup: need root (or sudo) to apt-get install ${missing[*]}" >&2; exit 1; }
        sudo="sudo"
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# The Swift toolchain is not a Debian package; this project expects Swift 6 on PATH or at /opt/swift.
if ! command -v swift >/dev/null 2>&1 && [ ! -x /opt/swift/usr/bin/swift ]; then
    echo "setup: no Swift toolchain found (expected 'swift' on PATH or /opt/swift/usr/bin/swift)" >&2
    exit 1
fi
