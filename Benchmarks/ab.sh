#!/usr/bin/env bash
# Interleaved A/B of two portico binaries on one demo-backend: gateway CPU µs per GET
# /v1/users/1 under `wrk -t1 -c50`, the two measured in turn so the machine's drift (±25% between
# runs on a shared VM) hits both alike. Use it to price a change that `make bench`'s separate
# runs cannot resolve (a few µs).
#
#   Benchmarks/ab.sh OLD_PORTICO NEW_PORTICO [EXTRA_YAML_FOR_NEW]
#
# Both serve Gateway.yaml (no admin listener, GetUser without its appid/appkey rule, as make
# bench's GET load); EXTRA_YAML_FOR_NEW is appended to the new one's
# copy (e.g. a `logging:` block). Knobs: ROUNDS (4), DURATION (s per run, 8).
# Build the binaries with scripts/build-release.sh (e.g. at two commits, copying each out).
set -euo pipefail
old=$1 new=$2 extra=${3:-/dev/null}
ROUNDS=${ROUNDS:-4}
DURATION=${DURATION:-8}
cd "$(dirname "$0")/.."
bin=$(bash scripts/build-release.sh demo-backend)
work=$(mktemp -d)
mkdir -p "$work/files"
"$bin/demo-backend" --port 50353 --files "$work/files" > "$work/backend.log" 2>&1 &
be=$!
config() { # <port> <extra yaml>
  sed -e "s/^listen: .*/listen: 127.0.0.1:$1/" -e "s/127.0.0.1:50051/127.0.0.1:50353/" -e "/^admin:/d" \
    -e "s#Protos/demo.binpb#$PWD/Protos/demo.binpb#" -e "s#file: demo/#file: $PWD/demo/#" \
    -e '/selector: demo.user.v1.UserService.\*, requires/d' Gateway.yaml > "$work/gw-$1.yaml"
  cat "$2" >> "$work/gw-$1.yaml"
}
config 8301 /dev/null
config 8302 "$extra"
"$old" serve --config "$work/gw-8301.yaml" --log-level error > /dev/null &
a=$!
"$new" serve --config "$work/gw-8302.yaml" --log-level error > /dev/null &
b=$!
trap 'kill $a $b $be 2>/dev/null; rm -rf "$work"' EXIT
for port in 8301 8302; do
  for _ in $(seq 1 100); do curl -sf -o /dev/null "localhost:$port/v1/users/1" && break; sleep 0.1; done
  wrk -t1 -c50 -d2s "http://127.0.0.1:$port/v1/users/1" > /dev/null
done
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
per_request() { # <pid> <port>: CPU µs per request (clock ticks are 10 ms)
  local t0 t1 n
  t0=$(ticks "$1")
  n=$(wrk -t1 -c50 -d"${DURATION}s" "http://127.0.0.1:$2/v1/users/1" | awk '/requests in/ {print $1}')
  t1=$(ticks "$1")
  awk -v t="$((t1 - t0))" -v n="$n" 'BEGIN { printf "%.1f", t * 10000 / n }'
}
for round in $(seq 1 "$ROUNDS"); do
  x=$(per_request "$a" 8301)
  y=$(per_request "$b" 8302)
  echo "round $round: old $x µs/req, new $y µs/req"
done
