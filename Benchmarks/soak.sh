#!/usr/bin/env bash
# `make soak`: an endurance run of release builds of demo-backend and Portico under a moderate,
# mixed load, with demo-backend killed and restarted on a schedule. Portico runs on its own copy
# of Gateway.yaml (ports below, admin listener on, the demo's auth rules kept). The driver,
# Benchmarks/lib/soak_driver.py (asyncio + websockets), sends about SOAK_RATE requests a second:
#   unary GET (with the appid/appkey pair, and without: 401), GET with a JWT, POST /v1/echo;
#   server streams (NDJSON, SSE, raw with TE: trailers, fail-after-2's error element); uploads
#   (NDJSON messages and raw bytes); chats over chunked HTTP and over WebSocket; malformed requests
#   (bad JSON, four kinds of bad HTTP/1.1, a body over maxRequestBodyBytes, a 96 KiB header);
#   clients that vanish mid-request, mid-upload, mid-stream and mid-chat (FIN or RST); and
#   long-lived clients: slow readers, 60 s WebSocket chats, stalled bodies that must get 408.
# demo-backend is stopped every SOAK_RESTART_MINUTES (SIGKILL and SIGTERM in turn), left down for
# SOAK_DOWN_SECONDS and started again. Portico and demo-backend run at nice 0, the driver at nice
# 10 (a starved demo-backend misses Portico's 2 s upstream connect timeout). Every 10 s the driver
# records Portico's RSS, descriptors, threads and CPU (/proc), active requests and connections
# (/metrics), /readyz, and the outcomes of the requests that ended. Benchmarks/lib/soak_report.py then judges the run and writes
# SOAK_OUT (markdown) and SOAK_PLOT (RSS and descriptors over time, restarts marked); it exits
# non-zero when a verdict fails.
#
# Knobs: SOAK_MINUTES (30), SOAK_RESTART_MINUTES (2), SOAK_DOWN_SECONDS (5), SOAK_RATE (100
#        requests/s), SOAK_WARMUP_MINUTES (samples before it are left out of the slopes; by default
#        a minute after the third restart, and at least 5: 7 minutes),
#        SOAK_OUT (Benchmarks/results/soak.md), SOAK_PLOT (Benchmarks/results/soak.png),
#        SOAK_PORT (18190), SOAK_ADMIN_PORT (19990), SOAK_BACKEND_PORT (20190, below the ephemeral port range: a
#        restarted backend must be able to bind it again while the driver holds thousands of connections),
#        SOAK_KEEP (a folder to keep the raw results in: soak.json, the logs), SOAK_LOG_LEVEL (Portico's,
#        warning).
set -euo pipefail
cd "$(dirname "$0")/.."

SOAK_MINUTES=${SOAK_MINUTES:-30}
SOAK_RESTART_MINUTES=${SOAK_RESTART_MINUTES:-2}
SOAK_DOWN_SECONDS=${SOAK_DOWN_SECONDS:-5}
SOAK_RATE=${SOAK_RATE:-100}
# Through the third restart (RSS reaches its high-water mark at the first outages), at least 5.
SOAK_WARMUP_MINUTES=${SOAK_WARMUP_MINUTES:-$(awk -v r="$SOAK_RESTART_MINUTES" 'BEGIN { w = 3 * r + 1; print (w < 5 ? 5 : w) }')}
SOAK_OUT=${SOAK_OUT:-Benchmarks/results/soak.md}
SOAK_PLOT=${SOAK_PLOT:-Benchmarks/results/soak.png}
SOAK_PORT=${SOAK_PORT:-18190}
SOAK_ADMIN_PORT=${SOAK_ADMIN_PORT:-19990}
SOAK_BACKEND_PORT=${SOAK_BACKEND_PORT:-20190}
SOAK_KEEP=${SOAK_KEEP:-}
SOAK_LOG_LEVEL=${SOAK_LOG_LEVEL:-warning}
python=.venv-tools/bin/python
"$python" -c 'import websockets, matplotlib' 2>/dev/null || { echo "soak: run make test-tools first ($python lacks websockets or matplotlib)" >&2; exit 1; }

for port in "$SOAK_PORT" "$SOAK_ADMIN_PORT" "$SOAK_BACKEND_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "soak: port $port is already in use; set SOAK_PORT / SOAK_ADMIN_PORT / SOAK_BACKEND_PORT" >&2
    exit 1
  fi
done

work=$(mktemp -d)
cleanup() {
  for f in "$work/portico.pid" "$work/backend.pid"; do
    [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true
  done
  if [ -n "$SOAK_KEEP" ]; then mkdir -p "$SOAK_KEEP" && cp "$work"/*.json "$work"/*.log "$SOAK_KEEP"/ 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "soak: building release binaries..." >&2
bin=$(nice -n 19 bash scripts/build-release.sh portico demo-backend)

sed -e "s/^listen: .*/listen: 127.0.0.1:$SOAK_PORT/" -e "s/127.0.0.1:50051/127.0.0.1:$SOAK_BACKEND_PORT/" \
  -e "s/^admin: .*/admin: { listen: 127.0.0.1:$SOAK_ADMIN_PORT }/" \
  -e "s#Protos/demo.binpb#$PWD/Protos/demo.binpb#" -e "s#file: demo/#file: $PWD/demo/#" \
  Gateway.yaml > "$work/Gateway.yaml"
grep -q "^admin: { listen: 127.0.0.1:$SOAK_ADMIN_PORT }" "$work/Gateway.yaml" || { echo "soak: Gateway.yaml has no one-line admin: entry to rewrite" >&2; exit 1; }
"$bin/portico" check --config "$work/Gateway.yaml" > /dev/null

echo "soak: $SOAK_MINUTES minutes at ~$SOAK_RATE requests/s, demo-backend restarted every $SOAK_RESTART_MINUTES minutes..." >&2
# A token valid for a day: the run never reaches its expiry.
token=$(bash scripts/demo-jwt.sh token soak 86400)
commit=$(git rev-parse --short HEAD)
dirty=""
[ -z "$(git status --porcelain -- Sources Package.swift 2>/dev/null)" ] || dirty=" (plus uncommitted changes in Sources/)"
nice -n 10 "$python" Benchmarks/lib/soak_driver.py --portico "$bin/portico" --backend "$bin/demo-backend" \
  --config "$work/Gateway.yaml" --work "$work" --port "$SOAK_PORT" --admin-port "$SOAK_ADMIN_PORT" \
  --backend-port "$SOAK_BACKEND_PORT" --jwt "$token" --echo-body Benchmarks/lib/echo-body.json \
  --minutes "$SOAK_MINUTES" --restart-minutes "$SOAK_RESTART_MINUTES" --down-seconds "$SOAK_DOWN_SECONDS" \
  --rate "$SOAK_RATE" --log-level "$SOAK_LOG_LEVEL"

command_line="make soak"
[ -z "${MAKELEVEL:-}" ] && command_line="bash Benchmarks/soak.sh"
mkdir -p "$(dirname "$SOAK_OUT")" "$(dirname "$SOAK_PLOT")"
"$python" Benchmarks/lib/soak_report.py "$work/soak.json" --out "$SOAK_OUT" --plot "$SOAK_PLOT" \
  --warmup-minutes "$SOAK_WARMUP_MINUTES" --command "$command_line SOAK_MINUTES=$SOAK_MINUTES" \
  --commit "$commit$dirty" --portico-log "$work/portico.log"
