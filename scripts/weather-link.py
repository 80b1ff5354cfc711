#!/usr/bin/env python3
"""A link with weather: a two-port Ethernet bridge in user space that delays, jitters, drops,
reorders, rate-limits and partitions the frames it forwards (what `tc qdisc ... netem` does, for
kernels built without sch_netem).

Run it inside a network namespace that holds two interfaces, each one end of a veth pair whose
other end is a host (the gateway's namespace, the backend's):

    ip netns exec LINK_NS python3 scripts/weather-link.py IFACE_A IFACE_B

Both hosts' kernels run real TCP over it: a dropped frame is retransmitted, a late one reorders,
a partition is silence (no RST, no ICMP), exactly as over a bad network. The hosts' veth ends
must not hand it TSO/GSO super-frames (create them with `gso_max_segs 1`), so each frame is one
packet; checksums stay the kernel's business (PACKET_VNET_HDR carries their offload state
through).

Commands, one per line on standard input (answered with one line on standard output):
    weather delay=50 jitter=20 loss=2 reorder=5 rate=0 limit=10000
                      every key optional; ms, ms, %, %, bytes/s (0 = unlimited), frames
    partition         drop every frame, both directions, and whatever is queued
    heal              forward again (the weather stays)
    stats             forwarded, dropped and queued frame counts
    quit              exit
It prints `ready` once both sockets are bound, and exits when standard input closes.

Delay per frame is uniform in [delay - jitter, delay + jitter] (never below 0), so jitter alone
reorders frames, as netem's does; `reorder` sends that share of frames at once, ahead of the
queue (netem's `reorder`). Loss and reordering apply to every frame, ARP included.
"""

import heapq
import os
import random
import select
import socket
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_VNET_HDR = 15
PACKET_OUTGOING = 4


class Weather:
    """The impairments, changed by `weather` commands."""

    def __init__(self):
        self.delay = 0.0  # seconds
        self.jitter = 0.0  # seconds
        self.loss = 0.0  # probability
        self.reorder = 0.0  # probability
        self.rate = 0.0  # bytes per second, 0 = unlimited
        self.limit = 10000  # frames queued per direction
        self.partitioned = False

    def update(self, assignments):
        for item in assignments:
            key, _, value = item.partition("=")
            number = float(value)
            if key == "delay":
                self.delay = number / 1000
            elif key == "jitter":
                self.jitter = number / 1000
            elif key == "loss":
                self.loss = number / 100
            elif key == "reorder":
                self.reorder = number / 100
            elif key == "rate":
                self.rate = number
            elif key == "limit":
                self.limit = int(number)
            else:
                raise ValueError(f"unknown key {key}")


class Direction:
    """Frames read from one interface and written to the other, with their own queue and clock."""

    def __init__(self, source, sink):
        self.source = source
        self.sink = sink
        self.busy_until = 0.0  # when the rate-limited link finishes its last frame
        self.queued = 0


def open_socket(interface):
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    sock.bind((interface, 0))
    sock.setblocking(False)
    return sock


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: weather-link.py IFACE_A IFACE_B")
    a, b = open_socket(sys.argv[1]), open_socket(sys.argv[2])
    directions = {a: Direction(a, b), b: Direction(b, a)}
    weather = Weather()
    queue = []  # (release time, sequence, direction, frame)
    sequence = 0
    counts = {"forwarded": 0, "lost": 0, "partitioned": 0, "overflow": 0, "reordered": 0, "interface_down": 0}
    commands = sys.stdin.fileno()
    os.set_blocking(commands, False)
    pending_input = b""
    print("ready", flush=True)

    def command(line):
        nonlocal queue
        words = line.split()
        if not words:
            return
        verb = words[0]
        if verb == "weather":
            weather.update(words[1:])
            print("ok", flush=True)
        elif verb == "partition":
            weather.partitioned = True
            counts["partitioned"] += len(queue)
            queue = []
            for direction in directions.values():
                direction.queued = 0
            print("ok", flush=True)
        elif verb == "heal":
            weather.partitioned = False
            print("ok", flush=True)
        elif verb == "stats":
            fields = " ".join(f"{k}={v}" for k, v in counts.items())
            print(f"{fields} queued={len(queue)}", flush=True)
        elif verb == "quit":
            sys.exit(0)
        else:
            print(f"error unknown command {verb}", flush=True)

    while True:
        now = time.monotonic()
        timeout = max(0.0, queue[0][0] - now) if queue else 1.0
        readable, _, _ = select.select([a, b, commands], [], [], timeout)
        for source in readable:
            if source == commands:
                chunk = os.read(commands, 4096)
                if not chunk:
                    return
                pending_input += chunk
                while b"\n" in pending_input:
                    line, _, pending_input = pending_input.partition(b"\n")
                    try:
                        command(line.decode())
                    except ValueError as error:
                        print(f"error {error}", flush=True)
                continue
            direction = directions[source]
            while True:
                try:
                    frame, address = source.recvfrom(65536 + 64)
                except BlockingIOError:
                    break
                except OSError:
                    # ENETDOWN once, after `ip link set ... down` on this interface (a partition
                    # made by the link's state): the socket keeps its binding and reads again
                    # when the interface is up.
                    counts["interface_down"] += 1
                    break
                if address[2] == PACKET_OUTGOING:
                    continue  # our own writes to this interface
                if weather.partitioned:
                    counts["partitioned"] += 1
                    continue
                if weather.loss and random.random() < weather.loss:
                    counts["lost"] += 1
                    continue
                if direction.queued >= weather.limit:
                    counts["overflow"] += 1
                    continue
                now = time.monotonic()
                start = now
                if weather.rate:
                    start = max(now, direction.busy_until) + len(frame) / weather.rate
                    direction.busy_until = start
                if weather.reorder and random.random() < weather.reorder:
                    release = start
                    counts["reordered"] += 1
                else:
                    spread = random.uniform(-weather.jitter, weather.jitter) if weather.jitter else 0.0
                    release = start + max(0.0, weather.delay + spread)
                sequence += 1
                direction.queued += 1
                heapq.heappush(queue, (release, sequence, direction, frame))
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, direction, frame = heapq.heappop(queue)
            direction.queued -= 1
            try:
                direction.sink.send(frame)
                counts["forwarded"] += 1
            except OSError:
                counts["overflow"] += 1


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
