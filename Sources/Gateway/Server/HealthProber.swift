import NIOCore
import Upstream

/// Active health checks of one backend's endpoints on one event loop: every `interval`, a
/// `grpc.health.v1.Health/Check` call to each endpoint (on its own connection, never moved to
/// another endpoint). `unhealthyThreshold` failures in a row (an error, a timeout, or any answer
/// but `SERVING`) take the endpoint out of rotation; `healthyThreshold` passes bring it back.
/// Endpoints start healthy. Only touched on its loop.
final class HealthProber {
    static let checkPath = "/grpc.health.v1.Health/Check"

    private let clients: [UpstreamClient]
    private let settings: GatewayConfig.Backend.HealthCheck
    /// Per endpoint: healthy now, passes and failures in a row, a check in flight.
    private var healthy: [Bool]
    private var passes: [Int]
    private var failures: [Int]
    private var inFlight: [Bool]
    private var next: Scheduled<Void>?
    private var isStopped = true
    /// The serialized `HealthCheckRequest`.
    private let request: ByteBuffer

    init(clients: [UpstreamClient], settings: GatewayConfig.Backend.HealthCheck) {
        self.clients = clients
        self.settings = settings
        self.healthy = Array(repeating: true, count: clients.count)
        self.passes = Array(repeating: 0, count: clients.count)
        self.failures = Array(repeating: 0, count: clients.count)
        self.inFlight = Array(repeating: false, count: clients.count)
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

    /// Whether endpoint `index` is in rotation as far as active checks know.
    func isHealthy(_ index: Int) -> Bool { healthy[index] }

    /// Starts checking on `eventLoop` (the clients' loop), the first round right away.
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
        for index in clients.indices where !inFlight[index] { check(index) }
        next = eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(settings.intervalMilliseconds)) { [self] in
            self.round(on: eventLoop)
        }
    }

    private func check(_ index: Int) {
        inFlight[index] = true
        let probe = Probe { [self] passed in
            inFlight[index] = false
            record(passed, for: index)
        }
        let call = clients[index].startCall(
            path: Self.checkPath,
            metadata: [],
            timeout: .milliseconds(settings.timeoutMilliseconds),
            delegate: probe
        )
        call.isReroutable = false
        call.send(message: request)
        call.finish()
    }

    private func record(_ passed: Bool, for index: Int) {
        if passed {
            passes[index] += 1
            failures[index] = 0
            if !healthy[index] && passes[index] >= settings.healthyThreshold { healthy[index] = true }
        } else {
            failures[index] += 1
            passes[index] = 0
            if healthy[index] && failures[index] >= settings.unhealthyThreshold { healthy[index] = false }
        }
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
