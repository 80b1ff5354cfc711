#!/usr/bin/env python3
"""Opens COUNT keep-alive HTTP/1.1 connections to HOST:PORT for Benchmarks/bench.sh.

Each connection sends one `GET PATH` and reads its response, then stays open and idle. When all
are answered it prints `ready <open> <answered 200> <seconds>` and waits for SIGTERM/SIGINT; it
then prints `still-open <n>` (connections the server has not closed meanwhile) and closes them all.

Usage: idle_connections.py HOST PORT COUNT [PATH]
"""
import errno
import resource
import selectors
import signal
import socket
import sys
import time

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
path = sys.argv[4] if len(sys.argv) > 4 else "/v1/users/1"
request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
in_flight_limit = 256  # connects and requests outstanding at once (the gateway's backlog is 1024)

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < count + 64:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 1024), hard))

selector = selectors.DefaultSelector()
connections = []  # every socket, kept open
pending = {}  # socket -> bytes received so far
answered = failed = 0
opened = 0
start = time.monotonic()


def response_complete(data):
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return None
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if len(body) < length:
        return None
    return head.split(b" ", 2)[1] == b"200"


while answered + failed < count:
    while opened < count and len(pending) < in_flight_limit:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        error = s.connect_ex((host, port))
        if error not in (0, errno.EINPROGRESS):
            raise OSError(error, f"connect #{opened}: {errno.errorcode.get(error, error)}")
        connections.append(s)
        pending[s] = None  # None: connecting
        selector.register(s, selectors.EVENT_WRITE)
        opened += 1
    if time.monotonic() - start > 120:
        sys.exit(f"timed out: {answered} answered, {failed} failed, {len(pending)} pending of {count}")
    for key, events in selector.select(timeout=1):
        s = key.fileobj
        if pending[s] is None:
            error = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if error:
                raise OSError(error, f"connect: {errno.errorcode.get(error, error)}")
            s.send(request)
            pending[s] = b""
            selector.modify(s, selectors.EVENT_READ)
            continue
        data = s.recv(65536)
        if not data:
            failed += 1
            selector.unregister(s)
            del pending[s]
            continue
        pending[s] += data
        ok = response_complete(pending[s])
        if ok is not None:
            answered += ok
            failed += not ok
            selector.unregister(s)
            del pending[s]

print(f"ready {len(connections)} {answered} {time.monotonic() - start:.1f}", flush=True)

stop = False


def on_signal(signum, frame):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)
while not stop:
    time.sleep(0.2)

still_open = 0
for s in connections:
    try:
        still_open += s.recv(1) != b""  # data would be a protocol error; b"" is a close
    except BlockingIOError:
        still_open += 1
    except OSError:
        pass
    s.close()
print(f"still-open {still_open}", flush=True)
