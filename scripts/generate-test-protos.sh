#!/usr/bin/env bash
# Regenerates the TranscodingTests oracle inputs from Tests/TranscodingTests/Protos/:
#   Tests/TranscodingTests/Generated/*.pb.swift       swift-protobuf types (the JSON oracle)
#   Tests/TranscodingTests/Fixtures/test_messages.binpb  descriptor set (protoc --include_imports)
# test_messages_proto{2,3}.proto are protobuf v36.0 conformance messages, copied unchanged (they
# compile with protoc 3.21). Needs protoc; PROTOC_GEN_SWIFT defaults to the prebuilt plugin.
set -euo pipefail
cd "$(dirname "$0")/.."

PROTOC_GEN_SWIFT="${PROTOC_GEN_SWIFT:-/work/plugins/.build/release/protoc-gen-swift}"
dir=Tests/TranscodingTests
protos=(test_messages_proto3.proto test_messages_proto2.proto)

protoc -I "$dir/Protos" -I /usr/include --include_imports \
  --descriptor_set_out="$dir/Fixtures/test_messages.binpb" "${protos[@]}"
echo "wrote $dir/Fixtures/test_messages.binpb"

rm -rf "$dir/Generated" && mkdir -p "$dir/Generated"
protoc -I "$dir/Protos" -I /usr/include \
  --plugin=protoc-gen-swift="$PROTOC_GEN_SWIFT" \
  --swift_out="$dir/Generated" \
  "${protos[@]}"
echo "wrote $dir/Generated"
