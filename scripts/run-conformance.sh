#!/usr/bin/env bash
# Runs protobuf's official conformance runner against `conformance-testee` (our codec).
#
# The runner is built once from Debian's protobuf source (protobuf_3.21.12.orig.tar.gz, the same
# release as the installed libprotobuf-dev) into .build-conformance/, then pointed at the testee:
#   bash scripts/run-conformance.sh            # debug testee
#   CONFIGURATION=release bash scripts/run-conformance.sh
# Exit status is the runner's: non-zero when a test fails that is not in
# Sources/ConformanceTestee/failure_list.txt (or when a listed one starts passing).
set -euo pipefail
cd "$(dirname "$0")/.."

CONFIGURATION="${CONFIGURATION:-debug}"
work=.build-conformance
runner="$work/conformance_test_runner"
version=3.21.12

if [ ! -x "$runner" ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  missing=()
  for pkg in g++ libprotobuf-dev protobuf-compiler curl; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}"
  fi
  mkdir -p "$work"
  tarball="$work/protobuf_$version.orig.tar.gz"
  [ -f "$tarball" ] || curl -fsSL -o "$tarball" "http://deb.debian.org/debian/pool/main/p/protobuf/protobuf_$version.orig.tar.gz"
  tar -xzf "$tarball" -C "$work"
  src="$work/protobuf-$version"
  mkdir -p "$src/out" "$src/obj"
  protoc -I"$src/src" -I"$src/conformance" --cpp_out="$src/out" \
    "$src/conformance/conformance.proto" \
    "$src/src/google/protobuf/test_messages_proto2.proto" "$src/src/google/protobuf/test_messages_proto3.proto"
  echo "building the conformance runner (about a minute)..."
  pids=()
  for f in conformance/conformance_test_runner.cc conformance/conformance_test.cc \
    conformance/conformance_test_main.cc conformance/binary_json_conformance_suite.cc \
    conformance/text_format_conformance_suite.cc conformance/third_party/jsoncpp/jsoncpp.cpp \
    out/conformance.pb.cc out/google/protobuf/test_messages_proto2.pb.cc out/google/protobuf/test_messages_proto3.pb.cc; do
    g++ -O1 -std=c++17 -I"$src/out" -I"$src/conformance" -I"$src" -I"$src/src" \
      -c "$src/$f" -o "$src/obj/$(basename "$f").o" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  g++ "$src"/obj/*.o -lprotobuf -lpthread -o "$runner"
fi

swift build -c "$CONFIGURATION" --product conformance-testee
testee="$(swift build -c "$CONFIGURATION" --show-bin-path)/conformance-testee"
cd "$work"
exec ./conformance_test_runner --enforce_recommended \
  --failure_list ../Sources/ConformanceTestee/failure_list.txt "$testee"
