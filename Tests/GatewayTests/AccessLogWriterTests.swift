import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Prometheus
import Synchronization
import Testing

@testable import Gateway

/// The access-log writer off the event loops: lines queue while the sink is busy, go out in
/// order in batches, and are dropped (and counted) once the buffer is full — never blocking the
/// caller.
@Suite struct AccessLogWriterTests {
    /// A sink that blocks in `write` until released.
    final class BlockedSink: AccessLogSink {
        private let gate = ConditionLock(value: 0)
        private let written = Mutex<[[UInt8]]>([])
        private let entered = Mutex(0)

        func write(_ bytes: [UInt8]) {
            entered.withLock { $0 += 1 }
            gate.lock(whenValue: 1)
            gate.unlock()
            written.withLock { $0.append(bytes) }
        }

        func release() {
            gate.lock()
            gate.unlock(withValue: 1)
        }

        var writes: [[UInt8]] { written.withLock { $0 } }
        var entries: Int { entered.withLock { $0 } }
    }

    static func line(_ n: Int) -> [UInt8] {
        Array("line \(String(n).padding(toLength: 4, withPad: " ", startingAt: 0))\n".utf8)  // 10 bytes
    }

    @Test func aBlockedSinkDropsAndCountsWhatDoesNotFit() async throws {
        let registry = PrometheusCollectorRegistry()
        let dropped = registry.makeCounter(
            descriptor: MetricNameDescriptor(metricName: "dropped", unitName: "total", helpText: "dropped")
        )
        let sink = BlockedSink()
        let writer = AccessLogWriter(sink: sink, capacity: 50, dropped: dropped)
        // The first line goes to the sink, which then blocks.
        #expect(Self.line(0).withUnsafeBytes { writer.submit($0) })
        try await waitUntil { sink.entries == 1 }
        let clock = ContinuousClock()
        let start = clock.now
        var accepted = 0
        for n in 1...20 where Self.line(n).withUnsafeBytes({ writer.submit($0) }) { accepted += 1 }
        #expect(clock.now - start < .milliseconds(500), "submitting never waits for the sink")
        #expect(accepted == 5, "50 bytes hold five 10-byte lines")
        #expect(try PrometheusExposition.samples(registry).value("dropped_total") == 15)
        sink.release()
        writer.shutdown()
        let all = sink.writes.flatMap { $0 }
        #expect(
            String(decoding: all, as: UTF8.self)
                == (0...5).map { String(decoding: Self.line($0), as: UTF8.self) }.joined()
        )
        #expect(sink.writes.count == 2, "the five queued lines went out as one batch")
    }

    @Test func linesAfterShutdownAreDropped() async throws {
        let registry = PrometheusCollectorRegistry()
        let dropped = registry.makeCounter(
            descriptor: MetricNameDescriptor(metricName: "dropped", unitName: "total", helpText: "dropped")
        )
        let sink = BlockedSink()
        sink.release()
        let writer = AccessLogWriter(sink: sink, dropped: dropped)
        #expect(Self.line(1).withUnsafeBytes { writer.submit($0) })
        writer.shutdown()
        #expect(sink.writes.flatMap { $0 } == Self.line(1), "shutdown writes what was queued")
        #expect(!Self.line(2).withUnsafeBytes { writer.submit($0) })
        #expect(try PrometheusExposition.samples(registry).value("dropped_total") == 1)
    }

    @Test func jsonLinesEscapeAndFormatTime() throws {
        let line = AccessLogLine(
            time: 1_700_000_000_123_456_789,
            remote: nil,
            method: .GET,
            path: "/v1/a\"b\\c\n",
            route: nil,
            status: 404,
            call: nil,
            requestBytes: 0,
            responseBytes: 12,
            duration: .microseconds(1_234_567),
            requestID: "r",
            userAgent: "\u{1}agent"
        )
        var out: [UInt8] = []
        line.write(.json, into: &out)
        let text = String(decoding: out, as: UTF8.self)
        #expect(text.hasSuffix("}\n"))
        let object = try JSONSerialization.jsonObject(with: Data(out)) as? [String: Any] ?? [:]
        #expect(object["time"] as? String == "2023-11-14T22:13:20.123Z")
        #expect(object["path"] as? String == "/v1/a\"b\\c\n")
        #expect(object["user_agent"] as? String == "\u{1}agent")
        #expect(object["duration_ms"] as? Double == 1234.567)
        #expect(object["remote"] is NSNull)
        #expect(Set(object.keys) == Set(AccessLogLine.fields))
        var epoch: [UInt8] = []
        AccessLogLine(
            time: 0,
            remote: "::1",
            method: .POST,
            path: "/",
            route: nil,
            status: 200,
            call: nil,
            requestBytes: 1,
            responseBytes: 2,
            duration: .nanoseconds(5),
            requestID: nil,
            userAgent: nil
        ).write(.text, into: &epoch)
        let textLine = String(decoding: epoch, as: UTF8.self)
        #expect(textLine.hasPrefix("time=1970-01-01T00:00:00.000Z remote=\"::1\" method=\"POST\""), "\(textLine)")
        #expect(textLine.contains("duration_ms=0.000"))
        #expect(textLine.filter { $0 == "\n" }.count == 1)
    }

    @Test func loggingKeysAreCheckedWithTheirPaths() throws {
        let base = "protos: [x.binpb]\nbackends:\n  b:\n    endpoints: [127.0.0.1:1]\n"
        let config = try GatewayConfig.parse(yaml: base + "logging:\n  access: true\n  format: json\n  level: debug")
        #expect(config.logging.access)
        #expect(config.logging.format == .json)
        #expect(config.logging.level == "debug")
        #expect(!GatewayConfig.defaults.logging.access)
        do {
            _ = try GatewayConfig.parse(
                yaml: base + "logging:\n  access: maybe\n  format: xml\n  level: loud\n  sink: x"
            )
            Issue.record("a bad logging block parsed")
        } catch {
            let paths = Set(error.problems.map(\.path))
            #expect(paths == ["logging.access", "logging.format", "logging.level", "logging.sink"], "\(error)")
        }
    }
}
