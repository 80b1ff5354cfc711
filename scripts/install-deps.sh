#!/usr/bin/env bash
# Installs the system packages Portico builds against, when missing (Debian/Ubuntu), and protoc
# (protobuf-compiler: it compiles .proto entries of protos:; libprotobuf-dev: the well-known
# .proto files `make protos` and the tests compile against), and chromium (the CORS browser test
# loads demo/cors-demo.html in headless Chromium), and iproute2 (the chaos tests: ip netns, veth).
set -euo pipefail
packages=(libnghttp2-dev libjansson-dev zlib1g-dev pkg-config curl openssl ca-certificates protobuf-compiler libprotobuf-dev chromium iproute2)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# The metrics tests parse the exposition with Prometheus' own Python parser.
python3 -c 'import prometheus_client' 2>/dev/null \
  || python3 -m pip install --quiet prometheus-client 2>/dev/null \
  || missing+=(python3-prometheus-client)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
