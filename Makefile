# The two README commands: `make demo` (set up, build in release, run the whole pipeline on the built-in data
# into demo-output/) and `make test` (set up, build, run every test). Both install what they need.
# `make test` first holds every import to the layering (scripts/allowed-imports.txt) and shows that check can fail. `make bench` runs the benchmarks; `make docs` writes the DocC catalogues. `make fuzz` fuzzes every decoder
# for FUZZ_SECONDS each (default 300), `make fuzz-smoke` for about a minute in all (Docs/reliability.md).
SHELL := /bin/bash
export PATH := $(PATH):/opt/swift/usr/bin

.PHONY: setup test build release demo bench docs fuzz fuzz-smoke clean

setup:
	@bash scripts/setup.sh

build: setup
	swift build

test:
	@bash scripts/setup.sh --test
	swift scripts/check-imports.swift
	bash scripts/test-check-imports.sh
	swift build --build-tests
	bash scripts/run-tests.sh

release: setup
	swift build -c release --product s2igan

demo: release
	.build/release/s2igan demo --output demo-output

bench: release
	.build/release/s2igan bench gemm
	.build/release/s2igan bench conv
	.build/release/s2igan bench mlp
	.build/release/s2igan bench convnet
	.build/release/s2igan bench gru
	.build/release/s2igan bench mel
	.build/release/s2igan bench inception
	.build/release/s2igan bench loader
	.build/release/s2igan bench sen-step

docs: setup
	mkdir -p docs-out
	for target in Tensor Formats Autograd NN Metrics Audio Vision Datasets Training SEN GAN Evaluation Demo Bench; do \
		swift package --allow-writing-to-directory docs-out generate-documentation --target S2IGAN$$target \
			--output-path docs-out/$$target || exit 1; \
	done

FUZZ_SECONDS ?= 300

fuzz: setup
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh $(FUZZ_TARGETS)

fuzz-smoke: setup
	FUZZ_SECONDS=5 FUZZ_SEED=1 bash scripts/fuzz.sh

clean:
	rm -rf .build .build-fuzz
