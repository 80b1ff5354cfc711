#!/usr/bin/env bash
# `make bench`: Portico's micro-benchmarks (Benchmarks/Sources/PorticoBench), then one
# end-to-end table on release builds of demo-backend and Portico (started by stack.sh):
#   - GET /v1/users/1 and POST /v1/echo (~1 KB JSON) with wrk, and the same two calls sent as gRPC
#     straight to demo-backend with h2load (the floor);
#   - one server stream of 1 KiB chunks through GET /v1/files/zeros-<N>:chunks (NDJSON) and
#     GET /v1/files/zeros-<N> (raw bytes) with curl;
#   - RSS while 10^6 GET /v1/users/1 go through; RSS with 10,000 idle keep-alive connections;
#   - the front end's floor: a bare SwiftNIO HTTP/1.1 server answering the same body under the
#     same wrk load (Benchmarks/Sources/NIOFloorServer), and Portico's GET as a multiple of it;
#   - heap allocations per GET, counted by a malloc shim preloaded into a second Portico
#     (Benchmarks/lib/malloc_count.c), so the counting never touches the CPU figures;
#   - the same GET load on a third Portico with the access log on (JSON lines to /dev/null; metrics
#     are always recorded), so the report shows what observability costs per request;
#   - the same GET through the edge policies: with the demo's appid/appkey pair (`getkey`, the
#     shipped Gateway.yaml) and with a JWT (`getjwt`: GetUser requires the demo-idp provider; one
#     token, so every request after the first is a cache hit), each on a Portico of its own, and
#     the same token-carrying GET on a Portico without the rule (`getjwtoff`), so the JWT rule's
#     price is on over off for the same bytes on the wire.
# Each figure is the median of RUNS runs (min–max); gateway CPU is utime+stime of the portico
# process from /proc/PID/stat around each run. The report goes to stdout and to OUT.
#
# Knobs: RUNS (3), DURATION (s per unary run, 10), CONNECTIONS (50), THREADS (wrk/h2load threads,
#        1), STREAM_MB (MiB per stream run, 256), RSS_REQUESTS (1000000; 0 skips that load),
#        RSS_CHUNK (s, longest wrk run between RSS samples, 10), IDLE_CONNECTIONS (10000; 0 skips),
#        MICRO (1; 0 skips the micro-benchmarks),
#        LOADS ("get getbare getobs getkey getjwt getjwtoff echo direct floor allocs ndjson raw rss idle"),
#        OUT (Benchmarks/results/latest.md), BACKEND_PORT (50153), GATEWAY_PORT (8183), FLOOR_PORT (8184),
#        ALLOC_PORT (8185), OBS_PORT (8186), BARE_PORT (8187), KEY_PORT (8188), JWT_PORT (8189),
#        JWT_OFF_PORT (8190).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-50}
THREADS=${THREADS:-1}
STREAM_MB=${STREAM_MB:-256}
RSS_REQUESTS=${RSS_REQUESTS:-1000000}
RSS_CHUNK=${RSS_CHUNK:-10}
IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-10000}
MICRO=${MICRO:-1}
LOADS=${LOADS:-"get getbare getobs getkey getjwt getjwtoff echo direct floor allocs ndjson raw rss idle"}
OUT=${OUT:-Benchmarks/results/latest.md}
BACKEND_PORT=${BACKEND_PORT:-50153}
GATEWAY_PORT=${GATEWAY_PORT:-8183}
FLOOR_PORT=${FLOOR_PORT:-8184}
ALLOC_PORT=${ALLOC_PORT:-8185}
OBS_PORT=${OBS_PORT:-8186}
BARE_PORT=${BARE_PORT:-8187}
KEY_PORT=${KEY_PORT:-8188}
JWT_PORT=${JWT_PORT:-8189}
JWT_OFF_PORT=${JWT_OFF_PORT:-8190}
export DURATION CONNECTIONS THREADS STREAM_MB IDLE_CONNECTIONS
[ "$RSS_REQUESTS" -gt 0 ] || LOADS=${LOADS//rss/}
[ "$IDLE_CONNECTIONS" -gt 0 ] || LOADS=${LOADS//idle/}
wants() { [[ " $LOADS " == *" $1 "* ]]; }

# Load generators (Debian packages), installed when missing.
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v h2load >/dev/null || missing+=(nghttp2-client)
command -v curl >/dev/null || missing+=(curl)
command -v python3 >/dev/null || missing+=(python3)
command -v gcc >/dev/null || missing+=(gcc)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

machine() {
  local dirty=""
  [ -z "$(git status --porcelain -- Sources Package.swift 2>/dev/null)" ] || dirty=" (plus uncommitted changes in Sources/)"
  echo "# Portico benchmarks"
  echo
  echo "| machine | |"
  echo "|---|---|"
  echo "| date | $(date -u '+%Y-%m-%d %H:%M UTC') |"
  echo "| git commit | $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$dirty |"
  echo "| CPU | $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores (load generators, demo-backend and Portico share them) |"
  echo "| RAM | $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) |"
  echo "| kernel | $(uname -r) |"
  echo "| Debian | $(cat /etc/debian_version 2>/dev/null || echo unknown) |"
  echo "| Swift | $(swift --version 2>&1 | head -1) |"
  echo "| tools | $( (wrk -v 2>&1 || true) | head -1 | cut -d' ' -f1-2), $(h2load --version | head -1), curl $(curl --version | head -1 | cut -d' ' -f2) |"
}

# Taken now: the commit is the one built (another commit may land while the loads run).
header=$(machine)

# Micro-benchmarks first, on an idle machine (the stack is not started yet).
micro=""
if [ "$MICRO" = 1 ] || wants direct || wants floor; then
  benchbin=$(bash scripts/build-release.sh --package-path Benchmarks PorticoBench NIOFloorServer)
fi
if [ "$MICRO" = 1 ]; then
  echo "micro-benchmarks (about 1 minute)..." >&2
  micro=$("$benchbin/PorticoBench" | tee /dev/stderr)
fi

# 10,000 connections need as many descriptors in the client (which inherits this shell's soft
# limit); `portico serve` raises its own soft limit to the hard limit.
fd_note=""
if wants idle; then
  want=$((IDLE_CONNECTIONS + 1024))
  hard=$(ulimit -Hn)
  if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then
    echo "warning: the hard descriptor limit ($hard) is below $want" >&2
    want=$hard
  fi
  if [ "$(ulimit -Sn)" != unlimited ] && [ "$(ulimit -Sn)" -lt "$want" ]; then
    fd_note="this script raised the soft descriptor limit from $(ulimit -Sn) to $want for the idle-connection client"
    ulimit -Sn "$want"
  fi
fi

echo "building and starting demo-backend and Portico (release)..." >&2
source Benchmarks/stack.sh
trap 'kill "${floor:-}" "${counted:-}" "${observed:-}" "${bare:-}" "${keyed:-}" "${tokened:-}" "${untokened:-}" 2>/dev/null || true; cleanup' EXIT

hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
record() { local IFS=$'\t'; echo "$*" >> "$work/runs.tsv"; }
fail() { echo "bench: $*" >&2; exit 1; }
: > "$work/runs.tsv"
gateway=http://127.0.0.1:$GATEWAY_PORT
backend=http://127.0.0.1:$BACKEND_PORT
export BODY_FILE=$PWD/Benchmarks/lib/echo-body.json
stream_bytes=$((STREAM_MB * 1048576))
# Portico runs one event loop per core (Gateway.yaml sets no eventLoops) and each loop opens one
# HTTP/2 connection to the backend: the second floor sends the same load in that shape.
loops=$(nproc)

# Every load is checked once before it is timed.
user=$(curl -s -w ' %{http_code}' "$gateway/v1/users/1")
[[ "$user" == '{"id":1,'*'} 200' ]] || fail "GET /v1/users/1 answers $user"
code=$(curl -s -o "$work/echo.json" -w '%{http_code}' -H 'content-type: application/json' --data-binary "@$BODY_FILE" "$gateway/v1/echo")
[ "$code" = 200 ] || fail "POST /v1/echo answers $code: $(cat "$work/echo.json")"
python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' "$BODY_FILE" "$work/echo.json" ||
  fail "POST /v1/echo does not echo the body: $(cat "$work/echo.json")"
[ "$(curl -s -o /dev/null -w '%{size_download}' "$gateway/v1/files/zeros-1048576")" = 1048576 ] || fail "raw download size"
[ "$(curl -s "$gateway/v1/files/zeros-1048576:chunks" | wc -l)" = 1024 ] || fail "NDJSON download: not 1024 lines"
if wants direct; then
  printf '\x00\x00\x00\x00\x02\x08\x01' > "$work/user.grpc"   # UserRequest{id: 1}: field 1, varint 1
  "$benchbin/PorticoBench" grpc-body demo.echo.v1.Everything "$BODY_FILE" > "$work/echo.grpc"
  for call in user.v1.UserService/GetUser:user echo.v1.EchoService/Echo:echo; do
    curl -s --http2-prior-knowledge -H 'content-type: application/grpc' -H 'te: trailers' --data-binary "@$work/${call#*:}.grpc" \
      -D "$work/direct.headers" -o /dev/null "$backend/demo.${call%:*}"
    grep -qi '^grpc-status: 0' "$work/direct.headers" || fail "$call straight to the backend: $(cat "$work/direct.headers")"
  done
fi

wrk_run() { # <load> <run> <path> [wrk options]
  local load=$1 run=$2 path=$3; shift 3
  wrk_run_on "$gw" "$gateway" "$load" "$run" "$path" "$@"
}

wrk_run_on() { # <pid> <base URL> <load> <run> <path> [wrk options]: wrk against one Portico
  local pid=$1 base=$2 load=$3 run=$4 path=$5 before after; shift 5
  before=$(ticks "$pid")
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" "$base$path" > "$work/$load-$run.txt"
  after=$(ticks "$pid")
  record "$load" "$run" wrk "$work/$load-$run.txt" $((after - before)) "$(rss_kib "$pid")"
}

observed_start() { # a third Portico with the access log on (JSON to /dev/null)
  { sed -e "s/^listen: .*/listen: 127.0.0.1:$OBS_PORT/" "$work/Gateway.yaml"
    printf 'logging:\n  access: true\n  format: json\n'; } > "$work/Gateway-obs.yaml"
  "$bin/portico" serve --config "$work/Gateway-obs.yaml" --log-level error > /dev/null &
  observed=$!
  for _ in $(seq 1 100); do curl -sf -o /dev/null "localhost:$OBS_PORT/v1/users/1" && break; sleep 0.1; done
  curl -sf -o /dev/null -D "$work/obs.headers" "localhost:$OBS_PORT/v1/users/1" || fail "the access-log Portico does not answer"
  grep -qi '^x-request-id:' "$work/obs.headers" || fail "the access-log Portico does not log (no X-Request-Id)"
  wrk -t1 -c8 -d2s "http://127.0.0.1:$OBS_PORT/v1/users/1" > /dev/null
}

bare_start() { # a fourth Portico with metrics and the access log off
  { sed -e "s/^listen: .*/listen: 127.0.0.1:$BARE_PORT/" "$work/Gateway.yaml"
    printf 'metrics:\n  enabled: false\n'; } > "$work/Gateway-bare.yaml"
  "$bin/portico" serve --config "$work/Gateway-bare.yaml" --log-level error > /dev/null &
  bare=$!
  for _ in $(seq 1 100); do curl -sf -o /dev/null "localhost:$BARE_PORT/v1/users/1" && break; sleep 0.1; done
  curl -sf -o /dev/null "localhost:$BARE_PORT/v1/users/1" || fail "the metrics-off Portico does not answer"
  wrk -t1 -c8 -d2s "http://127.0.0.1:$BARE_PORT/v1/users/1" > /dev/null
}

policy_start() { # <pid variable> <port> <sed expression> <curl header>...: a Portico on the shipped
                 # auth rules, edited by the expression; waits until GET /v1/users/1 with the headers answers
  local name=$1 port=$2 edit=$3 pid; shift 3
  local headers=()
  local header
  for header in "$@"; do headers+=(-H "$header"); done
  sed -e "s/^listen: .*/listen: 127.0.0.1:$port/" -e "$edit" "$work/Gateway-shipped.yaml" > "$work/Gateway-$port.yaml"
  "$bin/portico" serve --config "$work/Gateway-$port.yaml" --log-level error > /dev/null &
  pid=$!
  for _ in $(seq 1 100); do curl -sf -o /dev/null "${headers[@]}" "localhost:$port/v1/users/1" && break; sleep 0.1; done
  [ "$(curl -s -o /dev/null -w '%{http_code}' "localhost:$port/v1/users/1")" = 401 ] || fail "port $port: GET without credentials is not refused"
  curl -sf -o /dev/null "${headers[@]}" "localhost:$port/v1/users/1" || fail "port $port: GET with credentials fails"
  printf -v "$name" '%s' "$pid"
}

h2load_run() { # <load> <run> <gRPC method path> <request body file> <connections> <streams per connection>
  local load=$1 run=$2 path=$3 body=$4 clients=$5 streams=$6 before after
  before=$(ticks "$be")
  h2load -t"$THREADS" -c"$clients" -m"$streams" -D"$DURATION" -d "$body" -H 'content-type: application/grpc' -H 'te: trailers' \
    --log-file="$work/$load-$run.log" "$backend$path" > "$work/$load-$run.txt"
  after=$(ticks "$be")
  record "$load" "$run" h2load "$work/$load-$run.txt" $((after - before)) "$(rss_kib "$be")" "$work/$load-$run.log" "-c$clients -m$streams"
}

stream_run() { # <load> <run> <path>
  local load=$1 run=$2 path=$3 before after
  before=$(ticks "$gw")
  curl -s -o /dev/null -w '%{http_code} %{size_download} %{time_total}\n' "$gateway$path" > "$work/$load-$run.txt"
  after=$(ticks "$gw")
  record "$load" "$run" curl "$work/$load-$run.txt" $((after - before)) "$(rss_kib "$gw")" "$stream_bytes"
}

rss_load() { # RSS_REQUESTS × GET /v1/users/1, sampling RSS after each wrk run (at most RSS_CHUNK s,
             # shortened so that samples land on the half-way mark and the end).
  local total=0 i=0 n before after rate=0 goal seconds
  record rss 0 wrk - 0 "$(rss_kib "$gw")" 0
  for goal in $((RSS_REQUESTS / 2)) "$RSS_REQUESTS"; do
    while [ "$total" -lt "$goal" ]; do
      seconds=$RSS_CHUNK
      if [ "$rate" -gt 0 ]; then seconds=$(( ((goal - total) * 21 / 20 + rate - 1) / rate )); fi   # 5% margin
      if [ "$seconds" -gt "$RSS_CHUNK" ]; then seconds=$RSS_CHUNK; fi
      if [ "$seconds" -lt 1 ]; then seconds=1; fi
      i=$((i + 1))
      before=$(ticks "$gw")
      wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --latency "$gateway/v1/users/1" > "$work/rss-$i.txt"
      after=$(ticks "$gw")
      n=$(awk '/requests in/ {print $1}' "$work/rss-$i.txt")
      total=$((total + n))
      rate=$((n / seconds))
      record rss "$i" wrk "$work/rss-$i.txt" $((after - before)) "$(rss_kib "$gw")" "$total"
      echo "  RSS load: $total requests, RSS $(rss_kib "$gw") KiB" >&2
    done
  done
}

idle_run() { # <run>: IDLE_CONNECTIONS connections that each answered a GET, then a curl meanwhile
  local run=$1 out="$work/idle-$1.txt" pid code fds rss
  python3 Benchmarks/lib/idle_connections.py 127.0.0.1 "$GATEWAY_PORT" "$IDLE_CONNECTIONS" > "$out" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null && ! grep -q '^ready' "$out"; do sleep 0.2; done
  grep -q '^ready' "$out" || { kill "$pid" 2>/dev/null; fail "idle connections: $(cat "$out")"; }
  sleep 1
  rss=$(rss_kib "$gw")
  fds=$(ls "/proc/$gw/fd" | wc -l)
  code=$(curl -s -o /dev/null -w '%{http_code} in %{time_total} s' --max-time 10 "$gateway/v1/users/1" || true)
  kill -TERM "$pid"
  wait "$pid" || fail "idle connections: $(cat "$out")"
  # Wait until Portico has closed them all before the next run.
  for _ in $(seq 1 100); do [ "$(ls "/proc/$gw/fd" | wc -l)" -lt $((fds - IDLE_CONNECTIONS + 100)) ] && break; sleep 0.1; done
  sleep 1
  record idle "$run" idle "$out" - "$rss" "$code" "$fds" "$(rss_kib "$gw")"
}

floor_run() { # <run>: the same wrk load on the bare NIO server
  local run=$1 before after
  before=$(ticks "$floor")
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "http://127.0.0.1:$FLOOR_PORT/v1/users/1" > "$work/floor-$run.txt"
  after=$(ticks "$floor")
  record floor "$run" wrk "$work/floor-$run.txt" $((after - before)) "$(rss_kib "$floor")"
}

alloc_count() { cat "$work/malloc.count" 2>/dev/null || echo "0 0"; }

allocs_load() { # GET /v1/users/1 on a second Portico that counts its heap allocations
  gcc -O2 -shared -fPIC -o "$work/libmalloccount.so" Benchmarks/lib/malloc_count.c -lpthread
  sed -e "s/^listen: .*/listen: 127.0.0.1:$ALLOC_PORT/" "$work/Gateway.yaml" > "$work/Gateway-allocs.yaml"
  MALLOC_COUNT_FILE="$work/malloc.count" LD_PRELOAD="$work/libmalloccount.so" \
    "$bin/portico" serve --config "$work/Gateway-allocs.yaml" --log-level error &
  counted=$!
  for _ in $(seq 1 100); do curl -sf -o /dev/null "localhost:$ALLOC_PORT/v1/users/1" && break; sleep 0.1; done
  wrk -t1 -c"$CONNECTIONS" -d2s "http://127.0.0.1:$ALLOC_PORT/v1/users/1" > /dev/null
  sleep 0.2
  local before after
  before=$(alloc_count)
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" "http://127.0.0.1:$ALLOC_PORT/v1/users/1" > "$work/allocs.txt"
  sleep 0.2
  after=$(alloc_count)
  kill "$counted"
  wait "$counted" 2>/dev/null || true
  record allocs 1 wrk "$work/allocs.txt" "$before" "$after"
}

echo "warming up..." >&2
wrk -t1 -c8 -d2s "$gateway/v1/users/1" > /dev/null
wrk -t1 -c8 -d2s -s Benchmarks/lib/post-json.lua "$gateway/v1/echo" > /dev/null
if wants direct; then
  h2load -c8 -m1 -D2 -d "$work/user.grpc" -H 'content-type: application/grpc' -H 'te: trailers' "$backend/demo.user.v1.UserService/GetUser" > /dev/null
fi

if wants floor; then
  "$benchbin/NIOFloorServer" "$FLOOR_PORT" > "$work/floor.log" 2>&1 &
  floor=$!
  for _ in $(seq 1 100); do curl -sf -o /dev/null "localhost:$FLOOR_PORT/" && break; sleep 0.1; done
  wrk -t1 -c8 -d2s "http://127.0.0.1:$FLOOR_PORT/" > /dev/null
fi
if wants getobs; then observed_start; fi
if wants getbare; then bare_start; fi
key_headers=("appid: itxs" "appkey: 11223344")
if wants getkey; then
  policy_start keyed "$KEY_PORT" 's/^x//' "${key_headers[@]}"
  wrk -t1 -c8 -d2s -H "${key_headers[0]}" -H "${key_headers[1]}" "http://127.0.0.1:$KEY_PORT/v1/users/1" > /dev/null
fi
# A token valid for a day: the load never reaches its expiry.
jwt_header="Authorization: Bearer $(bash scripts/demo-jwt.sh token bench 86400)"
if wants getjwt; then
  policy_start tokened "$JWT_PORT" 's/requires: \[appkeys\] }/requires: [demo-idp] }/' "$jwt_header"
  wrk -t1 -c8 -d2s -H "$jwt_header" "http://127.0.0.1:$JWT_PORT/v1/users/1" > /dev/null
fi
if wants getjwtoff; then
  { sed -e "s/^listen: .*/listen: 127.0.0.1:$JWT_OFF_PORT/" "$work/Gateway.yaml"; } > "$work/Gateway-jwtoff.yaml"
  "$bin/portico" serve --config "$work/Gateway-jwtoff.yaml" --log-level error > /dev/null &
  untokened=$!
  for _ in $(seq 1 100); do curl -sf -o /dev/null "localhost:$JWT_OFF_PORT/v1/users/1" && break; sleep 0.1; done
  curl -sf -o /dev/null -H "$jwt_header" "localhost:$JWT_OFF_PORT/v1/users/1" || fail "the JWT-off Portico does not answer"
  wrk -t1 -c8 -d2s -H "$jwt_header" "http://127.0.0.1:$JWT_OFF_PORT/v1/users/1" > /dev/null
fi
if wants allocs; then
  echo "allocations per GET..." >&2
  allocs_load
fi
if wants rss; then
  echo "RSS load: $RSS_REQUESTS requests..." >&2
  rss_load
fi
# The runs of the other loads are interleaved, so that a slow spell of the shared machine does
# not land on all runs of one load.
for run in $(seq 1 "$RUNS"); do
  echo "run $run of $RUNS..." >&2
  if wants get; then wrk_run get "$run" /v1/users/1; fi
  if wants getbare; then wrk_run_on "$bare" "http://127.0.0.1:$BARE_PORT" getbare "$run" /v1/users/1; fi
  if wants getobs; then wrk_run_on "$observed" "http://127.0.0.1:$OBS_PORT" getobs "$run" /v1/users/1; fi
  if wants getkey; then
    wrk_run_on "$keyed" "http://127.0.0.1:$KEY_PORT" getkey "$run" /v1/users/1 -H "${key_headers[0]}" -H "${key_headers[1]}"
  fi
  if wants getjwt; then wrk_run_on "$tokened" "http://127.0.0.1:$JWT_PORT" getjwt "$run" /v1/users/1 -H "$jwt_header"; fi
  if wants getjwtoff; then
    wrk_run_on "$untokened" "http://127.0.0.1:$JWT_OFF_PORT" getjwtoff "$run" /v1/users/1 -H "$jwt_header"
  fi
  if wants floor; then floor_run "$run"; fi
  if wants echo; then wrk_run echo "$run" /v1/echo -s Benchmarks/lib/post-json.lua; fi
  if wants direct; then
    h2load_run direct-get "$run" /demo.user.v1.UserService/GetUser "$work/user.grpc" "$CONNECTIONS" 1
    h2load_run direct-get-mux "$run" /demo.user.v1.UserService/GetUser "$work/user.grpc" "$loops" $((CONNECTIONS / loops))
    h2load_run direct-echo "$run" /demo.echo.v1.EchoService/Echo "$work/echo.grpc" "$CONNECTIONS" 1
    h2load_run direct-echo-mux "$run" /demo.echo.v1.EchoService/Echo "$work/echo.grpc" "$loops" $((CONNECTIONS / loops))
  fi
  if wants ndjson; then stream_run ndjson "$run" "/v1/files/zeros-$stream_bytes:chunks"; fi
  if wants raw; then stream_run raw "$run" "/v1/files/zeros-$stream_bytes"; fi
done
# Last: the memory these connections took is not given back to the system when they close, and
# would show in the RSS column of every load run after them.
if wants idle; then
  for run in $(seq 1 "$RUNS"); do
    echo "idle connections, run $run of $RUNS..." >&2
    idle_run "$run"
  done
fi

report=$(python3 Benchmarks/lib/report.py "$work/runs.tsv" "$hz")
command_line="make bench"
[ -z "${MAKELEVEL:-}" ] && command_line="bash Benchmarks/bench.sh"
settings="RUNS=$RUNS DURATION=$DURATION CONNECTIONS=$CONNECTIONS THREADS=$THREADS STREAM_MB=$STREAM_MB RSS_REQUESTS=$RSS_REQUESTS IDLE_CONNECTIONS=$IDLE_CONNECTIONS"
{
  echo "$header"
  echo
  if [ -n "$micro" ]; then
    echo "## Micro-benchmarks"
    echo
    echo "$micro"
    echo
  fi
  echo "## End to end"
  echo
  echo "\`$command_line\` with $settings."
  echo
  echo "- Each figure: median of $RUNS runs (min–max). The runs of the loads are interleaved; the RSS load"
  echo "  is one run, before the others; the idle-connection runs come last."
  echo "- Gateway CPU: utime+stime of the portico process (/proc/PID/stat) over the run, divided by the"
  echo "  requests or by the 1 KiB chunks. RSS: the process's VmRSS after the run."
  echo "- NIO floor: Benchmarks/Sources/NIOFloorServer, a bare SwiftNIO HTTP/1.1 server (one event loop per core)"
  echo "  answering every request with GET /v1/users/1's body, under the same wrk load as the GET row: what the"
  echo "  HTTP/1.1 front end alone costs. Allocations: a second Portico with Benchmarks/lib/malloc_count.c"
  echo "  preloaded (malloc, calloc, aligned allocations; reallocations counted apart), one run of the GET load."
  echo "- Floor rows: the same gRPC call sent straight to demo-backend by h2load with $CONNECTIONS calls in flight,"
  echo "  in two shapes: \`-c$CONNECTIONS -m1\` ($CONNECTIONS HTTP/2 connections with one stream each, like wrk's $CONNECTIONS"
  echo "  keep-alive connections) and \`-c$loops -m$((CONNECTIONS / loops))\` (what demo-backend sees behind Portico: one connection"
  echo "  per event loop, $loops loops). Latency from h2load's per-request log; CPU and RSS are demo-backend's."
  echo "- Streams: one \`curl\` download of $STREAM_MB MiB of \`zeros-<N>\` per run; MB/s is payload (10⁶ bytes)"
  echo "  per second (NDJSON carries it base64-encoded, about 1.37× on the wire)."
  echo "- Errors: socket errors and non-2xx responses (wrk), failed requests (h2load), a non-200 or"
  echo "  short download (curl), unanswered idle connections or a failed curl beside them."
  [ -z "$fd_note" ] || echo "- Descriptors: $fd_note."
  echo
  echo "$report"
} > "$work/report.md"
mkdir -p "$(dirname "$OUT")"
cp "$work/report.md" "$OUT"
echo
sed -n '/^## End to end/,$p' "$work/report.md"
echo
echo "(written to $OUT)"
