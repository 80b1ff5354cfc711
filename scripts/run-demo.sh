#!/usr/bin/env bash
# Starts demo-backend on :50051 and Portico on Gateway.yaml at :8080; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(swift build --show-bin-path)
mkdir -p demo-files

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stopped demo-backend and portico"
}
trap cleanup INT TERM EXIT

"$bin/demo-backend" --port 50051 --files demo-files &
pids+=($!)
"$bin/portico" check --config Gateway.yaml >/dev/null
"$bin/portico" serve --config Gateway.yaml &
pids+=($!)

for _ in $(seq 1 50); do
  curl -s -o /dev/null localhost:8080/ 2>/dev/null && break
  sleep 0.2
done

cat <<'TXT'

Portico is listening on http://localhost:8080 (demo-backend on :50051). Try:

  curl -s localhost:8080/v1/users/1
  curl -s localhost:8080/v1/users/9                       # 404 {"code":5,...}
  curl -s -H 'appid: itxs' -H 'appkey: 11223344' localhost:8080/v1/users/2
  curl -s -H 'appid: itxs' -H 'appkey: wrong' localhost:8080/v1/users/2   # 401
  curl -s -X POST localhost:8080/v1/echo -d '{"fInt64":"42","color":"RED","tags":["a","b"]}'
  curl -s 'localhost:8080/v1/echo?fString=hi&numbers=1&numbers=2&nested.label=x'
  curl -sN localhost:8080/v1/files/hello.txt:chunks         # server streaming, NDJSON
  curl -s -o out.bin localhost:8080/v1/files/sample.bin      # raw download
  curl -s -T out.bin localhost:8080/v1/files/copy.bin        # raw upload (client streaming)
  curl -sN -T - -X POST localhost:8080/v1/chat               # bidi chat: type {"message":"hi"}
  python3 -m websockets ws://localhost:8080/v1/chat          # chat over WebSocket (pip install websockets)
  curl -s localhost:9901/readyz                              # admin: readiness (also /healthz, /metrics, /routes)
  curl -s localhost:9901/openapi.json                        # the OpenAPI 3.1 document of these routes

Press Ctrl-C to stop both.
TXT
wait -n "${pids[@]}"
