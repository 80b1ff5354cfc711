#!/usr/bin/env python3
"""Turns the runs Benchmarks/bench.sh recorded into its markdown table.

Usage: report.py RUNS_TSV CLK_TCK. Settings come from the environment (DURATION, CONNECTIONS,
STREAM_MB, RSS_REQUESTS, IDLE_CONNECTIONS, THREADS). Each RUNS_TSV line is tab-separated:

  <load> <run> wrk    <wrk output> <gateway CPU ticks> <gateway RSS KiB>
  <load> <run> h2load <h2load output> <backend CPU ticks> <backend RSS KiB> <h2load --log-file> <h2load -c -m>
  <load> <run> curl   <curl -w output> <gateway CPU ticks> <gateway RSS KiB> <payload bytes>
  rss    <i>   wrk    <wrk output or -> <gateway CPU ticks> <gateway RSS KiB> <requests so far>
  idle   <run> idle   <idle_connections.py output> - <gateway RSS KiB> <curl code> <gateway fds> <RSS KiB after>
  floor  <run> wrk    <wrk output> <NIO floor server CPU ticks> <its RSS KiB>
  allocs 1     wrk    <wrk output> <"allocations reallocations" before> <the same after>
"""
import os
import re
import statistics
import sys
from collections import defaultdict

runs_file, hz = sys.argv[1], int(sys.argv[2])
env = os.environ
duration = env.get("DURATION", "10")
connections = env.get("CONNECTIONS", "50")
threads = env.get("THREADS", "1")
stream_mb = int(env.get("STREAM_MB", "256"))
idle_count = int(env.get("IDLE_CONNECTIONS", "10000"))

rows = defaultdict(list)
for line in open(runs_file):
    fields = line.rstrip("\n").split("\t")
    rows[fields[0]].append(fields)


