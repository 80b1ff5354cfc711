import NIOCore
import NIOHTTP1
import TextCoding
import Upstream

/// One access-log line, written by hand into a reused byte array (no `JSONEncoder`, no
/// `String` per field). JSON: one object with every field, `null` where a field does not apply
/// (no route, no upstream call). Text: the same fields as `key=value`, strings quoted.
///
/// ```json
/// {"time":"2025-01-02T03:04:05.678Z","remote":"10.0.0.7","method":"GET","path":"/v1/users/1",
///  "route":"/v1/users/{id}","status":200,"grpc_method":"demo.user.v1.UserService/GetUser",
///  "grpc_status":"OK","backend":"users","endpoint":"10.0.1.2:50051","request_bytes":0,
///  "response_bytes":48,"duration_ms":1.204,"upstream_ms":0.913,"request_id":"5f0c…","user_agent":"curl/8.5.0"}
/// ```
struct AccessLogLine {
    /// Every field, as the access log names them.
    static let fields = [
        "time", "remote", "method", "path", "route", "status", "grpc_method", "grpc_status", "backend", "endpoint",
        "request_bytes", "response_bytes", "duration_ms", "upstream_ms", "request_id", "user_agent",
    ]

    /// Wall-clock time of the request's end, nanoseconds since 1970.
    var time: Int64
    /// The client's IP address.
    var remote: String?
    /// The request's method.
    var method: HTTPMethod
    /// The path without the query.
    var path: Substring
    /// The matched route (template, method, backend); nil when none matched.
    var route: RouteTelemetry?
    /// The HTTP status sent.
    var status: Int
    /// The upstream call, if one was made.
    var call: CallSummary?
    /// Body (or WebSocket payload) bytes received.
    var requestBytes: Int
    /// Body (or WebSocket payload) bytes sent.
    var responseBytes: Int
    /// From the request's head to its end.
    var duration: TimeAmount
    /// `X-Request-Id`.
    var requestID: String?
    /// `User-Agent`.
    var userAgent: String?

    /// Appends `nanoseconds` since 1970 as an unquoted RFC 3339 UTC time with milliseconds.
    static func writeTimestamp(_ nanoseconds: Int64, into out: inout [UInt8]) {
        var writer = LineWriter(out: out, json: false)
        out = []
        writer.timestamp(nanoseconds)
        out = writer.out
    }

    /// Appends `text` quoted, with JSON escapes.
    static func writeQuoted(_ text: String, into out: inout [UInt8]) {
        var writer = LineWriter(out: out, json: true)
        out = []
        writer.quoted(text)
        out = writer.out
    }

    /// Appends the line, with its `\n`, to `out`.
    func write(_ format: GatewayConfig.LoggingSettings.Format, into out: inout [UInt8]) {
        var line = LineWriter(out: out, json: format == .json)
        out = []
        line.begin()
        line.key("time")
        line.timestamp(time)
        line.string("remote", remote)
        line.string("method", method.rawValue)
        line.string("path", path)
        line.string("route", route?.httpRoute)
        line.key("status")
        line.int(status)
        line.string("grpc_method", route?.rpcMethod)
        line.string("grpc_status", call?.status.name)
        line.string("backend", route?.backend)
        line.string("endpoint", call?.endpointLabel ?? call?.endpoint.map(UpstreamTelemetry.label))
        line.key("request_bytes")
        line.int(requestBytes)
        line.key("response_bytes")
        line.int(responseBytes)
        line.key("duration_ms")
        line.milliseconds(duration)
        line.key("upstream_ms")
        if let upstream = call?.duration { line.milliseconds(upstream) } else { line.absent() }
        line.string("request_id", requestID)
        line.string("user_agent", userAgent)
        line.end()
        out = line.out
    }
}

/// Appends one line's fields in JSON or text form.
private struct LineWriter {
    var out: [UInt8]
    let json: Bool
    private var first = true

    init(out: [UInt8], json: Bool) {
        self.out = out
        self.json = json
    }

    mutating func begin() {
        if json { out.append(UInt8(ascii: "{")) }
    }

