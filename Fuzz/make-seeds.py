#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into Fuzz/Corpus/<target>/seed-*.

Seeds are small, real inputs: conformance-style JSON and wire messages, the demo's requests and
routes, HTTP/2 server answers, Gateway.yaml files. Each target's input layout is documented in its
source file (Fuzz/Sources/<target>/). Run from anywhere: python3 Fuzz/make-seeds.py
"""
import json
import re
import os
import struct

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FUZZ)


def write(target, name, data):
    folder = os.path.join(FUZZ, "Corpus", target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, "seed-" + name), "wb") as f:
        f.write(data)


def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def tag(number, wire):
    return varint(number << 3 | wire)


def ld(number, payload):
    return tag(number, 2) + varint(len(payload)) + payload


# a. JSON -> protobuf: message byte (0 proto3, 1 proto2, 2-4 Editions, 5+ demo), options byte.
PROTO3_JSON = [
    {"optionalInt32": 1, "optionalInt64": "-9007199254740993", "optionalUint64": "18446744073709551615",
     "optionalString": "h\u00e9llo", "optionalBytes": "AAEC/w==", "optionalBool": True,
     "optionalFloat": 1.5, "optionalDouble": -0.0, "optionalNestedEnum": "BAZ"},
    {"optionalNestedMessage": {"a": 5, "corecursive": {"optionalInt32": 7}},
     "repeatedInt32": [1, -2, 3], "repeatedString": ["a", "b"], "repeatedNestedEnum": ["FOO", 2],
     "mapStringString": {"k": "v"}, "mapInt32Int32": {"-1": 2}, "mapBoolBool": {"true": False},
     "mapStringNestedMessage": {"m": {"a": 1}}},
    {"oneofUint32": 7},
    {"optionalTimestamp": "1970-01-01T00:00:00.000000001Z", "optionalDuration": "-1.5s",
     "optionalFieldMask": "fooBar,baz", "optionalStruct": {"a": [1, None, True, {"b": "c"}]},
     "optionalAny": {"@type": "type.googleapis.com/google.protobuf.Duration", "value": "1s"},
     "optionalValue": None, "optionalBoolWrapper": False, "optionalInt64Wrapper": "5",
     "repeatedTimestamp": ["2001-02-03T04:05:06+07:00"], "optionalFloat": "NaN", "optionalDouble": "-Infinity"},
    {"optional_int32": "1e5", "unknownField": 1, "optionalNestedEnum": "UNKNOWN_ENUM_VALUE"},
]
for i, doc in enumerate(PROTO3_JSON):
    write("FuzzJSONRequest", f"proto3-{i}", bytes([0, i & 0x1F]) + json.dumps(doc).encode())
    write("FuzzJSONRequest", f"proto2-{i}", bytes([1, 8]) + json.dumps(doc).encode())
write("FuzzJSONRequest", "edition2023", bytes([4, 0]) + b'{"groupliketype": {"groupInt32": 5}, "optionalInt32": 0}')
write("FuzzJSONRequest", "field-mode", bytes([0, 0x80, 18]) + b'{"a": 1}')
write("FuzzJSONRequest", "escaped-key", bytes([0, 0]) + b'{"optional\\u0049nt32": 3, "optionalString": "\\ud83d\\ude00"}')
write("FuzzJSONRequest", "bigint", bytes([0, 0]) + b'{"optionalUint64": 18446744073709551615, "optionalInt32": -2147483648}')
for m in range(5, 12):
    write("FuzzJSONRequest", f"demo-{m}", bytes([m, 0]) + b'{"id": "42", "name": "a", "fString": "s", "nested": {"label": "x"}}')

# b. protobuf -> JSON: message byte, options byte, wire bytes.
proto3_wire = [
    tag(1, 0) + varint(150) + tag(2, 0) + varint(-1) + tag(14, 2) + varint(2) + b"hi",
    ld(18, tag(1, 0) + varint(5)) + tag(31, 2) + varint(3) + varint(1) + varint(2) + varint(300),
    ld(56, tag(1, 0) + varint(1) + tag(2, 0) + varint(2)) + ld(61, ld(1, b"k") + ld(2, b"v")),
    tag(111, 0) + varint(7) + ld(112, tag(1, 0) + varint(1)),
    ld(101, tag(1, 0) + varint(1) + tag(2, 0) + varint(5)) + ld(102, tag(1, 0) + varint(2)),
    tag(12, 1) + struct.pack("<d", 1.25) + tag(11, 5) + struct.pack("<f", float("nan")),
    tag(21, 0) + varint(2) + tag(51, 0) + varint(99) + tag(9999, 0) + varint(1),
]
for i, wire in enumerate(proto3_wire):
    write("FuzzProtobufResponse", f"proto3-{i}", bytes([0, i & 0x1F]) + wire)
    write("FuzzProtobufResponse", f"proto2-{i}", bytes([1, 1]) + wire)
write("FuzzProtobufResponse", "proto2-group", bytes([1, 0]) + tag(201, 3) + tag(202, 0) + varint(5) + tag(201, 4))
write("FuzzProtobufResponse", "field-mode", bytes([0, 0x80, 18]) + ld(18, tag(1, 0) + varint(5)))
for m in range(5, 12):
    write("FuzzProtobufResponse", f"demo-{m}", bytes([m, 0]) + ld(1, b"42") + tag(2, 0) + varint(3))

# c. routing: selector (verb index; bit 7: a template up to NUL), then the request target.
VERBS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CUSTOM"]
targets = [
    ("GET", "/v1/users/42"), ("GET", "/v1/echo?fString=a&fInt32=1&nested.label=x&rInt32=1&rInt32=2"),
    ("GET", "/v1/echo/a%2Fb/12"), ("POST", "/v1/echo/x:nested"), ("GET", "/v1/shelves/1/books/2"),
    ("POST", "/v1/shelves/1/books/2:archive"), ("GET", "/v1/tree/a/b/c"), ("DELETE", "/v1/echo/5"),
    ("PATCH", "/v1/echo/5?updateMask=a"), ("GET", "/v1/files/report.txt:chunks"), ("PUT", "/v1/files/a"),
    ("GET", "/v1/echo?fTimestamp=2020-01-01T00:00:00Z&fDuration=1s&fBytes=AA%3D%3D&fEnum=ONE"),
]
for i, (verb, target) in enumerate(targets):
    write("FuzzRouting", f"lookup-{i}", bytes([VERBS.index(verb)]) + target.encode())
templates = ["/v2/{f_string=a/*/b/**}:verb", "/v2/{nested.label}/x/*", "/v2/**", "/v2/{f_int32}/{f_int64=*}"]
for i, template in enumerate(templates):
    write("FuzzRouting", f"template-{i}", bytes([0x80 | 0x20]) + template.encode() + b"\0" + b"/v2/a/1/b/c:verb?fBool=true")


# d. HTTP front end: chunk, advance, backend mode, request length (2 bytes LE), request, backend part.
def front(request, messages=(), chunk=255, advance=0, mode=0, raw=None):
    head = bytes([chunk, advance, mode]) + struct.pack("<H", len(request)) + request
    if raw is not None:
        return head + raw
    return head + b"".join(struct.pack("<H", len(m)) + m for m in messages)


everything = ld(1, b"hi") + tag(3, 0) + varint(7)
http = [
    (b"GET /v1/echo?fString=hi HTTP/1.1\r\nHost: x\r\n\r\n", [everything]),
    (b"POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"fString\":\"hi\"}\n", [everything]),
    (b"GET /v1/users/1 HTTP/1.1\r\nHost: x\r\nappid: demo\r\nappkey: nope\r\n\r\n", []),
    (b"OPTIONS /v1/echo HTTP/1.1\r\nHost: x\r\nOrigin: http://localhost:3000\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n\r\n", []),
    (b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n", []),
    (b"POST /v1/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n{\"a\":1}\n\r\n0\r\n\r\n", [b"", b"\x0a\x01x"]),
    (b"GET /v1/files/report.txt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n", [ld(1, b"abc") * 3]),
    (b"GET /v1/echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", []),
    (b"PUT /v1/files/a HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 3\r\ngrpc-timeout: 1S\r\n\r\nabc", []),
    (b"GET /v1/echo HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 1.2.3.4\r\nAccept: text/event-stream\r\n\r\n", [everything]),
]
for i, (request, messages) in enumerate(http):
    write("FuzzHTTPFrontEnd", f"request-{i}", front(request, messages, mode=2 * (i % 3)))
write("FuzzHTTPFrontEnd", "slow-chunks", front(http[1][0], [everything], chunk=3, advance=200))
write("FuzzHTTPFrontEnd", "raw-goaway", front(http[0][0], mode=1, raw=bytes([0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2])))


# e. upstream: selector bit 0 clear = deframer (limit: 2 bytes), set = nghttp2 session.
def frame(ftype, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def grpc(message, compressed=False):
    return bytes([1 if compressed else 0]) + struct.pack(">I", len(message)) + message


write("FuzzUpstream", "deframe", bytes([0, 0, 1]) + grpc(b"abc") + grpc(b"") + grpc(b"zz", True) + grpc(b"x" * 10)[:8])
write("FuzzUpstream", "deframe-large", bytes([0, 4, 0]) + grpc(b"y" * 5))
headers = b"\x88\x0f\x10\x10application/grpc"
trailers = b"\x00\x0bgrpc-status\x010\x00\x0cgrpc-message\x03a%20"
answer = (frame(4, 0, 0, struct.pack(">HI", 3, 100) + struct.pack(">HI", 4, 1 << 20)) + frame(4, 1, 0, b"")
          + frame(1, 4, 1, headers) + frame(0, 0, 1, grpc(b"hello") + grpc(b"world"))
          + frame(1, 5, 1, trailers))
write("FuzzUpstream", "session", bytes([1 | (63 << 1)]) + answer)
write("FuzzUpstream", "session-small-chunks", bytes([1 | (4 << 1)]) + answer)
write("FuzzUpstream", "session-ping-goaway", bytes([0xFF]) + frame(4, 0, 0, b"") + frame(6, 0, 0, b"12345678")
      + frame(8, 0, 1, struct.pack(">I", 1000)) + frame(3, 0, 1, struct.pack(">I", 8)) + frame(7, 0, 0, struct.pack(">II", 1, 0)))

# f. JSON sequences: two bytes of limit, then the body.
for i, body in enumerate([
    b'{"a":1}\n{"b":[1,2,{"c":"d\\"}"}]}\n',
    b'{"a":1}{"b":2} 3 "x" true null -1.5e3',
    b'[ {"a":1}, [2], "s", 4 ]  ',
    b'[]', b'  {"a":"\\u00e9\\\\"}\r\n\t[ ]', b'{"a":1}}', b'[1,,2]', b'{"unterminated": "x',
]):
    write("FuzzJSONSequence", f"body-{i}", struct.pack("<H", 4096) + body)
write("FuzzJSONSequence", "small-limit", struct.pack("<H", 4) + b'{"a":1} [1] 12345')

# g. Gateway.yaml.
# The target builds only over Fuzz/Fixtures/fuzz.binpb (see its source): the demo's files are
# given its name and its service's (their routes then name fields fuzz.v1.Message lacks: problems
# the build reports, which is fuzzed too).
def over_fuzz_set(text):
    text = text.replace(b"Protos/demo.binpb", b"Fuzz/Fixtures/fuzz.binpb")
    text = re.sub(rb"demo\.\w+\.v1\.\w+Service\.\*", b"fuzz.v1.Echo.*", text)
    text = re.sub(rb"demo\.\w+\.v1\.\w+Service\.\w+", b"fuzz.v1.Echo.Say", text)
    return text.replace(b"demo.*", b"fuzz.*")


with open(os.path.join(ROOT, "Gateway.yaml"), "rb") as f:
    write("FuzzGatewayConfig", "demo", over_fuzz_set(f.read()))
with open(os.path.join(FUZZ, "Fixtures", "FrontEndFixture.yaml"), "rb") as f:
    write("FuzzGatewayConfig", "front-end", over_fuzz_set(f.read()))
write("FuzzGatewayConfig", "minimal", "protos: [Fuzz/Fixtures/fuzz.binpb]\nbackends: {demo: {endpoints: [127.0.0.1:1]}}\nservices: {fuzz.*: demo}\n")
write("FuzzGatewayConfig", "rules", """protos: [Fuzz/Fixtures/fuzz.binpb]
backends:
  demo: {endpoints: ["127.0.0.1:1", "unix:/tmp/x.sock"], timeout: 1.5s, maxConcurrentRequests: 10,
         retry: {attempts: 3, on: [UNAVAILABLE]}, healthCheck: {interval: 5s}}
