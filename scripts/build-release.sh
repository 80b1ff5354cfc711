#!/usr/bin/env bash
# Builds release binaries the way Portico ships them (`make release`, the benchmarks):
# optimized, and with Swift's run-time exclusivity checks off (-enforce-exclusivity=unchecked).
#
# Why: each access to a class's stored property is otherwise checked at run time (a call that
# records the access in a thread-local set). On the streaming path that was ~10% of the gateway's
# CPU in perf, and turning the checks off measured -22% CPU per raw chunk and -19% per NDJSON
# chunk. The trade-off: an exclusivity violation in a release binary would be undefined behaviour
# instead of a trap. Debug builds (`make test`, every test) keep the checks, so a violation on any
# tested path still fails the tests.
#
# Every module is built with the same flags: SwiftPM rebuilds the whole graph when they change,
# so any release build in this checkout should go through this script.
#
# The container image (deploy/docker/Dockerfile) builds with this script plus
# --static-swift-stdlib (the Swift runtime linked in, so the image needs no Swift libraries), and
# `make test` builds the same way into .build-static to check what the image must install.
#
# Usage: scripts/build-release.sh [--package-path DIR] [--scratch-path DIR] [--static-swift-stdlib] PRODUCT...
# Prints the folder holding the binaries; the build log goes to stderr only on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

package=()
flags=(-c release -Xswiftc -enforce-exclusivity=unchecked)
while [ $# -gt 0 ]; do
  case "$1" in
    --package-path | --scratch-path) package+=("$1" "$2"); shift 2 ;;
    --static-swift-stdlib) flags+=("$1"); shift ;;
    *) break ;;
  esac
done
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for product in "$@"; do
  swift build "${package[@]}" "${flags[@]}" --product "$product" > "$log" 2>&1 || { cat "$log" >&2; exit 1; }
done
swift build "${package[@]}" "${flags[@]}" --show-bin-path
