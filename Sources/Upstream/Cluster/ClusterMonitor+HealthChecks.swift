import NIOCore

/// Active health checks (``ClusterConfiguration/healthCheck``): every `interval`, a
/// `grpc.health.v1.Health/Check` call to each endpoint, on a connection of the monitor's own
/// (never moved to another endpoint). `unhealthyThreshold` failures in a row (an error, a timeout,
/// or any answer but `SERVING`) take the endpoint out of rotation on every loop;
/// `healthyThreshold` passes bring it back. Endpoints start healthy.
extension ClusterMonitor {
    static let checkPath = "/grpc.health.v1.Health/Check"

    /// Starts the rounds when checks are configured.
    func startHealthChecks() {
        guard configuration.healthCheck != nil else { return }
        followEndpointsWithHealthChecks()
        checkRound()
    }

    /// Gives every current endpoint a health record (and connection) and drops the records of
    /// endpoints that left.
    func followEndpointsWithHealthChecks() {
        guard configuration.healthCheck != nil else { return }
        let current = Set(endpoints.map(\.target))
        for (target, record) in health where !current.contains(target) {
            _ = record.client.close()
            health[target] = nil
        }
        for target in current where health[target] == nil {
            let client = UpstreamClient(
                target: target,
                eventLoop: eventLoop,
                configuration: configuration.connection,
                logger: logger
            )
            health[target] = EndpointHealth(client: client)
        }
    }

    private func checkRound() {
        guard !isStopped, let settings = configuration.healthCheck else { return }
        for endpoint in endpoints where health[endpoint.target]?.isChecking == false {
            check(endpoint.target, settings: settings)
        }
        nextCheckRound = eventLoop.assumeIsolated().scheduleTask(in: settings.interval) { [self] in
            self.checkRound()
        }
    }

    private func check(_ target: UpstreamTarget, settings: ClusterConfiguration.HealthCheck) {
        guard let client = health[target]?.client else { return }
        health[target]?.isChecking = true
        let probe = HealthProbe { [self] result in
            guard var record = self.health[target], record.client === client else { return }
            record.isChecking = false
            record.record(result, settings: settings)
            self.health[target] = record
            self.publishIfChanged()
        }
        let call = client.makeCall(path: Self.checkPath, metadata: [], timeout: settings.timeout)
        call.isReroutable = false
        call.start(delegate: probe)
        call.send(message: HealthProbe.request(service: settings.service))
        call.finish()
    }
}

/// An endpoint's health-check state: its connection, in rotation or not, and the current run of
/// results.
struct EndpointHealth {
    /// The monitor's own connection to the endpoint.
    let client: UpstreamClient
    /// In rotation as far as checks know (endpoints start healthy).
    var isHealthy = true
    /// Passed checks in a row.
    var passes = 0
    /// Failed checks in a row.
    var failures = 0
    /// A check is in flight.
    var isChecking = false
    /// What the last failed check said.
    var problem: String?

    init(client: UpstreamClient) {
        self.client = client
    }

    /// Counts one check: `unhealthyThreshold` failures in a row take the endpoint out of
    /// rotation, `healthyThreshold` passes bring it back.
    mutating func record(_ result: Result<Void, HealthProbe.Failure>, settings: ClusterConfiguration.HealthCheck) {
        switch result {
        case .success:
            passes += 1
            failures = 0
            if !isHealthy && passes >= settings.healthyThreshold { isHealthy = true }
        case .failure(let failure):
            failures += 1
            passes = 0
            problem = failure.reason
            if isHealthy && failures >= settings.unhealthyThreshold { isHealthy = false }
        }
    }
}

/// Collects one check's answer: passed when the call is OK and the status is `SERVING` (1).
final class HealthProbe: UpstreamCallDelegate {
    /// Why a check failed.
    struct Failure: Error {
        /// The reason, for readiness reports.
        var reason: String
    }

    private let completion: (Result<Void, Failure>) -> Void
    private var servingStatus: UInt8?

    init(completion: @escaping (Result<Void, Failure>) -> Void) { self.completion = completion }

    /// The serialized `HealthCheckRequest` for `service`.
    static func request(service: String) -> ByteBuffer {
        var request = ByteBuffer()
        let name = Array(service.utf8)
        guard !name.isEmpty else { return request }
        // HealthCheckRequest.service = 1 (length-delimited).
        request.writeInteger(UInt8(0x0A))
        var length = name.count
        while length >= 0x80 {
            request.writeInteger(UInt8(length & 0x7F) | 0x80)
            length >>= 7
        }
        request.writeInteger(UInt8(length))
        request.writeBytes(name)
        return request
    }

    func upstreamCall(_ call: UpstreamCall, didReceiveHeaders headers: [(name: String, value: String)]) {}

    func upstreamCall(_ call: UpstreamCall, didReceiveMessage message: ByteBuffer) {
        // HealthCheckResponse.status = 1 (varint); the statuses fit in one byte. An empty message
        // is status 0, UNKNOWN.
        if message.readableBytes >= 2, message.getInteger(at: message.readerIndex, as: UInt8.self) == 0x08 {
            servingStatus = message.getInteger(at: message.readerIndex + 1, as: UInt8.self)
        } else {
            servingStatus = 0
        }
    }

    func upstreamCall(_ call: UpstreamCall, didFinishWith status: GRPCStatus, trailers: [(name: String, value: String)])
    {
        guard status.code == .ok else {
            completion(.failure(Failure(reason: "health check failed: \(status)")))
            return
        }
        switch servingStatus {
        case 1: completion(.success(()))
        case 2: completion(.failure(Failure(reason: "health check answered NOT_SERVING")))
        case 3: completion(.failure(Failure(reason: "health check answered SERVICE_UNKNOWN")))
        default: completion(.failure(Failure(reason: "health check answered UNKNOWN")))
        }
    }
}

@available(*, unavailable)
extension HealthProbe: Sendable {}