services: {fuzz.*: demo}
http:
  autoMapping: true
  rules:
    - {selector: fuzz.v1.Echo.Say, post: "/v9/{text=a/*}:go", body: "*", response_body: child}
    - {selector: fuzz.v1.Echo.Watch, get: "/v9/watch/{child.text}"}
methods:
  fuzz.v1.Echo.Say: {timeout: 2s, json: {emitUnpopulated: true}}
rateLimits:
  - {selector: fuzz.v1.*, requestsPerSecond: 10, burst: 20, key: "header:x-user"}
trustedProxies: [10.0.0.0/8, "::1"]
compression: {responses: [gzip], minBytes: 10}
shutdown: {gracePeriod: 3s}
""")

# h. descriptor sets: bit 0 of the first byte adds Fuzz/Fixtures/fuzz.binpb first.
field = ld(1, b"f") + tag(3, 0) + varint(1) + tag(4, 0) + varint(1) + tag(5, 0) + varint(11) + ld(6, b".demo.x.M")
message = ld(1, b"M") + ld(2, field) + ld(2, ld(1, b"g") + tag(3, 0) + varint(2) + tag(4, 0) + varint(3) + tag(5, 0) + varint(5))
service = ld(1, b"S") + ld(2, ld(1, b"Get") + ld(2, b".demo.x.M") + ld(3, b".demo.x.M"))
small = ld(1, ld(1, b"x.proto") + ld(2, b"demo.x") + ld(4, message) + ld(6, service) + ld(12, b"proto3"))
write("FuzzDescriptorSet", "small", bytes([0]) + small)
write("FuzzDescriptorSet", "small-over-base", bytes([1]) + small)
