#!/usr/bin/env bash
# Builds what Portico's container images hold, into DEST laid out as the image's root:
#   DEST/usr/local/bin/{portico,demo-backend}          release binaries (scripts/build-release.sh)
#                                                      with --static-swift-stdlib, debug info
#                                                      stripped (symbols kept for backtraces)
#   DEST/usr/local/libexec/swift-backtrace-static      the toolchain's static crash backtracer
#   DEST/var/lib/demo-backend/files                    demo-backend's (empty) file folder
# deploy/docker/Dockerfile runs it in its build stage; `make test` runs it into
# .build-static/image to check what the image's runtime stage must install and how big it is.
#
# Usage: scripts/build-image-binaries.sh DEST [--scratch-path DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dest=$1
shift
bin=$(bash scripts/build-release.sh "$@" --static-swift-stdlib portico demo-backend)
toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")
for product in portico demo-backend; do
  install -D -m 0755 "$bin/$product" "$dest/usr/local/bin/$product"
  # DWARF is two thirds of the size; the symbol table stays, so crash reports name functions.
  objcopy --strip-debug "$dest/usr/local/bin/$product"
done
install -D -m 0755 "$toolchain/libexec/swift/linux/swift-backtrace-static" \
  "$dest/usr/local/libexec/swift-backtrace-static"
install -d "$dest/var/lib/demo-backend/files"
