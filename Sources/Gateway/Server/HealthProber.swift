import NIOCore
import Upstream

/// Active health checks of one backend's endpoints on one event loop: every `interval`, a
/// `grpc.health.v1.Health/Check` call to each endpoint (on its own connection, never moved to
/// another endpoint). `unhealthyThreshold` failures in a row (an error, a timeout, or any answer
/// but `SERVING`) take the endpoint out of rotation; `healthyThreshold` passes bring it back.
/// Endpoints start healthy. Only touched on its loop.
final class HealthProber {
    static let checkPath = "/grpc.health.v1.Health/Check"

    /// The endpoints to check each round (the list may change between rounds).
    private let endpoints: () -> [EndpointPool]
    private let settings: GatewayConfig.Backend.HealthCheck
    private var next: Scheduled<Void>?
    private var isStopped = true
    /// The serialized `HealthCheckRequest`.
    private let request: ByteBuffer

    init(settings: GatewayConfig.Backend.HealthCheck, endpoints: @escaping () -> [EndpointPool]) {
        self.endpoints = endpoints
        self.settings = settings
        var request = ByteBuffer()
        let service = Array(settings.service.utf8)
        if !service.isEmpty {
            // HealthCheckRequest.service = 1 (length-delimited); names are far below 128 bytes.
            request.writeInteger(UInt8(0x0A))
            var length = service.count
            while length >= 0x80 {
                request.writeInteger(UInt8(length & 0x7F) | 0x80)
                length >>= 7
            }
            request.writeInteger(UInt8(length))
            request.writeBytes(service)
        }
        self.request = request
    }

    /// Starts checking on `eventLoop` (the endpoints' loop), the first round right away.
    func start(on eventLoop: any EventLoop) {
        isStopped = false
        round(on: eventLoop)
    }

    /// Stops checking.
    func stop() {
        isStopped = true
        next?.cancel()
        next = nil
    }

    private func round(on eventLoop: any EventLoop) {
        guard !isStopped else { return }
        for endpoint in endpoints() where !endpoint.health.isChecking { check(endpoint) }
        next = eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(settings.intervalMilliseconds)) { [self] in
            self.round(on: eventLoop)
        }
    }

    private func check(_ endpoint: EndpointPool) {
        endpoint.health.isChecking = true
        let settings = self.settings
        let probe = Probe { passed in
            endpoint.health.isChecking = false
            endpoint.health.record(passed, settings: settings)
        }
        let call = endpoint.primary.startCall(
            path: Self.checkPath,
            metadata: [],
            timeout: .milliseconds(settings.timeoutMilliseconds),
            delegate: probe
        )
        call.isReroutable = false
        call.send(message: request)
        call.finish()
    }

    /// Collects one check's answer: passed when the call is OK and the status is `SERVING` (1).
    private final class Probe: UpstreamCallDelegate {
        private let completion: (Bool) -> Void
        private var serving = false

        init(completion: @escaping (Bool) -> Void) { self.completion = completion }

        func upstreamCall(_ call: UpstreamCall, didReceiveHeaders headers: [(name: String, value: String)]) {}

        func upstreamCall(_ call: UpstreamCall, didReceiveMessage message: ByteBuffer) {
            // HealthCheckResponse.status = 1 (varint); SERVING = 1 fits in one byte.
            serving = message.readableBytes >= 2 && message.getInteger(at: message.readerIndex, as: UInt8.self) == 0x08
                && message.getInteger(at: message.readerIndex + 1, as: UInt8.self) == 1
        }

        func upstreamCall(_ call: UpstreamCall, didFinishWith status: GRPCStatus, trailers: [(name: String, value: String)]) {
            completion(status.code == .ok && serving)
        }
    }
}

@available(*, unavailable)
extension HealthProber: Sendable {}

extension EndpointHealth {
    /// Counts one check: `unhealthyThreshold` failures in a row take the endpoint out of
    /// rotation, `healthyThreshold` passes bring it back.
    mutating func record(_ passed: Bool, settings: GatewayConfig.Backend.HealthCheck) {
        if passed {
            passes += 1
            failures = 0
            if !isHealthy && passes >= settings.healthyThreshold { isHealthy = true }
        } else {
            failures += 1
            passes = 0
            if isHealthy && failures >= settings.unhealthyThreshold { isHealthy = false }
        }
    }
}
