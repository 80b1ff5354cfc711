# Portico: `make run` starts the demo, `make test` runs every test.
SWIFT ?= swift

.PHONY: deps build release run test check bench conformance protos clean

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build

# Release binaries as shipped (see scripts/build-release.sh for the flags and why).
release: deps
	@bash scripts/build-release.sh portico demo-backend

run: build
	@bash scripts/run-demo.sh

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel

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
	rm -rf .build
