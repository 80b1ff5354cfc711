#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ (release, -sanitize=fuzzer,address) and runs each one.
#
#   bash scripts/fuzz.sh                      # every target for FUZZ_SECONDS (default 60) each
#   bash scripts/fuzz.sh FuzzRouting          # some targets
#   FUZZ_SECONDS=5 bash scripts/fuzz.sh       # what `make fuzz-smoke` runs
#   bash scripts/fuzz.sh --merge FuzzRouting  # minimizes the grown corpus into Fuzz/Corpus/<target>
#
# Each run first replays Fuzz/Regressions/<target>/ (inputs that once crashed), then fuzzes from
# the committed seeds (Fuzz/Corpus/<target>/, read only) into a scratch corpus that grows in
# Fuzz/.build-fuzz/corpus/<target>/; crashes land in Fuzz/.build-fuzz/crashes/<target>/ and
# fail the script. Extra libFuzzer flags go in FUZZ_FLAGS (for example -jobs=2 -workers=2).
# Nothing is installed: the Swift toolchain carries libFuzzer and AddressSanitizer.
set -euo pipefail
cd "$(dirname "$0")/../Fuzz"

SWIFT="${SWIFT:-swift}"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
SCRATCH=.build-fuzz
ALL=(FuzzJSONRequest FuzzProtobufResponse FuzzRouting FuzzHTTPFrontEnd FuzzUpstream FuzzJSONSequence
  FuzzGatewayConfig FuzzDescriptorSet)

merge=false
if [ "${1:-}" = "--merge" ]; then
  merge=true
  shift
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${ALL[@]}")

# Per target: the dictionary and the longest input (whole-input invariants are quadratic for
# the splitters; HTTP exchanges and YAML documents need room).
dictionary() {
  case "$1" in
    FuzzJSONRequest | FuzzJSONSequence) echo Dictionaries/json.dict ;;
    FuzzRouting) echo Dictionaries/routing.dict ;;
    FuzzHTTPFrontEnd) echo Dictionaries/http.dict ;;
    FuzzGatewayConfig) echo Dictionaries/yaml.dict ;;
    *) echo "" ;;
  esac
}
max_len() {
  case "$1" in
    FuzzJSONSequence) echo 64  ;;
    FuzzUpstream) echo 512 ;;
    FuzzGatewayConfig) echo 2048 ;;
    *) echo 4096 ;;
  esac
}

build_flags=(-c release --scratch-path "$SCRATCH" -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
  -Xswiftc -enable-testing)
if [ ${#targets[@]} -eq ${#ALL[@]} ]; then
  echo "== building every target"
  "$SWIFT" build "${build_flags[@]}"
else
  for target in "${targets[@]}"; do
    echo "== building $target"
    "$SWIFT" build "${build_flags[@]}" --product "$target"
  done
fi
bin="$("$SWIFT" build "${build_flags[@]}" --show-bin-path)"

# Swift's runtime keeps caches for the process's life; leak reports would be about those.
# malloc_context_size=0: no stack recorded per allocation (a fifth of the time of the
# allocation-heavy targets); replay a crash with ASAN_OPTIONS=detect_leaks=0 for the full report.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1:malloc_context_size=0}"
# Swift's own backtracer reads the crashed stack, which AddressSanitizer reports as a second error.
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=no}"
status=0
for target in "${targets[@]}"; do
  corpus="$SCRATCH/corpus/$target"
  # Not artifacts/: SwiftPM keeps binary targets in that folder of its scratch path and clears it
  # (crash files vanished from it between runs).
  artifacts="$SCRATCH/crashes/$target/"
  mkdir -p "$corpus" "$artifacts" "Corpus/$target"
  flags=(-max_len="$(max_len "$target")" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$artifacts"
    -print_final_stats=1)
  dict="$(dictionary "$target")"
  [ -z "$dict" ] || flags+=(-dict="$dict")
  if $merge; then
    echo "== merging $target into Corpus/$target"
    fresh="$SCRATCH/merged/$target"
    rm -rf "$fresh" && mkdir -p "$fresh"
    "$bin/$target" "${flags[@]}" -merge=1 "$fresh" "Corpus/$target" "$corpus"
    rm -f "Corpus/$target"/* && cp "$fresh"/* "Corpus/$target/"
    continue
  fi
  if [ -d "Regressions/$target" ] && [ -n "$(ls -A "Regressions/$target")" ]; then
    echo "== $target: replaying Regressions/$target"
    "$bin/$target" "${flags[@]}" Regressions/"$target"/* || status=1
  fi
  echo "== $target: fuzzing for ${SECONDS_PER_TARGET}s"
  # shellcheck disable=SC2086 # FUZZ_FLAGS is a list of flags
  "$bin/$target" "${flags[@]}" -max_total_time="$SECONDS_PER_TARGET" ${FUZZ_FLAGS:-} "$corpus" "Corpus/$target" \
    || status=1
done
exit $status
