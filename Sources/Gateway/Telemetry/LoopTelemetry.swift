import Foundation
import NIOCore
import NIOHTTP1
import Prometheus

/// One event loop's side of metrics and the access log: starts and ends ``RequestRecord``s,
/// records them in the server's ``GatewayMetrics`` and formats their access-log lines into a
/// byte array the loop reuses, handed to the server's ``AccessLogWriter``. Used only on its loop.
final class LoopTelemetry {
    /// The server's metrics.
    let metrics: GatewayMetrics
    /// The server's access-log writer.
    let accessLog: AccessLogWriter
    /// The line being formatted (reused: no allocation per line once grown).
    private var scratch: [UInt8] = []
    /// Request ids chosen while NIO answers a WebSocket handshake, until the session's handler
    /// takes them (the handshake and the session are separate callbacks).
    private var handshakeIDs: [ObjectIdentifier: String] = [:]
    /// Draws new request ids.
    private var random = RequestID.Generator()

    init(metrics: GatewayMetrics, accessLog: AccessLogWriter) {
        self.metrics = metrics
        self.accessLog = accessLog
        scratch.reserveCapacity(512)
    }

    /// A request began: counts it active and, with the access log on, picks its `X-Request-Id`.
    /// - Parameters:
    ///   - head: The request.
    ///   - config: The request's snapshot's configuration (`logging`, `metrics`).
    ///   - requestID: An id already chosen (a WebSocket handshake's).
    ///   - now: The loop's clock.
    func begin(
        _ head: HTTPRequestHead,
        config: GatewayConfig,
        requestID: String? = nil,
        now: NIODeadline
    ) -> RequestRecord {
        let logging = config.logging
        if config.metricsEnabled { metrics.activeRequests.increment() }
        var record = RequestRecord(
            start: now,
            head: head,
            method: HTTPMethodLabel(head.method),
            accessLog: logging.access ? logging.format : nil,
            recordsMetrics: config.metricsEnabled
        )
        if logging.access { record.requestID = requestID ?? RequestID.of(head.headers, random: &random) }
        return record
    }

    /// A request ended with `status`: records its duration, no longer counts it active, and
    /// queues its access-log line.
    /// - Parameters:
    ///   - record: The request.
    ///   - status: The HTTP status sent (101 for a WebSocket session; 499 when the client went
    ///     away before any response).
    ///   - remote: The client's address.
    ///   - now: The loop's clock.
    func end(_ record: RequestRecord, status: Int, remote: String?, now: NIODeadline) {
        let duration = now - record.start
        if record.recordsMetrics {
            metrics.activeRequests.decrement()
            (record.route ?? metrics.unmatched).recordRequest(
                method: record.method,
                status: status,
                duration: duration,
                metrics: metrics
            )
        }
        guard let format = record.accessLog else { return }
        let (path, _) = record.head.pathAndQuery
        let line = AccessLogLine(
            time: Self.wallClockNanoseconds(),
            remote: remote,
            method: record.head.method,
            path: path,
            route: record.route,
            status: status,
            call: record.call,
            requestBytes: record.requestBytes,
            responseBytes: record.responseBytes,
            duration: duration,
            requestID: record.requestID,
            userAgent: record.head.headers.first(name: "user-agent")
        )
        scratch.removeAll(keepingCapacity: true)
        line.write(format, into: &scratch)
        scratch.withUnsafeBytes { _ = accessLog.submit($0) }
    }

    /// The id a WebSocket handshake answers with (kept for its session).
    func handshakeID(_ head: HTTPRequestHead, for channel: any Channel) -> String {
        let id = RequestID.of(head.headers, random: &random)
        handshakeIDs[ObjectIdentifier(channel)] = id
        return id
    }

    /// The id the handshake of `channel` answered with, if any (taken: asked once).
    func takeHandshakeID(for channel: any Channel) -> String? {
        handshakeIDs.removeValue(forKey: ObjectIdentifier(channel))
    }

    private static func wallClockNanoseconds() -> Int64 {
        // Date rather than clock_gettime(2): `timespec` is declared by several C modules and
        // which one Swift credits changes with the build's dependencies. Microseconds suffice.
        Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()) * 1_000
    }
}

@available(*, unavailable)
extension LoopTelemetry: Sendable {}
