#!/usr/bin/env bash
# Streaming benchmark (release builds): download and upload SIZE_MB through Portico with curl,
# at full speed and throttled (--limit-rate), in raw and NDJSON modes. For each case it prints
# throughput (MB/s, 1 MB = 10^6 bytes) and the gateway's peak RSS above its idle RSS (VmHWM is
# reset before every case through /proc/PID/clear_refs).
#
# Knobs: SIZE_MB (default 1024), THROTTLED_SIZE_MB (default SIZE_MB), RATE (default 1M),
#        CASES (default "download-raw download-ndjson upload-raw download-raw-throttled
#        download-ndjson-throttled upload-raw-throttled").
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE_MB=${SIZE_MB:-1024}
THROTTLED_SIZE_MB=${THROTTLED_SIZE_MB:-$SIZE_MB}
RATE=${RATE:-1M}
CASES=${CASES:-"download-raw download-ndjson upload-raw download-raw-throttled download-ndjson-throttled upload-raw-throttled"}
BACKEND_PORT=${BACKEND_PORT:-50152}
GATEWAY_PORT=${GATEWAY_PORT:-8182}

source Benchmarks/stack.sh

rss_kib() { awk "/$1/ {print \$2}" "/proc/$gw/status"; }

run_case() {
  local name=$1 size_mb=$2; shift 2
  local bytes=$((size_mb * 1024 * 1024))
  echo 5 > "/proc/$gw/clear_refs"
  local idle; idle=$(rss_kib VmRSS)
  local start end
  start=$(date +%s.%N)
  "$@" > "$work/curl.out"
  end=$(date +%s.%N)
  local peak; peak=$(rss_kib VmHWM)
  python3 - "$name" "$bytes" "$start" "$end" "$idle" "$peak" "$(cat "$work/curl.out")" <<'PY'
import sys
name, size, start, end, idle, peak, transferred = sys.argv[1:]
seconds = float(end) - float(start)
payload = int(size)
print(f"{name:28s} {payload / 2**20:8.0f} MiB payload  {int(transferred) / 1e6:9.1f} MB on the wire  "
      f"{seconds:7.1f} s  {payload / seconds / 1e6:8.1f} MB/s payload  "
      f"peak RSS {int(peak) / 1024:6.1f} MiB = idle {int(idle) / 1024:5.1f} + {(int(peak) - int(idle)) / 1024:5.1f} MiB")
PY
}

download() { # $1 = path suffix, $2... extra curl args
  local path=$1; shift
  curl -s -o /dev/null -w '%{size_download}' "$@" "http://127.0.0.1:$GATEWAY_PORT/v1/files/$path"
}

upload_file() { # $1 = size MiB, $2... extra curl args
  local size=$1; shift
  truncate -s "${size}M" "$work/upload.bin"
  curl -s -o /dev/null -w '%{size_upload}' -T "$work/upload.bin" "$@" "http://127.0.0.1:$GATEWAY_PORT/v1/files/upload.bin"
}

echo "Portico streaming benchmark: SIZE_MB=$SIZE_MB THROTTLED_SIZE_MB=$THROTTLED_SIZE_MB RATE=$RATE"
for c in $CASES; do
  case $c in
    download-raw) run_case "$c" "$SIZE_MB" download "zeros-$((SIZE_MB * 1048576))" ;;
    download-ndjson) run_case "$c" "$SIZE_MB" download "zeros-$((SIZE_MB * 1048576)):chunks" ;;
    upload-raw) run_case "$c" "$SIZE_MB" upload_file "$SIZE_MB" ;;
    download-raw-throttled) run_case "$c" "$THROTTLED_SIZE_MB" download "zeros-$((THROTTLED_SIZE_MB * 1048576))" --limit-rate "$RATE" ;;
    download-ndjson-throttled) run_case "$c" "$THROTTLED_SIZE_MB" download "zeros-$((THROTTLED_SIZE_MB * 1048576)):chunks" --limit-rate "$RATE" ;;
    upload-raw-throttled) run_case "$c" "$THROTTLED_SIZE_MB" upload_file "$THROTTLED_SIZE_MB" --limit-rate "$RATE" ;;
    *) echo "unknown case $c" >&2; exit 2 ;;
  esac
done