    mutating func end() {
        if json { out.append(UInt8(ascii: "}")) }
        out.append(UInt8(ascii: "\n"))
    }

    /// Writes the separator and `name` (`"name":` or `name=`); the value follows.
    @inline(__always)
    mutating func key(_ name: StaticString) {
        if !first { out.append(json ? UInt8(ascii: ",") : UInt8(ascii: " ")) }
        first = false
        if json { out.append(UInt8(ascii: "\"")) }
        out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        if json { out.append(UInt8(ascii: "\"")) }
        out.append(json ? UInt8(ascii: ":") : UInt8(ascii: "="))
    }

    /// A field that does not apply: `null` (JSON) or `-` (text).
    @inline(__always)
    mutating func absent() {
        if json {
            out.append(contentsOf: [UInt8(ascii: "n"), UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")])
        } else {
            out.append(UInt8(ascii: "-"))
        }
    }

    /// A string field, quoted, or ``absent()``.
    @inline(__always)
    mutating func string<S: StringProtocol>(_ name: StaticString, _ value: S?) {
        key(name)
        if let value { quoted(value) } else { absent() }
    }

    mutating func int(_ value: Int) {
        if value < 0 {
            out.append(UInt8(ascii: "-"))
            digits(UInt64(-value), minimum: 1)
        } else {
            digits(UInt64(value), minimum: 1)
        }
    }

    /// Milliseconds with three decimals (microsecond resolution).
    mutating func milliseconds(_ amount: TimeAmount) {
        let micros = max(amount.nanoseconds, 0) / 1000
        digits(UInt64(micros / 1000), minimum: 1)
        out.append(UInt8(ascii: "."))
        digits(UInt64(micros % 1000), minimum: 3)
    }

    /// RFC 3339 UTC with milliseconds, quoted in JSON: `2025-01-02T03:04:05.678Z`.
    mutating func timestamp(_ nanoseconds: Int64) {
        let millis = nanoseconds / 1_000_000
        let seconds = millis / 1000
        let days = seconds / 86_400
        let secondOfDay = seconds % 86_400
        let (year, month, day) = CivilCalendar.date(days: days)
        if json { out.append(UInt8(ascii: "\"")) }
        digits(UInt64(year), minimum: 4)
        out.append(UInt8(ascii: "-"))
        digits(UInt64(month), minimum: 2)
        out.append(UInt8(ascii: "-"))
        digits(UInt64(day), minimum: 2)
        out.append(UInt8(ascii: "T"))
        digits(UInt64(secondOfDay / 3600), minimum: 2)
        out.append(UInt8(ascii: ":"))
        digits(UInt64(secondOfDay / 60 % 60), minimum: 2)
        out.append(UInt8(ascii: ":"))
        digits(UInt64(secondOfDay % 60), minimum: 2)
        out.append(UInt8(ascii: "."))
        digits(UInt64(millis % 1000), minimum: 3)
        out.append(UInt8(ascii: "Z"))
        if json { out.append(UInt8(ascii: "\"")) }
    }

    private mutating func digits(_ value: UInt64, minimum: Int) {
        var buffer: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &buffer) { raw in
            var index = raw.count
            var rest = value
            repeat {
                index -= 1
                raw[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0 || raw.count - index < minimum
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[index...]))
        }
    }

    /// A quoted string with JSON escapes (both formats: a text line stays one line).
    mutating func quoted<S: StringProtocol>(_ value: S) {
        out.append(UInt8(ascii: "\""))
        if value.utf8.withContiguousStorageIfAvailable({ escaped($0) }) == nil {
            Array(value.utf8).withUnsafeBufferPointer { escaped($0) }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends `bytes` with JSON escapes, each run of bytes that need none in one copy.
    private mutating func escaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        var start = 0
        for index in bytes.indices {
            let byte = bytes[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == 0x7F else {
                continue
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
            escape(byte)
            start = index + 1
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
    }

    private mutating func escape(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
        case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
        case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
        case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
        case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
        default:
            let hex: StaticString = "0123456789abcdef"
            out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            hex.withUTF8Buffer { digits in
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0xF)])
            }
        }
    }
}
