#!/usr/bin/env bash
# Re-pins the Debian packages of deploy/docker/Dockerfile to the versions Debian 12 offers now
# (this machine's apt lists: run `apt-get update` first). Each `"PACKAGE=${ARG}"` in an
# apt-get install names the ARG whose default is its version; that default is rewritten.
# A Debian point or security release removes the versions it replaces from the mirrors, so an
# image build that fails on `apt-get install` wants this script, a rebuild and a commit.
set -euo pipefail
cd "$(dirname "$0")/.."
dockerfile=deploy/docker/Dockerfile
grep -o '"[a-z0-9.+-]*=\${[A-Z0-9_]*}"' "$dockerfile" | tr -d '"${}' | sort -u |
  while IFS='=' read -r package arg; do
    version=$(apt-cache policy "$package" | awk '/Candidate:/ { print $2 }')
    if [ -z "$version" ] || [ "$version" = "(none)" ]; then
      echo "no candidate version for $package (run apt-get update)" >&2
      exit 1
    fi
    sed -i "s|^ARG $arg=.*|ARG $arg=$version|" "$dockerfile"
    echo "$package=$version"
  done
