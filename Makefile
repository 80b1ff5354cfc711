# Portico: `make run` starts the demo, `make test` runs every test.
SWIFT ?= swift

.PHONY: deps build run test check bench conformance protos clean

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build

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
