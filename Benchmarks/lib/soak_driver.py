#!/usr/bin/env python3
"""`make soak`'s load driver (started by Benchmarks/soak.sh).

Starts demo-backend and Portico, drives a mixed load at about RATE requests per second for the
given minutes, kills and restarts demo-backend every RESTART minutes, samples Portico every 10 s
and classifies every request's outcome. Writes WORK/soak.json for soak_report.py.

Outcome classes (per request):
  ok          the answer the request asks for (200 with the right body, a stream of the right
              length ending cleanly; fail-after-2's two chunks and its ABORTED error element);
  rejected    the refusal a malformed or unauthorised request is sent for (400, 401, 408, 413, 431);
  abandoned   the client vanished on purpose (mid-request or mid-stream) after what it had
              received so far was right;
  outage      UNAVAILABLE (HTTP 503 {"code":14}, a stream's {"error":{"code":14}} element, SSE
              `event: error` with code 14, grpc-status 14 trailer, WebSocket close 4014), or
              CANCELLED "stream reset by the backend" (499 {"code":1}, element code 1, close 4001)
              (see outage_status), for a request whose lifetime overlaps an outage window: from
              the backend's kill to GRACE seconds after the restarted backend printed its
              listening line;
  unexpected  anything else: another status or code, UNAVAILABLE outside a window, a wrong or
              short body, a connection Portico reset or closed early, a request that took longer
              than its deadline.
"""

import argparse
import asyncio
import base64
import contextvars
import json
import os
import random
import resource
import signal
import socket
import struct
import sys
import time
from collections import Counter, defaultdict
from urllib.parse import unquote

from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

HOST = "127.0.0.1"
# What a stream has received so far ({"bytes", "last"}), for the report of a stream that times out.
PROGRESS = contextvars.ContextVar("progress")
KEY_HEADERS = {"appid": "itxs", "appkey": "11223344"}

# Kinds, their share of the rate, their deadline (s) and whether they are streams (opened,
# completed, failed) in the accounting.
MIX = {
    # kind: (share of RATE, deadline s, stream)
    "get": (0.28, 20, False),  # GET /v1/users/1 with the key pair, keep-alive pool
    "get_nokey": (0.02, 20, False),  # same without the key pair: 401
    "jwt": (0.04, 20, False),  # GET /v1/metadata with a bearer token
    "post": (0.20, 20, False),  # POST /v1/echo, ~1 KB JSON, keep-alive pool
    "bad_json": (0.03, 20, False),  # POST /v1/echo with broken JSON: 400
    "bad_http": (0.02, 20, False),  # not HTTP/1.1 (4 variants): 400 and close
    "oversized_body": (0.005, 30, False),  # POST /v1/echo, 4 MiB + 64 KiB body: 413
    "oversized_head": (0.005, 20, False),  # a 96 KiB header: 431
    "ndjson": (0.04, 120, True),  # GET zeros-N:chunks, N up to 1 MiB
    "sse": (0.03, 120, True),  # same, Accept: text/event-stream
    "raw": (0.03, 120, True),  # GET zeros-N, TE: trailers, N up to 4 MiB
    "fail_after": (0.02, 60, True),  # GET fail-after-2:chunks: two chunks, ABORTED element
    "upload": (0.03, 60, True),  # POST /v1/uploads, chunked NDJSON messages
    "upload_raw": (0.02, 60, True),  # PUT /v1/files/soak-raw-K, chunked bytes
    "chat_http": (0.04, 60, True),  # POST /v1/chat, 1-5 messages, sometimes /quit
    "chat_ws": (0.04, 60, True),  # WebSocket /v1/chat, 1-5 messages, sometimes /quit
    "vanish_request": (0.02, 30, False),  # POST /v1/echo: a third of the body, then gone
    "vanish_upload": (0.01, 30, True),  # POST /v1/uploads: two messages, then gone
    "vanish_stream": (0.03, 60, True),  # NDJSON/SSE/raw of 64 MiB: ~200 KiB read, then gone
    "vanish_chat": (0.01, 30, True),  # POST /v1/chat: one exchange, then gone
    "vanish_ws": (0.01, 30, True),  # WebSocket chat: one exchange, then gone (no close frame)
}
# Long-lived clients kept at a fixed number: (count, deadline s, stream).
STEADY = {
    "slow_reader": (4, 180, True),  # 2 MiB NDJSON or raw read at ~160 KiB/s (~13-18 s)
    "long_ws": (3, 150, True),  # WebSocket chat of 60 s, one message a second
    "stalled": (2, 60, False),  # POST /v1/echo with 10 of 100 body bytes, then silence: 408
}
STREAM_KINDS = {k for k, v in {**MIX, **STEADY}.items() if v[2]}


def now():
    return time.monotonic()


class Outages:
    """Windows in which UNAVAILABLE is expected: [kill, ready + grace]."""

    def __init__(self, grace):
        self.grace = grace
        self.windows = []  # [start, end or None]

    def begin(self, t):
        self.windows.append([t, None])

    def end(self, ready):
        self.windows[-1][1] = ready + self.grace

    def overlaps(self, t0, t1):
        return any(s <= t1 and (e is None or t0 <= e) for s, e in self.windows)


class Stats:
    def __init__(self):
        self.by_kind = defaultdict(Counter)  # kind -> class -> n
        self.interval = Counter()  # class -> n since the last sample
        self.interval_unexpected_kinds = Counter()
        self.opened = Counter()
        self.finished = Counter()
        self.unexpected = []  # first examples, at most 30 per kind
        self.unexpected_per_kind = Counter()
        self.inflight = Counter()
        self.skipped = Counter()
        self.late = Counter()
        self.details = defaultdict(Counter)  # kind -> detail of expected non-ok outcomes

    def record(self, kind, cls, detail, t0, t1):
        self.by_kind[kind][cls] += 1
        self.interval[cls] += 1
        if kind in STREAM_KINDS:
            self.finished[kind] += 1
        if cls == "unexpected":
            self.interval_unexpected_kinds[kind] += 1
            self.unexpected_per_kind[kind] += 1
            if len(self.unexpected) < 300 and self.unexpected_per_kind[kind] <= 30:
                self.unexpected.append({"kind": kind, "t0": t0, "t1": t1, "detail": detail[:400]})
        elif cls in ("outage", "rejected", "abandoned") and detail:
            self.details[kind][f"{cls}: {detail[:80]}"] += 1


