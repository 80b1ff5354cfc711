#!/usr/bin/env bash
# `make chaos`: issue 18's "network with weather" (Tests/GatewayTests/Chaos/, as root). The
# backend runs in its own network namespace behind a veth link with delay, jitter, loss,
# reordering and partitions (scripts/weather-link.py); a real `portico serve` in front of it.
# Builds the tests as `make test` does, runs the Chaos suite with more calls than `make test`
# runs, prints the figures and, when every scenario passed, writes them to
# Benchmarks/results/chaos.md.
#
# Knobs: ROUNDS (calls of each kind per weather, default 10; `make test` runs 3),
# RESULTS (the figures file), SCRATCH (the build folder, default .build-test as `make test`).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${ROUNDS:-10}
results=${RESULTS:-Benchmarks/results/chaos.md}
flags=(--scratch-path "${SCRATCH:-.build-test}" -Xswiftc -O -Xswiftc -assert-config -Xswiftc Debug)
figures=$(mktemp)
trap 'rm -f "$figures"' EXIT

swift build --build-tests "${flags[@]}"
status=0
PORTICO_CHAOS_RESULTS="$figures" PORTICO_CHAOS_ROUNDS="$rounds" \
  swift test --skip-build --no-parallel "${flags[@]}" --filter ChaosTests || status=$?
if [ ! -s "$figures" ]; then
  echo "chaos: no figures (the suite was skipped or failed before any scenario ended; see above)" >&2
  exit 1
fi
if [ "$status" -ne 0 ]; then
  echo "chaos: a scenario failed; figures above, $results left as it was" >&2
  exit "$status"
fi
mkdir -p "$(dirname "$results")"
cp "$figures" "$results"
echo "chaos: figures written to $results"
