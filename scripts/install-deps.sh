#!/usr/bin/env bash
# Installs the system packages Portico builds against, when missing (Debian/Ubuntu).
set -euo pipefail
packages=(libnghttp2-dev libjansson-dev zlib1g-dev pkg-config curl openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
