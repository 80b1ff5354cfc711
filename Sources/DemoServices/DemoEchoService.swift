public import GRPCCore
import GRPCProtobuf
import SwiftProtobuf
import Synchronization

/// `demo.echo.v1.EchoService`: echoes messages, fails on request, and reports the request
/// metadata it received — the backend half of the gateway's transcoding and header tests.
public struct DemoEchoService: Demo_Echo_V1_EchoService.ServiceProtocol {
    /// Calls of `Fail` so far per message, for `FailRequest.times`.
    private let failures = CallTally()

    /// Creates the service.
    public init() {}

    /// Returns the request message unchanged.
    public func echo(
        request: ServerRequest<Demo_Echo_V1_Everything>,
        context: ServerContext
    ) async throws -> ServerResponse<Demo_Echo_V1_Everything> {
        ServerResponse(message: request.message)
    }

    /// Fails with the requested status code and message; code 0 answers an empty `Everything`.
    /// - Throws: `GoogleRPCStatus` with the requested code (1...16) and an `ErrorInfo` detail
    ///   (reason `DEMO_FAILURE`), or `RPCError` `INVALID_ARGUMENT` for any other code.
    public func fail(
        request: ServerRequest<Demo_Echo_V1_FailRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<Demo_Echo_V1_Everything> {
        let requested = request.message
        if requested.code == 0 || (requested.times > 0 && failures.next(for: requested.message) > Int(requested.times))
        {
            return ServerResponse(message: Demo_Echo_V1_Everything())
        }
        guard let status = Status.Code(rawValue: Int(requested.code)), let code = RPCError.Code(status) else {
            throw RPCError(code: .invalidArgument, message: "invalid status code \(requested.code)")
        }
        // A rich status (grpc-status-details-bin) with one ErrorInfo detail, so the gateway's
        // `details` rendering has something real to show.
        throw GoogleRPCStatus(
            code: code,
            message: requested.message,
            details: .errorInfo(
                reason: "DEMO_FAILURE",
                domain: "demo.portico",
                metadata: ["code": String(requested.code)]
            )
        )
    }

    /// Returns every request metadata entry in the order received; binary values as base64.
    public func metadata(
        request: ServerRequest<Demo_Echo_V1_Everything>,
        context: ServerContext
    ) async throws -> ServerResponse<Demo_Echo_V1_MetadataResponse> {
        let entries = request.metadata.map { entry in
            Demo_Echo_V1_MetadataResponse.Entry.with {
                $0.name = entry.key
                $0.value = entry.value.encoded()
            }
        }
        return ServerResponse(message: .with { $0.entries = entries })
    }
}

/// Counts calls per key across concurrent RPCs.
final class CallTally: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    /// Counts one more call for `key` and returns its number (1 for the first).
    func next(for key: String) -> Int {
        counts.withLock { counts in
            counts[key, default: 0] += 1
            return counts[key, default: 0]
        }
    }
}
