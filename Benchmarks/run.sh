#!/usr/bin/env bash
# A focused end-to-end unary benchmark of Portico in front of demo-backend (release builds).
# Reports requests/s, latency percentiles (wrk), and the gateway's CPU time per request
# (user+sys from /proc, the robust figure on a shared 2-core machine) and peak RSS.
#
# Knobs: DURATION (s, default 10), CONNECTIONS (default 64), THREADS (default 1), PATH_UNDER_TEST.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo; $sudo apt-get update -qq; $sudo apt-get install -y -qq wrk; }

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-1}
PATH_UNDER_TEST=${PATH_UNDER_TEST:-/v1/users/1}
BACKEND_PORT=${BACKEND_PORT:-50151}
GATEWAY_PORT=${GATEWAY_PORT:-8180}

source Benchmarks/stack.sh

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

wrk -t1 -c8 -d2s "http://127.0.0.1:$GATEWAY_PORT$PATH_UNDER_TEST" >/dev/null   # warm-up
before=$(ticks "$gw")
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "http://127.0.0.1:$GATEWAY_PORT$PATH_UNDER_TEST" | tee "$work/wrk.txt"
after=$(ticks "$gw")

requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
rss=$(awk '/VmHWM/ {print $2}' "/proc/$gw/status")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/wrk.txt")
python3 - "$before" "$after" "$hz" "$requests" "$rss" "${non2xx:-0}" <<'PY'
import sys
before, after, hz, requests, rss, bad = sys.argv[1:]
cpu_s = (int(after) - int(before)) / int(hz)
n = int(requests)
print(f"\nportico: {n} requests, non-2xx {bad}, gateway CPU {cpu_s:.2f} s "
      f"= {cpu_s / n * 1e6:.1f} µs/request, peak RSS {int(rss) / 1024:.1f} MiB")
PY