def seconds(text):
    """wrk's latency text (`655.00us`, `1.23ms`, `2.00s`) in seconds."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def parse_wrk(path):
    text = open(path).read()
    requests, elapsed = re.search(r"(\d+) requests in ([\d.]+(?:us|ms|s|m)),", text).groups()
    elapsed = seconds(elapsed)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", text, re.M))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return {
        "requests": int(requests),
        "rate": int(requests) / elapsed,
        "p50": seconds(latency["50"]) * 1e3 if "50" in latency else None,
        "p99": seconds(latency["99"]) * 1e3 if "99" in latency else None,
        "errors": errors + (int(non2xx.group(1)) if non2xx else 0),
    }


def parse_h2load(path, log):
    text = open(path).read()
    rate = float(re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", text).group(1))
    done = re.search(r"requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout", text)
    status = re.search(r"status codes: (\d+) 2xx", text)
    times = sorted(int(line.split("\t")[2]) for line in open(log) if line.strip())
    return {
        "requests": int(done.group(2)),
        "rate": rate,
        "p50": percentile(times, 50) / 1e3,
        "p99": percentile(times, 99) / 1e3,
        "errors": int(done.group(4)) + int(done.group(5)) + int(done.group(6)) + int(done.group(2)) - int(status.group(1)),
    }


def percentile(sorted_values, p):
    """Nearest-rank percentile."""
    rank = max(1, -(-p * len(sorted_values) // 100))
    return sorted_values[rank - 1]


def spread(values, digits=1, scale=1.0, grouping=False):
    """`median (min–max)`; a single value alone."""
    values = [v * scale for v in values if v is not None]
    if not values:
        return "—"
    fmt = f"{{:,.{digits}f}}" if grouping else f"{{:.{digits}f}}"
    if len(values) == 1:
        return fmt.format(values[0])
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def cpu_us(ticks, count):
    return int(ticks) / hz / count * 1e6


table = []
verdicts = []


def verdict(name, ok, why):
    verdicts.append(f"- {name}: {'**met**' if ok else '**not met**'} ({why})")


def unary_row(load, label, target, check):
    runs = rows.get(load)
    if not runs:
        return
    parsed = [parse_wrk(r[3]) for r in runs]
    cpu = [cpu_us(r[4], p["requests"]) for r, p in zip(runs, parsed)]
    rss = [int(r[5]) / 1024 for r in runs]
    table.append([
        label, target, spread([p["rate"] for p in parsed], 0, grouping=True) + " req/s",
        spread([p["p50"] for p in parsed], 2), spread([p["p99"] for p in parsed], 2),
        spread(cpu, 1) + " µs/req", spread(rss, 1), str(sum(p["errors"] for p in parsed)),
    ])
    check(statistics.median(cpu), statistics.median([p["p99"] for p in parsed]))


def direct_row(load, call, why):
    runs = rows.get(load)
    if not runs:
        return
    label = f"↳ floor: {call} straight to demo-backend, h2load {runs[0][7]} ({why}), {duration} s"
    parsed = [parse_h2load(r[3], r[6]) for r in runs]
    cpu = [cpu_us(r[4], p["requests"]) for r, p in zip(runs, parsed)]
    table.append([
        label, "floor", spread([p["rate"] for p in parsed], 0, grouping=True) + " req/s",
        spread([p["p50"] for p in parsed], 2), spread([p["p99"] for p in parsed], 2),
        "(backend: " + spread(cpu, 1) + " µs/req)", "(backend: " + spread([int(r[5]) / 1024 for r in runs], 1) + ")",
        str(sum(p["errors"] for p in parsed)),
    ])


def stream_row(load, label, target, limit):
    runs = rows.get(load)
    if not runs:
        return
    rates, cpu, errors = [], [], 0
    for r in runs:
        code, size, total = open(r[3]).read().split()
        payload = int(r[6])
        errors += code != "200" or (load == "raw" and int(size) != payload)
        rates.append(payload / float(total) / 1e6)
        cpu.append(cpu_us(r[4], -(-payload // 1024)))
    table.append([
        label, target, spread(rates, 1) + " MB/s", "—", "—", spread(cpu, 2) + " µs/chunk",
        spread([int(r[5]) / 1024 for r in runs], 1), str(errors),
    ])
    verdict(label, statistics.median(cpu) <= limit, f"median {statistics.median(cpu):.2f} µs per chunk, target ≤ {limit}")


def rss_row():
    runs = rows.get("rss")
    if not runs:
        return
    start = runs[0]
    chunks = runs[1:]
    parsed = [parse_wrk(r[3]) for r in chunks]
    total = int(chunks[-1][6])
    half = next(r for r in chunks if int(r[6]) >= total // 2)
    ticks = sum(int(r[4]) for r in chunks)
    seconds_spent = sum(p["requests"] / p["rate"] for p in parsed)
    mib = lambda r: int(r[5]) / 1024
    table.append([
        f"RSS over {total:,} × GET /v1/users/1 (wrk -c{connections}, 1 run)", "≤ 40 MB, flat",
        f"{total / seconds_spent:,.0f} req/s", "—", "—", f"{cpu_us(ticks, total):.1f} µs/req",
        f"{mib(start):.1f} at start → {mib(half):.1f} after {int(half[6]):,} → {mib(chunks[-1]):.1f} after {total:,}",
        str(sum(p["errors"] for p in parsed)),
    ])
    growth = mib(chunks[-1]) - mib(half)
    verdict(
        "RSS", mib(chunks[-1]) <= 40 and growth <= 1.0,
        f"{mib(chunks[-1]):.1f} MiB after {total:,} requests, {growth:+.1f} MiB over the second half; flat = at most +1 MiB",
    )
    series = ", ".join(f"{int(r[6]):,}: {mib(r):.1f}" for r in runs)
    notes.append(f"- RSS series (requests: MiB): {series}.")


def idle_row():
    runs = rows.get("idle")
    if not runs:
        return
    opened, answered, took, still, codes, fds, after = [], [], [], [], [], [], []
    for r in runs:
        text = open(r[3]).read()
        ready = re.search(r"^ready (\d+) (\d+) ([\d.]+)", text, re.M)
        kept = re.search(r"^still-open (\d+)", text, re.M)
        opened.append(int(ready.group(1)))
        answered.append(int(ready.group(2)))
        took.append(float(ready.group(3)))
        still.append(int(kept.group(1)) if kept else 0)
        codes.append(r[6])
        fds.append(int(r[7]))
        after.append(int(r[8]) / 1024)
    rss = [int(r[5]) / 1024 for r in runs]
    curl_ok = all(c.startswith("200") for c in codes)
    table.append([
        f"{idle_count:,} idle keep-alive connections (each answered one GET first)", "accepted, ≤ 150 MB RSS",
        f"opened in {spread(took, 1)} s", "—", "—", "—", spread(rss, 1),
        str(sum(idle_count - a for a in answered) + sum(not c.startswith("200") for c in codes)),
    ])
    ok = min(answered) == idle_count and min(still) == idle_count and curl_ok and statistics.median(rss) <= 150
    verdict(
        "idle connections", ok,
        f"{min(answered):,} of {idle_count:,} answered and {min(still):,} still open at the end of every run, "
        f"gateway fds {min(fds):,}–{max(fds):,}, curl meanwhile: {', '.join(codes)}, median RSS {statistics.median(rss):.1f} MiB; "
        f"RSS once they were closed: {', '.join(f'{a:.1f}' for a in after)} MiB",
    )


def floor_row():
    runs = rows.get("floor")
    if not runs:
        return None
    parsed = [parse_wrk(r[3]) for r in runs]
    cpu = [cpu_us(r[4], p["requests"]) for r, p in zip(runs, parsed)]
    table.append([
        f"↳ floor: bare SwiftNIO HTTP/1.1 server, same body, same wrk load", "floor",
        spread([p["rate"] for p in parsed], 0, grouping=True) + " req/s",
        spread([p["p50"] for p in parsed], 2), spread([p["p99"] for p in parsed], 2),
        "(NIO: " + spread(cpu, 1) + " µs/req)", "(NIO: " + spread([int(r[5]) / 1024 for r in runs], 1) + ")",
        str(sum(p["errors"] for p in parsed)),
    ])
    return statistics.median(cpu)


def allocs_row():
    runs = rows.get("allocs")
    if not runs:
        return
    r = runs[0]
    parsed = parse_wrk(r[3])
    before, after = [list(map(int, f.split())) for f in (r[4], r[5])]
    allocations = (after[0] - before[0]) / parsed["requests"]
    reallocations = (after[1] - before[1]) / parsed["requests"]
    table.append([
        f"heap allocations per GET /v1/users/1 (a second, counting Portico; wrk -c{connections}, {duration} s)", "count",
        f"{parsed['rate']:,.0f} req/s", "—", "—",
        f"{allocations:.1f} allocations + {reallocations:.1f} reallocations per request", "—", str(parsed["errors"]),
    ])
    notes.append(f"- Allocations per GET: {allocations:.1f} (and {reallocations:.1f} reallocations), over {parsed['requests']:,} requests.")


notes = []
unary_row(
    "get", f"GET /v1/users/1, wrk -t{threads} -c{connections}, {duration} s", "≤ 25 µs CPU/req, p99 ≤ 2 ms",
    lambda cpu, p99: verdict("GET /v1/users/1", cpu <= 25 and p99 <= 2, f"median {cpu:.1f} µs CPU per request, p99 {p99:.2f} ms"),
)
unary_row(
    "getbare", f"same GET, metrics and access log off (`metrics: {{enabled: false}}`)", "—",
    lambda cpu, p99: None,
)
unary_row(
    "getobs", f"same GET, metrics and access log on (JSON lines to /dev/null)", "≤ 3 µs CPU/req over the off row",
    lambda cpu, p99: None,
)
unary_row(
    "getkey", "same GET with the appid/appkey pair (the shipped `auth` rule)", "—",
    lambda cpu, p99: None,
)
unary_row(
    "getjwt", "same GET with a JWT (GetUser requires demo-idp; one token, cached)", "≤ 2 µs CPU/req over the next row",
    lambda cpu, p99: None,
)
unary_row(
    "getjwtoff", "same GET carrying the same token, no JWT rule", "—",
    lambda cpu, p99: None,
)
def median_cpu(load):
    return statistics.median(cpu_us(r[4], parse_wrk(r[3])["requests"]) for r in rows[load])
if rows.get("getbare") and rows.get("getobs"):
    extra = median_cpu("getobs") - median_cpu("getbare")
    verdict("Metrics and access log", extra <= 3, f"median {extra:+.1f} µs CPU per request, both on over both off")
if rows.get("getjwtoff") and rows.get("getjwt"):
    extra = median_cpu("getjwt") - median_cpu("getjwtoff")
    verdict("JWT check (cached token)", extra <= 2, f"median {extra:+.1f} µs CPU per request, JWT rule on over off, same requests")
if rows.get("get") and rows.get("getjwtoff"):
    notes.append(f"- Carrying the token (getjwtoff over the GET row, no rule): {median_cpu('getjwtoff') - median_cpu('get'):+.1f} µs CPU per request.")
if rows.get("get") and rows.get("getkey"):
    notes.append(f"- API-key check (getkey over the GET row): {median_cpu('getkey') - median_cpu('get'):+.1f} µs CPU per request.")
if rows.get("getbare") and rows.get("get"):
    notes.append(f"- Metrics alone (GET row over the off row): {median_cpu('get') - median_cpu('getbare'):+.1f} µs CPU per request.")
nio_floor = floor_row()
if nio_floor and rows.get("get"):
    gets = rows["get"]
    get_cpu = statistics.median(cpu_us(r[4], parse_wrk(r[3])["requests"]) for r in gets)
    notes.append(f"- Portico's GET costs {get_cpu / nio_floor:.2f}× the bare NIO server's CPU per request ({get_cpu:.1f} vs {nio_floor:.1f} µs).")
allocs_row()
direct_row("direct-get", "GetUser", "wrk's shape: a connection per client")
direct_row("direct-get-mux", "GetUser", "Portico's upstream shape: one connection per event loop")
unary_row(
    "echo", f"POST /v1/echo, ~1 KB JSON (11 fields), wrk -t{threads} -c{connections}, {duration} s", "≤ 45 µs CPU/req",
    lambda cpu, p99: verdict("POST /v1/echo", cpu <= 45, f"median {cpu:.1f} µs CPU per request"),
)
direct_row("direct-echo", "Echo", "wrk's shape: a connection per client")
direct_row("direct-echo-mux", "Echo", "Portico's upstream shape: one connection per event loop")
stream_row("ndjson", f"server stream, {stream_mb} MiB of 1 KiB chunks, NDJSON (curl)", "≤ 3.5 µs CPU/chunk", 3.5)
stream_row("raw", f"same stream as raw bytes (curl)", "≤ 1.5 µs CPU/chunk", 1.5)
rss_row()
idle_row()

print("| load | target | throughput | p50 ms | p99 ms | gateway CPU | RSS MiB | errors |")
print("|---|---|---|---|---|---|---|---|")
for row in table:
    print("| " + " | ".join(row) + " |")
print()
print("Targets:")
print("\n".join(verdicts))
if notes:
    print()
    print("\n".join(notes))
