#!/usr/bin/env bash
# Runs the portico and demo-backend images' contents the way a container would, without a
# container engine: debootstraps Debian 12 (minbase) into .build-static/rootfs, runs the
# Dockerfile's runtime-stage RUN lines in it (its pinned packages, its user), copies in what
# its COPY lines copy (from .build-static/image, built by `make image-binaries`), then, as the
# image's numeric user inside the chroot: `portico check` (on the image's default configuration,
# and on a .proto entry compiled by the image's protoc), demo-backend and `portico serve` on
# the image's default configuration, the HEALTHCHECK's `portico probe`, a proxied GET, and a
# SIGTERM drain that must exit 0. Prints the root file system's size.
#
# Needs root (chroot, mounts) and the network to Debian's mirrors (the ones apt is configured
# with here). Uses ports 8080, 9901 and 50051 on loopback.  Usage: scripts/image-smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD/.build-static/rootfs
image=$PWD/.build-static/image
[ -x "$image/usr/local/bin/portico" ] || { echo "run make image-binaries first" >&2; exit 1; }
command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap; }

# The runtime stage's RUN lines, continuation lines joined, ARG defaults substituted.
runtime_runs=$(python3 - <<'PY'
import re
text = open("deploy/docker/Dockerfile").read().replace("\\\n", " ")
args, stage, runs = {}, None, []
for line in text.splitlines():
    line = line.strip()
    if not line or line.startswith("#"): continue
    word, _, rest = line.partition(" ")
    if word == "ARG" and "=" in rest:
        name, _, value = rest.partition("=")
        args[name] = value
    elif word == "FROM":
        stage = rest.split()[-1]
    elif word == "RUN" and stage == "runtime":
        runs.append(re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], rest))
print("\n".join(runs))
PY
)

mounted=()
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT

if [ ! -f "$root/.runtime-stage-done" ]; then
  rm -rf "$root"
  mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Identifier: Packages' | awk '$2 == "bookworm" { print $1; exit }')
  echo "debootstrap bookworm (minbase) from apt's configured mirror"
  debootstrap --variant=minbase bookworm "$root" "$mirror" > "$root.log" 2>&1 || { tail -20 "$root.log"; exit 1; }
  # apt inside sees what apt here sees (security updates included).
  cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/" 2>/dev/null || true
  [ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$root/etc/apt/sources.list"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  while IFS= read -r run; do
    echo "RUN ${run:0:100}..."
    chroot "$root" /bin/sh -c "$run" > "$root.run.log" 2>&1 || { tail -20 "$root.run.log"; exit 1; }
  done <<< "$runtime_runs"
  touch "$root/.runtime-stage-done"
fi
# The COPY lines of the runtime, demo-backend and portico stages.
install -D -m 0755 "$image/usr/local/libexec/swift-backtrace-static" "$root/usr/local/libexec/swift-backtrace-static"
install -D -m 0755 "$image/usr/local/bin/portico" "$root/usr/local/bin/portico"
install -D -m 0755 "$image/usr/local/bin/demo-backend" "$root/usr/local/bin/demo-backend"
install -d -o 10001 -g 10001 "$root/var/lib/demo-backend/files"
install -D -m 0644 deploy/docker/Gateway.yaml "$root/etc/portico/Gateway.yaml"
install -D -m 0644 Protos/demo.binpb "$root/etc/portico/demo.binpb"
# Compose's DNS answers the service name; here it is loopback.
grep -q demo-backend "$root/etc/hosts" 2>/dev/null || echo "127.0.0.1 demo-backend" >> "$root/etc/hosts"
for fs in proc sys dev; do
  mount --bind "/$fs" "$root/$fs"
  mounted+=("$root/$fs")
done

# chroot and env exec what they run: a background job's $! is the process itself.
as_image_user=(chroot --userspec=10001:10001 "$root" env SWIFT_BACKTRACE=enable=yes,swift-backtrace=/usr/local/libexec/swift-backtrace-static)
echo "--- portico check (as 10001)"
"${as_image_user[@]}" /usr/local/bin/portico check --config /etc/portico/Gateway.yaml | head -3
echo "--- portico check on a .proto entry (the image's protoc, the bundled google imports)"
install -D -m 0644 Protos/demo/user/v1/user.proto "$root/tmp/smoke/demo/user/v1/user.proto"
printf 'protos: [demo]\nbackends: { demo: { endpoints: [demo-backend:50051] } }\n' > "$root/tmp/smoke/Gateway.yaml"
chmod -R a+rX "$root/tmp/smoke"
"${as_image_user[@]}" /usr/local/bin/portico check --config /tmp/smoke/Gateway.yaml | grep "/v1/users/{id}"
"${as_image_user[@]}" /usr/local/bin/demo-backend --host 0.0.0.0 --port 50051 --files /var/lib/demo-backend/files > "$root.demo.log" 2>&1 &
pids+=($!)
"${as_image_user[@]}" /usr/local/bin/portico serve --config /etc/portico/Gateway.yaml > "$root.portico.log" 2>&1 &
portico=$!
for _ in $(seq 1 50); do "${as_image_user[@]}" /usr/local/bin/portico probe http://127.0.0.1:9901/readyz > /dev/null 2>&1 && break; sleep 0.2; done
echo "--- HEALTHCHECK: portico probe http://127.0.0.1:9901/readyz"
"${as_image_user[@]}" /usr/local/bin/portico probe http://127.0.0.1:9901/readyz
echo "--- GET /v1/users/1"
answer=$(curl -s localhost:8080/v1/users/1)
echo "$answer"
[ "$answer" = '{"id":1,"name":"Ada Lovelace"}' ] || { echo "unexpected answer" >&2; exit 1; }
echo "--- SIGTERM"
kill -TERM "$portico"
status=0
wait "$portico" || status=$?
echo "portico exited $status"
[ "$status" -eq 0 ] || exit 1
cleanup
pids=()
mounted=()
# What the portico image would hold: without apt's caches and the docs, man pages and locales
# the slim image leaves out, and without demo-backend (the other image).
size=$(cd "$root" && du -sm --exclude=./proc --exclude=./sys --exclude=./dev --exclude=./var/cache/apt \
  --exclude=./var/lib/apt/lists --exclude=./usr/share/doc --exclude=./usr/share/man \
  --exclude=./usr/share/locale --exclude=./usr/local/bin/demo-backend . | cut -f1)
echo "--- the portico image's files: $size MB"
echo "image smoke: OK"
