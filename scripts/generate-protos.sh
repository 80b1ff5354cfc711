#!/usr/bin/env bash
# Regenerates everything derived from Protos/:
#   Protos/demo.binpb                        descriptor set Portico loads (protoc --include_imports)
#   Sources/DemoServices/Generated/*.swift   swift-protobuf messages + grpc-swift-2 stubs for demo-backend
# Needs protoc (apt: protobuf-compiler). The Swift plugins are built from the pinned packages on
# first use into .build-plugins/ (several minutes); set PROTOC_GEN_SWIFT / PROTOC_GEN_GRPC_SWIFT to
# reuse binaries you already have.
set -euo pipefail
cd "$(dirname "$0")/.."

demo_protos=(
  demo/user/v1/user.proto
  demo/file/v1/file.proto
  demo/upfile/v1/upfile.proto
  demo/chat/v1/chat.proto
  demo/echo/v1/echo.proto
)

# Descriptor set: the demo services plus google/rpc types used in error bodies.
protoc -I Protos -I /usr/include --include_imports \
  --descriptor_set_out=Protos/demo.binpb \
  "${demo_protos[@]}" google/rpc/status.proto google/rpc/error_details.proto google/rpc/code.proto \
  google/api/httpbody.proto
echo "wrote Protos/demo.binpb"

[ "${1:-}" = "--descriptors-only" ] && exit 0

plugins=.build-plugins
if [ -z "${PROTOC_GEN_SWIFT:-}" ] || [ -z "${PROTOC_GEN_GRPC_SWIFT:-}" ]; then
  mkdir -p "$plugins/pkg/Dummy"
  cat > "$plugins/pkg/Package.swift" <<'PKG'
// swift-tools-version:6.1
import PackageDescription
let package = Package(
  name: "plugins",
  dependencies: [
    .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
    .package(url: "https://github.com/grpc/grpc-swift-protobuf", exact: "2.4.1"),
  ],
  targets: [.target(name: "Dummy", path: "Dummy")]
)
PKG
  echo "" > "$plugins/pkg/Dummy/Dummy.swift"
  (cd "$plugins/pkg" && swift build -c release --product protoc-gen-swift && swift build -c release --product protoc-gen-grpc-swift-2)
  bin=$(cd "$plugins/pkg" && swift build -c release --show-bin-path)
  PROTOC_GEN_SWIFT="$bin/protoc-gen-swift"
  PROTOC_GEN_GRPC_SWIFT="$bin/protoc-gen-grpc-swift-2"
fi

# Only the demo protos: their generated code never references google.api types, and leaving
# those out keeps DemoServices from exporting a second copy of the HttpRule messages.
# UseAccessLevelOnImports: the package builds with InternalImportsByDefault, so the public
# generated types need `public import SwiftProtobuf/GRPCCore`.
out=Sources/DemoServices/Generated
rm -rf "$out" && mkdir -p "$out"
protoc -I Protos -I /usr/include \
  --plugin=protoc-gen-swift="$PROTOC_GEN_SWIFT" \
  --plugin=protoc-gen-grpc-swift="$PROTOC_GEN_GRPC_SWIFT" \
  --swift_out="$out" --swift_opt=Visibility=Public,FileNaming=PathToUnderscores,UseAccessLevelOnImports=true \
  --grpc-swift_out="$out" \
  --grpc-swift_opt=Visibility=Public,FileNaming=PathToUnderscores,Client=true,Server=true,UseAccessLevelOnImports=true \
  "${demo_protos[@]}"
echo "wrote $out"
