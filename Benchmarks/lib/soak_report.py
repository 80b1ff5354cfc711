#!/usr/bin/env python3
"""Judges a soak run (soak_driver.py's soak.json) and writes the markdown report and the plot.

Verdicts:
  - no unexpected outcome (see soak_driver.py for the classes) and Portico never exited;
  - every stream accounted for: opened = completed + failed as expected (outage) + abandoned by its
    client on purpose, nothing unexpected, nothing unfinished;
  - RSS and descriptors flat after the warm-up: the least-squares slope over the post-warm-up
    samples below RSS_LIMIT KiB/min and FD_LIMIT descriptors/min;
  - back to idle after the load: no active request, no client connection, as many descriptors as
    before the load plus the upstream connections opened since, and a drain that exits 0.
Exits 1 when a verdict fails.
"""

import argparse
import json
import math
import platform
import subprocess
import sys
import time

# Thresholds (see the report's "Why these thresholds").
RSS_LIMIT_KIB_PER_MIN = 32.0
FD_LIMIT_PER_MIN = 0.2

CLASSES = ["ok", "rejected", "abandoned", "outage", "unexpected"]


def fit(xs, ys):
    """Least-squares slope and intercept, and the slope's 95% half-interval."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    slope = sxy / sxx
    intercept = my - slope * mx
    if n > 2:
        resid = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys)) / (n - 2)
        half = 1.96 * math.sqrt(resid / sxx)
    else:
        half = float("nan")
    return slope, intercept, half


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) / 1048576
    try:
        swift = subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except Exception:  # noqa: BLE001
        swift = "unknown"
    import os

    return cpu, os.cpu_count(), mem, platform.release(), swift


def main():
    p = argparse.ArgumentParser()
    p.add_argument("result")
    p.add_argument("--out", required=True)
    p.add_argument("--plot", required=True)
    p.add_argument("--warmup-minutes", type=float, default=5)
    p.add_argument("--command", default="make soak")
    p.add_argument("--commit", default="unknown")
    p.add_argument("--portico-log")
    a = p.parse_args()
    r = json.load(open(a.result))
    s = r["settings"]
    samples = r["samples"]
    load_start = r["load_start"]
    for x in samples:
        x["min"] = (x["t"] - load_start) / 60
    warm = [x for x in samples if x["min"] >= a.warmup_minutes]
    hz = r["hz"]

    verdicts = []

    # 1. Unexpected outcomes.
    totals = {c: sum(v.get(c, 0) for v in r["by_kind"].values()) for c in CLASSES}
    n_req = sum(totals.values())
    ok1 = totals["unexpected"] == 0 and not r["crashed"] and not r["events"]
    verdicts.append(("no unexpected outcome, Portico up throughout", ok1,
                     f"{totals['unexpected']} unexpected of {n_req:,} requests" + ("; " + "; ".join(r["events"]) if r["events"] else "")))

    # 2. Streams.
    stream_kinds = sorted(set(r["opened"]))
    opened = sum(r["opened"].values())
    comp = {c: sum(r["by_kind"].get(k, {}).get(c, 0) for k in stream_kinds) for c in CLASSES}
    unfinished = sum(r["unfinished"].values())
    completed = comp["ok"] + comp["rejected"]
    ok2 = unfinished == 0 and comp["unexpected"] == 0 and opened == completed + comp["outage"] + comp["abandoned"]
    verdicts.append(("every stream accounted for", ok2,
                     f"opened {opened:,} = completed {completed:,} + failed as expected (outage) {comp['outage']:,} "
                     f"+ abandoned by design {comp['abandoned']:,}; unexpected {comp['unexpected']}, unfinished {unfinished}"))

    # 3. Slopes.
    slopes = {}
    if len(warm) >= 3:
        xs = [x["min"] for x in warm]
        slopes["rss"] = fit(xs, [x["rss_kib"] for x in warm])
        slopes["fds"] = fit(xs, [x["fds"] for x in warm])
        slopes["fds_other"] = fit(xs, [x["fds_other"] for x in warm])
        resid = [x["fds_socket"] - x.get("http_connections", 0) - x.get("upstream_connections", 0) for x in warm]
        slopes["fds_unaccounted"] = fit(xs, resid)
        rs, _, rh = slopes["rss"]
        fs, _, fh = slopes["fds"]
        verdicts.append(("RSS flat after the warm-up", rs < RSS_LIMIT_KIB_PER_MIN,
                         f"{rs:+.1f} KiB/min (±{rh:.1f}, 95%) over {len(warm)} samples from minute {a.warmup_minutes:g}; limit {RSS_LIMIT_KIB_PER_MIN:g} KiB/min"))
        verdicts.append(("descriptors flat after the warm-up", fs < FD_LIMIT_PER_MIN,
                         f"{fs:+.3f} fds/min (±{fh:.3f}, 95%); limit {FD_LIMIT_PER_MIN:g} fds/min"))
    else:
        verdicts.append(("RSS and descriptors flat after the warm-up", False, "too few samples after the warm-up"))

    # 4. Back to idle.
    i0, i1 = r["idle_start"], r["idle_end"]
    drain = r["drain"]
    if i1:
        up_delta = i1.get("upstream_connections", 0) - i0.get("upstream_connections", 0)
        fd_delta = i1["fds"] - i0["fds"]
        ok4 = (i1.get("active_requests") == 0 and i1.get("http_connections") == i0.get("http_connections")
               and fd_delta <= max(up_delta, 0) and drain.get("exit_status") == 0)
        verdicts.append(("back to idle after the load, clean drain", ok4,
                         f"active requests {i1.get('active_requests')}, client connections {i0.get('http_connections')} → {i1.get('http_connections')}, "
                         f"fds {i0['fds']} → {i1['fds']} (upstream connections {i0.get('upstream_connections')} → {i1.get('upstream_connections')}), "
                         f"threads {i0['threads']} → {i1['threads']}, RSS {i0['rss_kib'] / 1024:.1f} → {i1['rss_kib'] / 1024:.1f} MiB; "
                         f"SIGTERM: exit {drain.get('exit_status')} in {drain.get('seconds')} s"))
    else:
        verdicts.append(("back to idle after the load, clean drain", False, "Portico was not running at the end"))

    passed = all(v[1] for v in verdicts)
    plot(a, r, samples, slopes)
    write(a, r, s, samples, warm, verdicts, passed, totals, slopes, hz)
    print(open(a.out).read().split("## Totals")[0])
    sys.exit(0 if passed else 1)


def plot(a, r, samples, slopes):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    load_start = r["load_start"]
    xs = [x["min"] for x in samples]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 6.5), sharex=True)
    ax1.plot(xs, [x["rss_kib"] / 1024 for x in samples], color="tab:blue", lw=1.2, label="RSS")
    ax2.plot(xs, [x["fds"] for x in samples], color="tab:green", lw=1.2, label="open descriptors")
    ax2.plot(xs, [x["fds_other"] for x in samples], color="tab:gray", lw=1, ls=":", label="of which not sockets")
    if slopes:
        x0, x1 = a.warmup_minutes, max(xs)
        for ax, key, scale, unit in ((ax1, "rss", 1024, "KiB/min"), (ax2, "fds", 1, "fds/min")):
            sl, ic, _ = slopes[key]
            ax.plot([x0, x1], [(ic + sl * x0) / scale, (ic + sl * x1) / scale], color="black", lw=1, ls="--",
                    label=f"fit after warm-up: {sl:+.2f} {unit}" if key == "rss" else f"fit after warm-up: {sl:+.3f} {unit}")
    for ax in (ax1, ax2):
        ax.axvspan(min(xs + [0]), a.warmup_minutes, color="0.92", zorder=0)
        for i, (st, en) in enumerate(r["windows"]):
            st_m = (st - load_start) / 60
            en_m = ((en if en is not None else samples[-1]["t"]) - load_start) / 60
            ax.axvspan(st_m, en_m, color="tab:red", alpha=0.25, zorder=0)
            ax.axvline(st_m, color="tab:red", lw=0.8, ls="--", label="backend killed (SIGKILL/SIGTERM in turn) and restarted" if i == 0 else None)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
    ax1.set_ylabel("Portico RSS (MiB)")
    ax2.set_ylabel("Portico open fds")
    ax2.set_xlabel("minutes since the load started (grey: warm-up, left out of the fits)")
    lo = min(x["rss_kib"] for x in samples) / 1024
    hi = max(x["rss_kib"] for x in samples) / 1024
    ax1.set_ylim(max(0, lo - 5), hi + 5)
    ax2.set_ylim(0, max(x["fds"] for x in samples) * 1.15)
    fig.suptitle(f"Portico soak: {r['settings']['minutes']:g} min at ~{r['settings']['rate']:g} requests/s, demo-backend restarted every {r['settings']['restart_minutes']:g} min", fontsize=11)
    fig.tight_layout()
    fig.savefig(a.plot, dpi=110)


def write(a, r, s, samples, warm, verdicts, passed, totals, slopes, hz):
    cpu, cores, mem, kernel, swift = machine()
    out = []
    w = out.append
    w("# Portico soak")
    w("")
    w(f"`{a.command}` — **{'PASS' if passed else 'FAIL'}**")
    w("")
    w("| run | |")
    w("|---|---|")
    w(f"| date | {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} (report written) |")
    w(f"| git commit | {a.commit} |")
    w(f"| machine | {cpu}, {cores} cores shared with other work, {mem:.1f} GiB, Linux {kernel} |")
    w(f"| Swift | {swift} |")
    w(f"| binaries | `scripts/build-release.sh portico demo-backend` (release, exclusivity checks off) |")
    n_all = sum(totals.values())
    late = sum(r.get("late", {}).values())
    lags = [x.get("loop_lag_ms", 0) for x in samples]
    lags_sorted = sorted(lags)
    w(f"| load | {s['minutes']:g} minutes at SOAK_RATE={s['rate']:g} requests/s (exponential gaps, shares below) plus the long-lived clients; "
      f"{n_all:,} requests ended: {n_all / (s['minutes'] * 60):.1f}/s on average |")
    w(f"| driver | Python asyncio + websockets at `nice 10`; Portico and demo-backend at nice {s.get('child_nice', 0)}. "
      f"The driver's event loop woke late by up to {max(lags or [0]) / 1000:.1f} s (median of the per-sample maxima {lags_sorted[len(lags_sorted) // 2] / 1000 if lags else 0:.2f} s): "
      f"{late:,} launches more than 1 s overdue were dropped, not sent late |")
    w(f"| backend restarts | every {s['restart_minutes']:g} min, SIGKILL and SIGTERM (1 s shutdown grace) in turn, down {s['down_seconds']:g} s |")
    w(f"| outage window | from the kill to {s['grace']:g} s after the new backend printed its listening line |")
    w(f"| samples | every {s['interval']:g} s; warm-up (left out of the slopes): the first {a.warmup_minutes:g} minutes |")
    w("")
    w("## Verdicts")
    w("")
    w("| criterion | verdict | measured |")
    w("|---|---|---|")
    for name, ok, detail in verdicts:
        w(f"| {name} | {'pass' if ok else '**FAIL**'} | {detail} |")
    w("")
    if slopes:
        rs, _, rh = slopes["rss"]
        fo = slopes["fds_other"]
        fu = slopes["fds_unaccounted"]
        w(f"Also fitted after the warm-up: descriptors that are not sockets {fo[0]:+.3f}/min (±{fo[2]:.3f}); "
          f"socket descriptors less client and upstream connections (/metrics) {fu[0]:+.3f}/min (±{fu[2]:.3f}).")
        w("")
    reqs_per_min = sum(totals.values()) / s["minutes"]
    w("Why these thresholds: the run sends about "
      f"{reqs_per_min:,.0f} requests a minute, so an RSS slope of {RSS_LIMIT_KIB_PER_MIN:g} KiB/min is "
      f"{RSS_LIMIT_KIB_PER_MIN * 1024 / reqs_per_min:.1f} bytes per request: a leak of one small allocation "
      "(≥ 16 bytes) on every request, or of a few hundred bytes on every stream, chat or vanished client, would "
      "exceed it, while the allocator's own settling after the warm-up stays below it. The warm-up runs "
      "through the third backend restart: RSS steps up at the first outages (every call failing at once, "
      "reconnects) to the allocator's high-water mark and stays there (a run restarting the backend every "
      "minute, `Benchmarks/results/soak-restarts.md`, climbs over its first two and holds through eleven more), "
      "so a slope "
      "across them would measure that mark, not a leak. "
      f"{FD_LIMIT_PER_MIN:g} descriptors/min is one descriptor every {1 / FD_LIMIT_PER_MIN:g} minutes (one per "
      f"backend restart, every {s['restart_minutes']:g} min, would be {1 / s['restart_minutes']:g}/min) or "
      f"per ~{reqs_per_min / FD_LIMIT_PER_MIN:,.0f} requests; a leak on any per-request path "
      "(a vanished client, a failed call, a malformed request) would leave hundreds. The exact idle "
      "comparison before and after the load catches a single descriptor.")
    w("")
    w("## Totals by kind")
    w("")
    w("| kind | what | started | ok | rejected (by design) | abandoned (by design) | outage (expected) | unexpected |")
    w("|---|---|---|---|---|---|---|---|")
    desc = DESCRIPTIONS
    kinds = list(r["mix"]) + list(r["steady"])
    for k in kinds:
        v = r["by_kind"].get(k, {})
        n = sum(v.values())
        w(f"| `{k}` | {desc.get(k, '')} | {n:,} | {v.get('ok', 0):,} | {v.get('rejected', 0):,} | {v.get('abandoned', 0):,} | {v.get('outage', 0):,} | {v.get('unexpected', 0):,} |")
    w(f"| **all** | | **{sum(totals.values()):,}** | {totals['ok']:,} | {totals['rejected']:,} | {totals['abandoned']:,} | {totals['outage']:,} | **{totals['unexpected']:,}** |")
    w("")
    if r.get("late"):
        w(f"Launches dropped because the driver was more than 1 s late: {r['late']}.")
        w("")
    if r["skipped"]:
        w(f"Launches skipped because 200 of a kind were still in flight: {r['skipped']}.")
        w("")
    w("Expected non-ok outcomes, by what was seen:")
    w("")
    for k in kinds:
        for d, n in sorted(r["details"].get(k, {}).items(), key=lambda x: -x[1]):
            w(f"- `{k}`: {d} — {n:,}")
    w("")
    w("## Streams")
    w("")
    w("| kind | opened | completed | failed as expected (outage) | abandoned by design | unexpected | unfinished |")
    w("|---|---|---|---|---|---|---|")
    for k in kinds:
        if k not in r["opened"]:
            continue
        v = r["by_kind"].get(k, {})
        w(f"| `{k}` | {r['opened'][k]:,} | {v.get('ok', 0) + v.get('rejected', 0):,} | {v.get('outage', 0):,} | {v.get('abandoned', 0):,} | {v.get('unexpected', 0):,} | {r['unfinished'].get(k, 0)} |")
    w("")
    w("## Backend restarts")
    w("")
    w("| # | signal | killed at (min) | exited after (s) | listening again after (s) | first GET /v1/users/1 answered 200 after (s) |")
    w("|---|---|---|---|---|---|")
    ls = r["load_start"]
    for x in r["restarts"]:
        w(f"| {x['n']} | {x['signal']} | {(x['kill'] - ls) / 60:.2f} | {x['exited'] - x['kill']:.2f} | {x['ready'] - x['kill']:.2f} | "
          f"{x.get('first_ok_after_ready_s', 'never')} |")
    w("")
    w("## Unexpected outcomes")
    w("")
    if not r["unexpected"]:
        w("None.")
    else:
        w("Grouped by kind and what was seen (the driver keeps the first 30 of each kind); minutes since the load started:")
        w("")
        groups = {}
        for u in r["unexpected"]:
            g = groups.setdefault((u["kind"], u["detail"][:160]), [0, u["t0"], u["t1"]])
            g[0] += 1
            g[1], g[2] = min(g[1], u["t0"]), max(g[2], u["t1"])
        for (kind, detail), (n, a0, a1) in sorted(groups.items(), key=lambda x: x[1][1]):
            w(f"- `{kind}` ×{n}, {(a0 - ls) / 60:.2f}–{(a1 - ls) / 60:.2f} min: {detail}")
    w("")
    if a.portico_log:
        try:
            lines = open(a.portico_log, errors="replace").read().splitlines()
        except OSError:
            lines = []
        w(f"Portico's log (`--log-level {s['log_level']}`): {len(lines)} lines.")
        for line in lines[:15]:
            w(f"    {line[:200]}")
        w("")
    w("## Samples")
    w("")
    w("The last 10 s sample of each minute; counts are the outcomes of requests that ended in that minute. "
      "fds: all (sockets / other). CPU: Portico's utime+stime over the minute. "
      "`readyz` 503 while every endpoint is out of rotation after failed connects.")
    w("")
    w(table(minute_rows(samples, r["idle_start"], hz, 60)))
    w("")
    w("<details><summary>Every 10 s sample</summary>")
    w("")
    w(table(minute_rows(samples, r["idle_start"], hz, None)))
    w("")
    w("</details>")
    w("")
    open(a.out, "w").write("\n".join(out))


DESCRIPTIONS = {
    "get": "GET /v1/users/1 with appid/appkey, keep-alive pool (10% Connection: close)",
    "get_nokey": "GET /v1/users/2 without the key pair: 401",
    "jwt": "GET /v1/metadata with a demo-idp bearer token",
    "post": "POST /v1/echo, ~1 KB JSON, keep-alive pool",
    "bad_json": "POST /v1/echo, five kinds of broken JSON: 400",
    "bad_http": "space in the target, bad header name, bad Content-Length, bad chunk size: 400, closed",
    "oversized_body": "POST /v1/echo, 4 MiB + 64 KiB body: 413",
    "oversized_head": "a 96 KiB header: 431",
    "ndjson": "GET zeros-N:chunks, N up to 1 MiB (some 0, 1, 1023-1025)",
    "sse": "same with Accept: text/event-stream",
    "raw": "GET zeros-N, TE: trailers, N up to 4 MiB, every byte checked",
    "fail_after": "fail-after-2:chunks: 2 chunks, then the ABORTED element (ok)",
    "upload": "POST /v1/uploads, 1-8 chunked NDJSON messages up to 8 KiB",
    "upload_raw": "PUT /v1/files/soak-raw-K, 1-6 chunks up to 64 KiB",
    "chat_http": "POST /v1/chat, 1-5 exchanges; 30% /quit then a GET on the same connection",
    "chat_ws": "WebSocket /v1/chat, 1-5 exchanges; 30% /quit; close 1000",
    "vanish_request": "POST /v1/echo, a third of the body, then FIN or RST",
    "vanish_upload": "POST /v1/uploads, two messages, then FIN or RST",
    "vanish_stream": "NDJSON, SSE or raw 64 MiB, ~200 KiB read, then FIN or RST",
    "vanish_chat": "POST /v1/chat, one exchange, then FIN or RST",
    "vanish_ws": "WebSocket chat, one exchange, then TCP close without a close frame",
    "slow_reader": "4 at a time: 2 MiB NDJSON or raw read at ~160 KiB/s",
    "long_ws": "3 at a time: 60 s WebSocket chats, a message a second",
    "stalled": "2 at a time: POST /v1/echo with 11 of 100 body bytes, then silence: 408 after 30 s",
}


def minute_rows(samples, idle, hz, every):
    rows = []
    head = ["min", "RSS MiB", "fds", "threads", "CPU %", "active req", "client conns", "upstream conns", "readyz",
            "ok", "rejected", "abandoned", "outage", "unexpected", "driver lag s"]
    rows.append(head)
    prev = idle
    acc = {c: 0 for c in CLASSES}
    lag = 0
    for i, x in enumerate(samples):
        for c in CLASSES:
            acc[c] += x["counts"].get(c, 0)
        lag = max(lag, x.get("loop_lag_ms", 0))
        last_of_minute = every is None or i == len(samples) - 1 or int(samples[i + 1]["min"] * 60 // every) != int(x["min"] * 60 // every)
        if not last_of_minute:
            continue
        dt = x["t"] - prev["t"]
        cpu = (x["cpu_ticks"] - prev["cpu_ticks"]) / hz / dt * 100 if dt > 0 else 0
        rows.append([f"{x['min']:.1f}", f"{x['rss_kib'] / 1024:.1f}", f"{x['fds']} ({x['fds_socket']}/{x['fds_other']})", x["threads"],
                     f"{cpu:.0f}", x.get("active_requests", "?"), x.get("http_connections", "?"), x.get("upstream_connections", "?"),
                     x.get("readyz", "?"), acc["ok"], acc["rejected"], acc["abandoned"], acc["outage"], acc["unexpected"], f"{lag / 1000:.1f}"])
        prev = x
        lag = 0
        acc = {c: 0 for c in CLASSES}
    return rows


def table(rows):
    lines = ["| " + " | ".join(str(c) for c in rows[0]) + " |", "|" + "---|" * len(rows[0])]
    for row in rows[1:]:
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
