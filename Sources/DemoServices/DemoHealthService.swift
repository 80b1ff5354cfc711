public import GRPCCore
import SwiftProtobuf
import Synchronization

/// Whether a demo backend reports itself healthy; tests flip it to watch a gateway take the
/// instance out of rotation and back.
public final class DemoHealthStatus: Sendable {
    private let serving = Mutex(true)

    /// Creates a status that starts as serving.
    public init() {}

    /// Whether `grpc.health.v1.Health/Check` answers `SERVING`.
    public var isServing: Bool { serving.withLock { $0 } }

    /// Sets what `Check` answers: `SERVING` or `NOT_SERVING`.
    public func setServing(_ value: Bool) {
        serving.withLock { $0 = value }
    }
}

/// `grpc.health.v1.Health`, the standard health checking protocol: `Check` answers from a
/// ``DemoHealthStatus`` for the whole server (`service: ""`) and for each demo service by its
/// full name; unknown names are `NOT_FOUND`, as the protocol says. `Watch` sends the current
/// status once and ends.
public struct DemoHealthService: Grpc_Health_V1_Health.SimpleServiceProtocol {
    /// The status reported.
    public let status: DemoHealthStatus

    /// Service names `Check` knows (the empty name is the server as a whole).
    public static let services: Set<String> = [
        "", "demo.user.v1.UserService", "demo.file.v1.FileService", "demo.upfile.v1.UpFileService",
        "demo.chat.v1.ChatService", "demo.echo.v1.EchoService",
    ]

    /// Creates the service.
    public init(status: DemoHealthStatus) {
        self.status = status
    }

    /// `SERVING` or `NOT_SERVING` from ``status``.
    /// - Throws: `RPCError` `NOT_FOUND` for a service this backend does not serve.
    public func check(
        request: Grpc_Health_V1_HealthCheckRequest,
        context: ServerContext
    ) async throws -> Grpc_Health_V1_HealthCheckResponse {
        guard Self.services.contains(request.service) else {
            throw RPCError(code: .notFound, message: "unknown service \(request.service)")
        }
        return .with { $0.status = status.isServing ? .serving : .notServing }
    }

    /// The current status, once.
    public func watch(
        request: Grpc_Health_V1_HealthCheckRequest,
        response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
        context: ServerContext
    ) async throws {
        try await response.write(try await check(request: request, context: context))
    }
}
