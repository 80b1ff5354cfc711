# Portico: `make run` starts the demo, `make test` runs every test.
SWIFT ?= swift

.PHONY: deps build release run test lint format check bench conformance protos clean

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build

# Release binaries as shipped (see scripts/build-release.sh for the flags and why).
release: deps
	@bash scripts/build-release.sh portico demo-backend

run: build
	@bash scripts/run-demo.sh

# Tests run from an optimised build that keeps every check a debug build makes (assertions,
# preconditions, exclusivity, DEBUG code) in its own folder: the test run takes 40% less time.
# Serial: end-to-end suites hold real deadlines (seconds), which a parallel run on two cores misses.
TEST_BUILD = --scratch-path .build-test -Xswiftc -O -Xswiftc -assert-config -Xswiftc Debug

test: deps lint
	$(SWIFT) build --build-tests $(TEST_BUILD)
	$(SWIFT) test --skip-build --no-parallel $(TEST_BUILD)

# Every hand-written Swift file follows .swift-format (generated code keeps its generator's style).
FORMATTED = $(shell find Sources Tests Benchmarks/Sources -name '*.swift' -not -path '*/Generated/*') \
	Package.swift Benchmarks/Package.swift

lint:
	@echo "swift format lint --strict ($(words $(FORMATTED)) files)"
	@$(SWIFT) format lint --strict $(FORMATTED)

format:
	@$(SWIFT) format format --in-place $(FORMATTED)

check: build
	$$($(SWIFT) build --show-bin-path)/portico check --config Gateway.yaml

bench: deps
	@bash Benchmarks/bench.sh

# protobuf's official conformance runner against our codec (builds the runner once).
conformance: deps
	@bash scripts/run-conformance.sh

protos:
	bash scripts/generate-protos.sh

clean:
	rm -rf .build .build-test