class Unexpected(Exception):
    pass


class Outage(Exception):
    """UNAVAILABLE seen; whether it is expected is decided from the request's times."""


# --- a small HTTP/1.1 client -------------------------------------------------------------


async def open_conn(port):
    return await asyncio.open_connection(HOST, port, limit=1 << 20)


def request_head(method, path, port, headers=None, body_len=None, chunked=False):
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}"]
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    elif body_len is not None:
        lines.append(f"Content-Length: {body_len}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


async def read_head(reader):
    while True:
        data = await reader.readuntil(b"\r\n\r\n")
        lines = data.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if not parts[0].startswith("HTTP/1.") or len(parts) < 2:
            raise Unexpected(f"bad status line {lines[0]!r}")
        status = int(parts[1])
        headers = {}
        for line in lines[1:]:
            if line:
                k, _, v = line.partition(":")
                headers.setdefault(k.strip().lower(), []).append(v.strip())
        if status != 100:
            return status, headers


def header(headers, name):
    return ",".join(headers.get(name, []))


async def iter_body(reader, headers, trailers, readsize=65536, method="GET", status=200):
    """Yields the body's pieces; fills `trailers` from a chunked body's trailer section."""
    if method == "HEAD" or status in (204, 304):
        return
    if "chunked" in header(headers, "transfer-encoding").lower():
        while True:
            line = await reader.readuntil(b"\r\n")
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                while True:
                    t = await reader.readuntil(b"\r\n")
                    if t == b"\r\n":
                        return
                    k, _, v = t.decode("latin-1").partition(":")
                    trailers[k.strip().lower()] = v.strip()
            remaining = size
            while remaining:
                piece = await reader.read(min(remaining, readsize))
                if not piece:
                    raise asyncio.IncompleteReadError(b"", remaining)
                remaining -= len(piece)
                yield piece
            if await reader.readexactly(2) != b"\r\n":
                raise Unexpected("chunk not followed by CRLF")
    elif "content-length" in headers:
        remaining = int(headers["content-length"][0])
        while remaining:
            piece = await reader.read(min(remaining, readsize))
            if not piece:
                raise asyncio.IncompleteReadError(b"", remaining)
            remaining -= len(piece)
            yield piece
    else:
        while True:
            piece = await reader.read(readsize)
            if not piece:
                return
            yield piece


async def read_body(reader, headers, method="GET", status=200):
    trailers = {}
    parts = [p async for p in iter_body(reader, headers, trailers, method=method, status=status)]
    return b"".join(parts), trailers


def close(writer, reset=False):
    try:
        if reset:
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.close()
    except Exception:
        pass


def error_code(body):
    try:
        return json.loads(body).get("code")
    except Exception:
        return None


def outage_status(code, message):
    """What a call cut by the backend's restart ends with: UNAVAILABLE (connection refused or lost,
    the backend's GOAWAY), or CANCELLED when the backend itself reset the stream (demo-backend's
    graceful shutdown cancels the calls still running after its 1 s grace with RST_STREAM CANCEL,
    which Portico reports as "stream reset by the backend (HTTP/2 error code 8)")."""
    return code == 14 or (code == 1 and "reset by the backend" in (message or ""))


def error_message(body):
    try:
        return json.loads(body).get("message", "")
    except Exception:
        return ""


class Pool:
    """Idle keep-alive connections to the gateway, reused by unary requests."""

    def __init__(self, port, size=16):
        self.port, self.size, self.idle = port, size, []

    async def get(self):
        if self.idle:
            return self.idle.pop(), True
        return await open_conn(self.port), False

    def put(self, conn):
        if len(self.idle) < self.size:
            self.idle.append(conn)
        else:
            close(conn[1])

    def close_all(self):
        for _, w in self.idle:
            close(w)
        self.idle = []


# --- the driver ---------------------------------------------------------------------------


class Driver:
    def __init__(self, args):
        self.a = args
        self.port = args.port
        self.stats = Stats()
        self.outages = Outages(args.grace)
        self.pool = Pool(args.port)
        self.stop = False
        self.t_start = now()
        self.tasks = set()
        self.samples = []
        self.restarts = []
        self.echo_body = open(args.echo_body, "rb").read()
        self.echo_json = json.loads(self.echo_body)
        self.seq = 0
        self.backend = None
        self.portico = None
        self.events = []
        self.last_ok = 0.0
        self.max_lag = 0.0
        self.helpers = set()
        self.backend_events = []

    def rel(self, t):
        return round(t - self.t_start, 3)

    # Outcome helpers ------------------------------------------------------------------

    def outage_or_unexpected(self, t0, detail):
        if self.outages.overlaps(t0, now()):
            return "outage", detail
        return "unexpected", f"UNAVAILABLE outside an outage window: {detail}"

    def judge_error_answer(self, t0, status, body, what):
        if status in (503, 499) and outage_status(error_code(body), error_message(body)):
            return self.outage_or_unexpected(t0, f"{status} code {error_code(body)}: {error_message(body)[:90]}")
        return "unexpected", f"{what}: HTTP {status} {body[:200]!r}"

    # Unary ------------------------------------------------------------------------------

    async def unary(self, method, path, headers, body=b""):
        """One request on a pooled keep-alive connection; returns (status, headers, body)."""
        (reader, writer), reused = await self.pool.get()
        keep = random.random() > 0.1
        h = dict(headers)
        if not keep:
            h["Connection"] = "close"
        if body:
            h.setdefault("Content-Type", "application/json")
        try:
            writer.write(request_head(method, path, self.port, h, len(body) if body or method == "POST" else None) + body)
            await writer.drain()
            status, rh = await read_head(reader)
            data, _ = await read_body(reader, rh, method, status)
        except (asyncio.IncompleteReadError, ConnectionError) as e:
            close(writer)
            raise Unexpected(f"{'reused' if reused else 'new'} connection: {e!r}")
        except BaseException:
            close(writer)
            raise
        if keep and "close" not in header(rh, "connection").lower():
            self.pool.put((reader, writer))
        else:
            close(writer)
        return status, rh, data

    async def k_get(self, t0):
        status, _, body = await self.unary("GET", "/v1/users/1", KEY_HEADERS)
        if status == 200 and body.startswith(b'{"id":1,'):
            return "ok", ""
        return self.judge_error_answer(t0, status, body, "GET /v1/users/1")

    async def k_get_nokey(self, t0):
        status, _, body = await self.unary("GET", "/v1/users/2", {})
        if status == 401 and error_code(body) == 16:
            return "rejected", "401 code 16"
        return "unexpected", f"GET without key: HTTP {status} {body[:200]!r}"

    async def k_jwt(self, t0):
        status, _, body = await self.unary("GET", "/v1/metadata", {"Authorization": f"Bearer {self.a.jwt}"})
        if status == 200 and b'"x-user-id"' in body and b'"soak"' in body:
            return "ok", ""
        return self.judge_error_answer(t0, status, body, "GET /v1/metadata")

    async def k_post(self, t0):
        status, _, body = await self.unary("POST", "/v1/echo", {}, self.echo_body)
        if status == 200:
            try:
                if json.loads(body) == self.echo_json:
                    return "ok", ""
            except ValueError:
                pass
            return "unexpected", f"POST /v1/echo: wrong echo {body[:200]!r}"
        return self.judge_error_answer(t0, status, body, "POST /v1/echo")

    async def k_bad_json(self, t0):
        broken = random.choice([b'{"fString": "x"', b'{"fInt64": "12x"}', b'{"noSuchField": 1}', b"[1, 2", b'{"fBool": tru}'])
        status, _, body = await self.unary("POST", "/v1/echo", {}, broken)
        if status == 400 and error_code(body) == 3:
            return "rejected", "400 code 3"
        return "unexpected", f"bad JSON {broken!r}: HTTP {status} {body[:200]!r}"

    async def k_bad_http(self, t0):
        variant = random.randrange(4)
        raw = [
            b"GET /v1/users/1 x HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET /v1/users/1 HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n",
            b"POST /v1/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n{}",
            b"POST /v1/echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
        ][variant]
        reader, writer = await open_conn(self.port)
        try:
            writer.write(raw)
            await writer.drain()
            status, rh = await read_head(reader)
            body, _ = await read_body(reader, rh)
            rest = await reader.read(1)  # the connection must close after the answer
        finally:
            close(writer)
        if status == 400 and error_code(body) == 3 and rest == b"":
            return "rejected", "400 code 3, closed"
        return "unexpected", f"bad HTTP variant {variant}: HTTP {status} {body[:200]!r} then {rest!r}"

    async def k_oversized_body(self, t0):
        size = 4 * 1024 * 1024 + 65536
        reader, writer = await open_conn(self.port)
        piece = b" " * 65536

        async def send():
            writer.write(request_head("POST", "/v1/echo", self.port, {"Content-Type": "application/json"}, size))
            for _ in range(size // len(piece)):
                writer.write(piece)
                await writer.drain()

        sender = asyncio.ensure_future(send())
        try:
            status, rh = await read_head(reader)
            body, _ = await read_body(reader, rh)
        except (asyncio.IncompleteReadError, ConnectionError) as e:
            return "unexpected", f"oversized body: no answer ({e!r})"
        finally:
            sender.cancel()
            try:
                await sender
            except BaseException:
                pass
            close(writer)
        if status == 413:
            return "rejected", "413"
        return "unexpected", f"oversized body: HTTP {status} {body[:200]!r}"

    async def k_oversized_head(self, t0):
        reader, writer = await open_conn(self.port)
        try:
            writer.write(request_head("GET", "/v1/users/1", self.port, {**KEY_HEADERS, "X-Big": "a" * 98304}))
            await writer.drain()
            status, rh = await read_head(reader)
            body, _ = await read_body(reader, rh)
        finally:
            close(writer)
        if status == 431:
            return "rejected", "431"
        return "unexpected", f"oversized head: HTTP {status} {body[:200]!r}"

    # Server streams ---------------------------------------------------------------------

    async def stream_get(self, path, headers, on_piece, readsize=65536, pace=None, vanish_after=None):
        """GET a stream on a fresh connection. Returns (status, body if not 200, trailers, vanished)."""
        reader, writer = await open_conn(self.port)
        got = paced = 0
        try:
            writer.write(request_head("GET", path, self.port, headers))
            await writer.drain()
            status, rh = await read_head(reader)
            if status != 200:
                body, _ = await read_body(reader, rh)
                return status, body, {}, False
            trailers = {}
            async for piece in iter_body(reader, rh, trailers, readsize=readsize):
                on_piece(piece)
                got += len(piece)
                progress = PROGRESS.get(None)
                if progress is not None:
                    progress["bytes"], progress["last"] = got, now()
                if vanish_after is not None and got >= vanish_after:
                    close(writer, reset=random.random() < 0.5)
                    return 200, b"", {}, True
                if pace and got - paced >= readsize:  # one pause per `readsize` bytes
                    paced = got
                    await asyncio.sleep(pace)
            if got and "chunked" not in header(rh, "transfer-encoding").lower():
                raise Unexpected(f"stream not chunked: {rh}")
            return 200, b"", trailers, False
        except (asyncio.IncompleteReadError, ConnectionError) as e:
            raise Unexpected(f"stream {path} broken after {got} bytes: {e!r}")
        finally:
            close(writer)

    def judge_elements(self, t0, what, elements, error, want_chunks, want_error=None):
        """NDJSON/SSE elements: `elements` content byte counts, `error` the final error element."""
        if error is not None:
            code = error.get("code")
            if want_error is not None and code == want_error and len(elements) == want_chunks:
                return "ok", ""
            if outage_status(code, error.get("message")):
                return self.outage_or_unexpected(t0, f"stream error element code {code}: {str(error.get('message'))[:90]}")
            return "unexpected", f"{what}: error element {error} after {len(elements)} chunks"
        if want_error is not None:
            return "unexpected", f"{what}: no error element after {len(elements)} chunks"
        if len(elements) != want_chunks or any(n != 1024 for n in elements[:-1]):
            return "unexpected", f"{what}: {len(elements)} chunks, wanted {want_chunks}"
        return "ok", ""

    async def ndjson_stream(self, t0, name, want_chunks, want_error=None, pace=None, readsize=65536, vanish_after=None):
        buf = bytearray()
        elements, error = [], [None]

        def on_piece(piece):
            buf.extend(piece)
            while True:
                i = buf.find(b"\n")
                if i < 0:
                    return
                line = bytes(buf[:i])
                del buf[: i + 1]
                if not line:
                    continue
                obj = json.loads(line)
                if "error" in obj:
                    error[0] = obj["error"]
                else:
                    elements.append(len(base64.b64decode(obj.get("content", ""))))

        status, body, _, vanished = await self.stream_get(
            f"/v1/files/{name}:chunks", {}, on_piece, readsize=readsize, pace=pace, vanish_after=vanish_after
        )
        if status != 200:
            return self.judge_error_answer(t0, status, body, f"NDJSON {name}")
        if vanished:
            return "abandoned", "NDJSON, after ~200 KiB"
        if buf.strip():
            return "unexpected", f"NDJSON {name}: unterminated line {bytes(buf[:100])!r}"
        return self.judge_elements(t0, f"NDJSON {name}", elements, error[0], want_chunks, want_error)

    async def sse_stream(self, t0, name, want_chunks, vanish_after=None):
        buf = bytearray()
        elements, error = [], [None]

        def on_piece(piece):
            buf.extend(piece)
            while True:
                i = buf.find(b"\n\n")
                if i < 0:
                    return
                event = bytes(buf[:i]).decode()
                del buf[: i + 2]
                kind, data = "message", None
                for line in event.split("\n"):
                    if line.startswith("event:"):
                        kind = line[6:].strip()
                    elif line.startswith("data:"):
                        data = json.loads(line[5:])
                if data is None:
                    continue
                if kind == "error":
                    error[0] = data.get("error", data)
                else:
                    elements.append(len(base64.b64decode(data.get("content", ""))))

        status, body, _, vanished = await self.stream_get(
            f"/v1/files/{name}:chunks", {"Accept": "text/event-stream"}, on_piece, vanish_after=vanish_after
        )
        if status != 200:
            return self.judge_error_answer(t0, status, body, f"SSE {name}")
        if vanished:
            return "abandoned", "SSE, after ~200 KiB"
        return self.judge_elements(t0, f"SSE {name}", elements, error[0], want_chunks)

    async def raw_stream(self, t0, size, pace=None, readsize=65536, vanish_after=None):
        count = [0, 0]  # bytes, non-zero bytes

        def on_piece(piece):
            count[0] += len(piece)
            if piece.count(0) != len(piece):
                count[1] += 1

        status, body, trailers, vanished = await self.stream_get(
            f"/v1/files/zeros-{size}", {"TE": "trailers"}, on_piece, readsize=readsize, pace=pace, vanish_after=vanish_after
        )
        if status != 200:
            return self.judge_error_answer(t0, status, body, f"raw zeros-{size}")
        if vanished:
            return "abandoned", "raw, after ~200 KiB"
        grpc_status = trailers.get("grpc-status")
        if grpc_status in ("14", "1") and outage_status(int(grpc_status), unquote(trailers.get("grpc-message", ""))):
            return self.outage_or_unexpected(t0, f"raw: grpc-status {grpc_status} trailer: {unquote(trailers.get('grpc-message', ''))[:90]}")
        if grpc_status not in ("0", None) or count[0] != size or count[1]:
            return "unexpected", f"raw zeros-{size}: {count[0]} bytes, trailers {trailers}"
        return "ok", ""

    async def k_ndjson(self, t0):
        size = random.choice([0, 1, 1023, 1024, 1025]) if random.random() < 0.1 else random.randint(1, 1024) * 1024
        return await self.ndjson_stream(t0, f"zeros-{size}", (size + 1023) // 1024)

    async def k_sse(self, t0):
        size = random.randint(1, 1024) * 1024 - random.randint(0, 1023)
        return await self.sse_stream(t0, f"zeros-{size}", (size + 1023) // 1024)

    async def k_raw(self, t0):
        return await self.raw_stream(t0, random.randint(1, 4 * 1024 * 1024))

    async def k_fail_after(self, t0):
        return await self.ndjson_stream(t0, "fail-after-2", 2, want_error=10)

    async def k_vanish_stream(self, t0):
        which = random.randrange(3)
        big = 64 * 1024 * 1024
        after = 200 * 1024
        if which == 0:
            return await self.ndjson_stream(t0, f"zeros-{big}", 0, vanish_after=after, readsize=16384)
        if which == 1:
            return await self.sse_stream(t0, f"zeros-{big}", 0, vanish_after=after)
        return await self.raw_stream(t0, big, vanish_after=after, readsize=16384)

    async def k_slow_reader(self, t0):
        size = 2 * 1024 * 1024
        if random.random() < 0.5:  # 8 KiB every 50 ms: ~160 KiB/s
            return await self.ndjson_stream(t0, f"zeros-{size}", size // 1024, pace=0.05, readsize=8192)
        return await self.raw_stream(t0, size, pace=0.05, readsize=8192)

    # Client streams and chats over HTTP ------------------------------------------------

    def upload_messages(self, name):
        n = random.randint(1, 8)
        msgs = []
        for i in range(n):
            content = base64.b64encode(os.urandom(random.randint(0, 8192))).decode()
            msg = {"content": content}
            if i == 0:
                msg["name"] = name
            msgs.append((json.dumps(msg) + "\n").encode())
        return msgs

    async def k_upload(self, t0, vanish=False):
        self.seq += 1
        msgs = self.upload_messages(f"soak-up-{self.seq % 16}.bin")
        return await self.client_stream(t0, "POST", "/v1/uploads", {"Content-Type": "application/json"}, msgs, vanish)

    async def k_upload_raw(self, t0):
        self.seq += 1
        pieces = [os.urandom(random.randint(1, 65536)) for _ in range(random.randint(1, 6))]
        return await self.client_stream(t0, "PUT", f"/v1/files/soak-raw-{self.seq % 16}.bin", {"Content-Type": "application/octet-stream"}, pieces, False)

    async def k_vanish_upload(self, t0):
        return await self.k_upload(t0, vanish=True)

    async def client_stream(self, t0, method, path, headers, pieces, vanish):
        reader, writer = await open_conn(self.port)
        try:
            writer.write(request_head(method, path, self.port, headers, chunked=True))
            sent = pieces[:2] if vanish else pieces
            for p in sent:
                writer.write(chunk(p))
                await writer.drain()
                await asyncio.sleep(random.uniform(0, 0.02))
            if vanish:
                await asyncio.sleep(0.05)
                close(writer, reset=random.random() < 0.5)
                return "abandoned", "upload, after two messages"
            writer.write(b"0\r\n\r\n")
            await writer.drain()
            status, rh = await read_head(reader)
            body, _ = await read_body(reader, rh)
        except (asyncio.IncompleteReadError, ConnectionError) as e:
            raise Unexpected(f"{method} {path}: {e!r}")
        finally:
            close(writer)
        if status == 200 and json.loads(body) == {"state": "success"}:
            return "ok", ""
        return self.judge_error_answer(t0, status, body, f"{method} {path}")

    async def k_chat_http(self, t0, vanish=False):
        reader, writer = await open_conn(self.port)
        n = 1 if vanish else random.randint(1, 5)
        quit_ = not vanish and random.random() < 0.3
        lines = bytearray()
        body = None
        try:
            writer.write(request_head("POST", "/v1/chat", self.port, {"Content-Type": "application/json"}, chunked=True))
            status = rh = None
            trailers = {}
            pieces = None

            async def next_line():
                while True:
                    i = lines.find(b"\n")
                    if i >= 0:
                        line = bytes(lines[:i])
                        del lines[: i + 1]
                        return json.loads(line)
                    piece = await pieces.__anext__()
                    lines.extend(piece)

            for i in range(n + (1 if quit_ else 0)):
                text = "/quit" if i == n else f"soak {i} {random.randint(0, 1 << 30)}"
                writer.write(chunk(json.dumps({"message": text}).encode() + b"\n"))
                await writer.drain()
                if status is None:
                    status, rh = await read_head(reader)
                    if status != 200:
                        body, _ = await read_body(reader, rh)
                        break
                    pieces = iter_body(reader, rh, trailers).__aiter__()
                try:
                    reply = await next_line()
                except StopAsyncIteration:
                    return "unexpected", f"chat: response ended after {i} replies"
                if "error" in reply:
                    if outage_status(reply["error"].get("code"), reply["error"].get("message")):
                        return self.outage_or_unexpected(t0, f"chat error element code {reply['error'].get('code')}: {str(reply['error'].get('message'))[:90]}")
                    return "unexpected", f"chat: error element {reply}"
                want = "bye" if text == "/quit" else f"you said: {text}"
                if reply.get("message") != want:
                    return "unexpected", f"chat: reply {reply}, wanted {want!r}"
            if status != 200:
                return self.judge_error_answer(t0, status, body or b"", "POST /v1/chat")
            if vanish:
                close(writer, reset=random.random() < 0.5)
                return "abandoned", "chat, after one exchange"
            if quit_:
                # The backend ended the chat: the response ends while the body is still open.
                rest = [p async for p in pieces]
                if lines.strip() or any(p.strip() for p in rest):
                    return "unexpected", f"chat after /quit: more output {bytes(lines)!r} {rest!r}"
                writer.write(chunk(b'{"message":"after quit"}\n') + b"0\r\n\r\n")
                await writer.drain()
                # The connection stays usable: one GET on it.
                writer.write(request_head("GET", "/v1/users/1", self.port, KEY_HEADERS))
                await writer.drain()
                s2, h2 = await read_head(reader)
                b2, _ = await read_body(reader, h2)
                if s2 == 200 and b2.startswith(b'{"id":1,'):
                    return "ok", ""
                return self.judge_error_answer(t0, s2, b2, "GET after /quit on the chat's connection")
            writer.write(b"0\r\n\r\n")
            await writer.drain()
            rest = [p async for p in pieces]
            tail = bytes(lines) + b"".join(rest)
            if tail.strip():
                obj = json.loads(tail.strip().split(b"\n")[-1])
                if outage_status(obj.get("error", {}).get("code"), obj.get("error", {}).get("message")):
                    return self.outage_or_unexpected(t0, f"chat error element code {obj['error'].get('code')} at the end: {str(obj['error'].get('message'))[:90]}")
                return "unexpected", f"chat: trailing output {tail[:200]!r}"
            return "ok", ""
        except (asyncio.IncompleteReadError, ConnectionError) as e:
            raise Unexpected(f"chat: {e!r}")
        finally:
            close(writer)

    async def k_vanish_chat(self, t0):
        return await self.k_chat_http(t0, vanish=True)

    # WebSocket --------------------------------------------------------------------------

    async def ws_chat(self, t0, n, pace=0.0, vanish=False, quit_=False):
        try:
            async with ws_connect(f"ws://{HOST}:{self.port}/v1/chat", open_timeout=20, close_timeout=10, ping_interval=None) as ws:
                for i in range(n + (1 if quit_ else 0)):
                    text = "/quit" if i == n else f"soak ws {i} {random.randint(0, 1 << 30)}"
                    await ws.send(json.dumps({"message": text}))
                    try:
                        reply = json.loads(await ws.recv())
                    except ConnectionClosed as e:
                        return self.ws_closed(t0, e, f"after {i} replies")
                    want = "bye" if text == "/quit" else f"you said: {text}"
                    if reply.get("message") != want:
                        return "unexpected", f"ws chat: reply {reply}, wanted {want!r}"
                    if pace:
                        await asyncio.sleep(pace)
                if vanish:
                    ws.transport.abort()
                    return "abandoned", "ws chat, after one exchange (no close frame)"
                if quit_:
                    try:
                        extra = await ws.recv()
                        return "unexpected", f"ws chat: frame after bye: {extra!r}"
                    except ConnectionClosed as e:
                        return self.ws_closed(t0, e, "after bye")
                await ws.close()
                return self.ws_closed(t0, None, "after the client's close", ws.close_code, ws.close_reason)
        except ConnectionClosed as e:
            return self.ws_closed(t0, e, "while sending")
        except InvalidStatus as e:
            return "unexpected", f"ws handshake refused: {e.response.status_code}"
        except TimeoutError:
            return "unexpected", "ws: no handshake answer or close frame within 20 s"

    def ws_closed(self, t0, exc, when, code=None, reason=None):
        if exc is not None:
            rcvd = exc.rcvd
            code, reason = (rcvd.code, rcvd.reason) if rcvd else (None, None)
        if code == 1000:
            return "ok", ""
        if code in (4014, 4001) and outage_status(code - 4000, reason):
            return self.outage_or_unexpected(t0, f"ws close {code}: {(reason or '')[:90]}")
        return "unexpected", f"ws closed {when}: code {code} {reason!r}"

    async def k_chat_ws(self, t0):
        return await self.ws_chat(t0, random.randint(1, 5), quit_=random.random() < 0.3)

    async def k_vanish_ws(self, t0):
        return await self.ws_chat(t0, 1, vanish=True)

    async def k_long_ws(self, t0):
        return await self.ws_chat(t0, 60, pace=1.0)

    # Mid-request vanish and stall --------------------------------------------------------

    async def k_vanish_request(self, t0):
        reader, writer = await open_conn(self.port)
        body = self.echo_body
        writer.write(request_head("POST", "/v1/echo", self.port, {"Content-Type": "application/json"}, len(body)) + body[: len(body) // 3])
        await writer.drain()
        await asyncio.sleep(random.uniform(0, 0.2))
        close(writer, reset=random.random() < 0.5)
        return "abandoned", "POST, a third of the body sent"

    async def k_stalled(self, t0):
        reader, writer = await open_conn(self.port)
        try:
            writer.write(request_head("POST", "/v1/echo", self.port, {"Content-Type": "application/json"}, 100) + b'{"fString":')
            await writer.drain()
            status, rh = await read_head(reader)
            body, _ = await read_body(reader, rh)
        except (asyncio.IncompleteReadError, ConnectionError) as e:
            return "unexpected", f"stalled body: no answer ({e!r}) after {now() - t0:.1f} s"
        finally:
            close(writer)
        waited = now() - t0
        if status == 408 and 29 <= waited <= 45:
            return "rejected", "408 after ~30 s"
        return "unexpected", f"stalled body: HTTP {status} after {waited:.1f} s {body[:200]!r}"

    # Running ------------------------------------------------------------------------------

    async def run_one(self, kind, deadline):
        fn = getattr(self, f"k_{kind}")
        t0 = now()
        progress = {"bytes": 0, "last": t0}
        PROGRESS.set(progress)
        if kind in STREAM_KINDS:
            self.stats.opened[kind] += 1
        self.stats.inflight[kind] += 1
        try:
            cls, detail = await asyncio.wait_for(fn(t0), deadline)
        except asyncio.TimeoutError:
            cls, detail = "unexpected", f"no outcome within {deadline} s"
            if progress["bytes"]:
                detail += f" ({progress['bytes']:,} bytes received, the last {now() - progress['last']:.1f} s before)"
        except Unexpected as e:
            cls, detail = "unexpected", str(e)
        except Exception as e:  # noqa: BLE001 - every failure is classified
            cls, detail = "unexpected", f"{type(e).__name__}: {e}"
        finally:
            self.stats.inflight[kind] -= 1
        t1 = now()
        if cls == "ok":
            self.last_ok = t1
        self.stats.record(kind, cls, detail, self.rel(t0), self.rel(t1))
        return cls

    def spawn(self, kind, deadline):
        task = asyncio.ensure_future(self.run_one(kind, deadline))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def launcher(self, rates):
        """Starts each kind at its rate (exponential gaps). Launch times are absolute, so a driver
        that wakes a little late catches up; launches more than a second overdue (a driver starved
        of CPU by a busy machine) are dropped and counted as `late`, not sent in a burst."""
        t = now()
        due = {k: t + random.expovariate(r) for k, (r, _) in rates.items()}
        while not self.stop:
            await asyncio.sleep(0.005)
            t = now()
            for kind, (rate, deadline) in rates.items():
                while due[kind] <= t and not self.stop:
                    overdue = t - due[kind]
                    due[kind] += random.expovariate(rate)
                    if overdue > 1.0:
                        self.stats.late[kind] += 1
                    elif self.stats.inflight[kind] >= 200:
                        self.stats.skipped[kind] += 1
                    else:
                        self.spawn(kind, deadline)

    async def steady(self, kind, count, deadline):
        async def one():
            await asyncio.sleep(random.uniform(0, 5))
            while not self.stop:
                if await self.run_one(kind, deadline) != "ok":
                    await asyncio.sleep(1)  # no tight loop while the backend is down

        await asyncio.gather(*(one() for _ in range(count)))

    # Processes ------------------------------------------------------------------------------

    async def start_backend(self):
        log = open(os.path.join(self.a.work, "backend.log"), "ab")
        for attempt in range(10):
            self.backend = await asyncio.create_subprocess_exec(
                self.a.backend, "--port", str(self.a.backend_port), "--files", os.path.join(self.a.work, "files"),
                "--shutdown-grace", "1", stdout=asyncio.subprocess.PIPE, stderr=log, preexec_fn=self.child_priority,
            )
            with open(os.path.join(self.a.work, "backend.pid"), "w") as f:
                f.write(str(self.backend.pid))
            line = await asyncio.wait_for(self.backend.stdout.readline(), 30)
            if b"listening" in line:
                self.background(self.backend.stdout.read())  # keep the pipe drained
                return now()
            await self.backend.wait()
            self.backend_events.append(f"demo-backend did not start at {self.rel(now())} s (attempt {attempt + 1}; see backend.log)")
            await asyncio.sleep(1)
        raise SystemExit("demo-backend does not start")

    def child_priority(self):
        """Portico and demo-backend run at --child-nice (0 by default), not at the driver's nice 10."""
        os.setpriority(os.PRIO_PROCESS, 0, self.a.child_nice)

    def background(self, coro):
        task = asyncio.ensure_future(coro)
        self.helpers.add(task)
        task.add_done_callback(self.helpers.discard)

    async def restarter(self):
        n = 0
        while not self.stop:
            try:
                await asyncio.wait_for(self.stopped.wait(), self.a.restart_minutes * 60)
                break
            except asyncio.TimeoutError:
                pass
            n += 1
            sig = signal.SIGKILL if n % 2 == 1 else signal.SIGTERM
            t_kill = now()
            self.outages.begin(t_kill)
            self.backend.send_signal(sig)
            await self.backend.wait()
            t_exit = now()
            await asyncio.sleep(self.a.down_seconds)
            t_start = now()
            t_ready = await self.start_backend()
            self.outages.end(t_ready)
            self.restarts.append({
                "n": n, "signal": sig.name, "kill": self.rel(t_kill), "exited": self.rel(t_exit),
                "started": self.rel(t_start), "ready": self.rel(t_ready), "window_end": self.rel(t_ready + self.a.grace),
            })
            self.background(self.first_ok_after_restart(n, t_ready))

    async def first_ok_after_restart(self, n, t_ready):
        """The first GET /v1/users/1 that succeeds after the restarted backend is ready."""
        while now() - t_ready < 60:
            try:
                status, _, _ = await self.unary("GET", "/v1/users/1", KEY_HEADERS)
                if status == 200:
                    self.restarts[n - 1]["first_ok_after_ready_s"] = round(now() - t_ready, 3)
                    return
            except Exception:
                pass
            await asyncio.sleep(0.05)

    # Sampling -------------------------------------------------------------------------------

    async def admin_get(self, path):
        reader, writer = await asyncio.wait_for(open_conn(self.a.admin_port), 5)
        try:
            writer.write(request_head("GET", path, self.a.admin_port, {"Connection": "close"}))
            await writer.drain()
            status, rh = await asyncio.wait_for(read_head(reader), 5)
            body, _ = await asyncio.wait_for(read_body(reader, rh), 5)
            return status, body
        finally:
            close(writer)

    async def sample(self, label=""):
        pid = self.portico.pid
        s = {"t": self.rel(now()), "label": label}
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    s["rss_kib"] = int(line.split()[1])
                elif line.startswith("Threads:"):
                    s["threads"] = int(line.split()[1])
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
            s["cpu_ticks"] = int(fields[11]) + int(fields[12])
        fds = os.listdir(f"/proc/{pid}/fd")
        kinds = Counter()
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            kinds["socket" if target.startswith("socket:") else "other"] += 1
        s["fds"] = len(fds)
        s["fds_socket"] = kinds["socket"]
        s["fds_other"] = kinds["other"]
        try:
            status, body = await self.admin_get("/metrics")
            m = parse_metrics(body.decode())
            s["active_requests"] = m.get("http_server_active_requests", 0)
            s["http_connections"] = m.get("portico_http_connections", 0)
            s["upstream_connections"] = m.get("portico_upstream_connections", 0)
            s["calls_by_status"] = m.get("calls_by_status", {})
            status, _ = await self.admin_get("/readyz")
            s["readyz"] = status
        except Exception as e:  # noqa: BLE001
            s["admin_error"] = repr(e)
        s["backend_up"] = not any(e is None or (st <= now() <= e) for st, e in self.outages.windows)
        ru = resource.getrusage(resource.RUSAGE_SELF)
        s["driver_cpu_s"] = round(ru.ru_utime + ru.ru_stime, 2)
        s["loop_lag_ms"] = round(self.max_lag * 1000, 1)
        self.max_lag = 0.0
        s["counts"] = dict(self.stats.interval)
        s["unexpected_kinds"] = dict(self.stats.interval_unexpected_kinds)
        self.stats.interval = Counter()
        self.stats.interval_unexpected_kinds = Counter()
        s["streams_open"] = sum(self.stats.opened[k] - self.stats.finished[k] for k in STREAM_KINDS)
        s["inflight"] = sum(self.stats.inflight.values())
        return s

    async def sampler(self):
        next_t = now()
        while not self.stop:
            next_t += self.a.interval
            try:
                await asyncio.wait_for(self.stopped.wait(), max(0, next_t - now()))
                break
            except asyncio.TimeoutError:
                pass
            if self.portico.returncode is not None:
                self.events.append(f"portico exited with status {self.portico.returncode} at {self.rel(now())} s")
                self.stopped.set()
                self.stop = True
                break
            s = await self.sample()
            self.samples.append(s)
            print(
                f"[{s['t']:7.0f} s] RSS {s['rss_kib'] / 1024:6.1f} MiB fds {s['fds']:4d} threads {s['threads']} "
                f"active {s.get('active_requests')} conns {s.get('http_connections')} upstream {s.get('upstream_connections')} "
                f"readyz {s.get('readyz')} lag {s['loop_lag_ms']} ms cpu {s['driver_cpu_s']} s {s['counts']}",
                file=sys.stderr, flush=True,
            )

    async def lag_monitor(self):
        """The driver's own health: how late a 100 ms sleep wakes up (a starved driver sends less)."""
        while not self.stop:
            t = now()
            await asyncio.sleep(0.1)
            self.max_lag = max(self.max_lag, now() - t - 0.1)

    async def wait_ready(self):
        for _ in range(300):
            try:
                status, _, _ = await self.unary("GET", "/v1/users/1", KEY_HEADERS)
                if status == 200:
                    return
            except Exception:
                pass
            await asyncio.sleep(0.1)
        raise SystemExit("Portico does not answer GET /v1/users/1")

    async def main(self):
        self.stopped = asyncio.Event()
        os.makedirs(os.path.join(self.a.work, "files"), exist_ok=True)
        await self.start_backend()
        plog = open(os.path.join(self.a.work, "portico.log"), "ab")
        self.portico = await asyncio.create_subprocess_exec(
            self.a.portico, "serve", "--config", self.a.config, "--log-level", self.a.log_level, stdout=plog, stderr=plog,
            preexec_fn=self.child_priority,
        )
        with open(os.path.join(self.a.work, "portico.pid"), "w") as f:
            f.write(str(self.portico.pid))
        await self.wait_ready()
        self.pool.close_all()
        await asyncio.sleep(2)
        idle_start = await self.sample("idle before the load")
        self.t_load = now()
        total = sum(v[0] for v in MIX.values())
        jobs = [self.launcher({k: (self.a.rate * share / total, dl) for k, (share, dl, _) in MIX.items()})]
        jobs += [self.steady(k, n, dl) for k, (n, dl, _) in STEADY.items()]
        jobs += [self.sampler(), self.restarter(), self.lag_monitor()]

        async def timer():
            try:
                await asyncio.wait_for(self.stopped.wait(), self.a.minutes * 60)
            except asyncio.TimeoutError:
                pass
            self.stop = True
            self.stopped.set()

        await asyncio.gather(timer(), *jobs)
        t_stop = now()
        # Let what is in flight finish (each request has its deadline), then let Portico settle.
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=200)
        for task in self.helpers:
            task.cancel()
        unfinished = {k: self.stats.opened[k] - self.stats.finished[k] for k in STREAM_KINDS if self.stats.opened[k] != self.stats.finished[k]}
        self.pool.close_all()
        await asyncio.sleep(5)
        crashed = self.portico.returncode is not None
        idle_end = None if crashed else await self.sample("idle after the load")
        drain = {}
        if not crashed:
            t = now()
            self.portico.send_signal(signal.SIGTERM)
            try:
                drain["exit_status"] = await asyncio.wait_for(self.portico.wait(), 40)
            except asyncio.TimeoutError:
                drain["exit_status"] = "still running after 40 s"
                self.portico.kill()
            drain["seconds"] = round(now() - t, 3)
        self.backend.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.backend.wait(), 10)
        except asyncio.TimeoutError:
            self.backend.kill()
        result = {
            "settings": vars(self.a) | {"jwt": "(a demo-idp token)"},
            "mix": {k: {"share": v[0], "deadline": v[1], "stream": v[2]} for k, v in MIX.items()},
            "steady": {k: {"count": v[0], "deadline": v[1], "stream": v[2]} for k, v in STEADY.items()},
            "load_seconds": round(t_stop - self.t_load, 1),
            "load_start": self.rel(self.t_load),
            "samples": self.samples,
            "idle_start": idle_start,
            "idle_end": idle_end,
            "restarts": self.restarts,
            "windows": [[self.rel(s), self.rel(e) if e else None] for s, e in self.outages.windows],
            "by_kind": {k: dict(v) for k, v in self.stats.by_kind.items()},
            "opened": dict(self.stats.opened),
            "finished": dict(self.stats.finished),
            "unfinished": unfinished,
            "skipped": dict(self.stats.skipped),
            "late": dict(self.stats.late),
            "unexpected": self.stats.unexpected,
            "details": {k: dict(v) for k, v in self.stats.details.items()},
            "events": self.events,
            "backend_events": self.backend_events,
            "crashed": crashed,
            "drain": drain,
            "hz": os.sysconf("SC_CLK_TCK"),
        }
        with open(os.path.join(self.a.work, "soak.json"), "w") as f:
            json.dump(result, f, indent=1)


def parse_metrics(text):
    out = Counter()
    calls = Counter()
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name_labels, _, value = line.rpartition(" ")
        name = name_labels.split("{", 1)[0]
        try:
            v = float(value)
        except ValueError:
            continue
        if name in ("http_server_active_requests", "portico_http_connections", "portico_upstream_connections"):
            out[name] += v
        elif name == "rpc_client_call_duration_seconds_count":
            code = name_labels.split('rpc_status_code="', 1)[1].split('"', 1)[0] if "rpc_status_code" in name_labels else "?"
            calls[code] += v
    result = {k: int(v) for k, v in out.items()}
    result["calls_by_status"] = {k: int(v) for k, v in calls.items()}
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--portico", required=True)
    p.add_argument("--backend", required=True)
    p.add_argument("--config", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--admin-port", type=int, required=True)
    p.add_argument("--backend-port", type=int, required=True)
    p.add_argument("--jwt", required=True)
    p.add_argument("--echo-body", required=True)
    p.add_argument("--minutes", type=float, default=30)
    p.add_argument("--restart-minutes", type=float, default=5)
    p.add_argument("--down-seconds", type=float, default=5)
    p.add_argument("--grace", type=float, default=2)
    p.add_argument("--rate", type=float, default=100)
    p.add_argument("--interval", type=float, default=10)
    p.add_argument("--log-level", default="warning")
    p.add_argument("--child-nice", type=int, default=0)
    args = p.parse_args()
    driver = Driver(args)
    try:
        asyncio.run(driver.main())
    finally:
        for proc in (driver.portico, driver.backend):
            if proc is not None and proc.returncode is None:
                try:
                    os.kill(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


if __name__ == "__main__":
    main()
