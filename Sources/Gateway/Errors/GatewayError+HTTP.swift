public import NIOCore
public import NIOHTTP1
import ProtoSchema
public import Transcoding
import Upstream

/// The single place where failures become HTTP: the gRPC → HTTP status table, the statuses the
/// gateway's own failures use instead (405, 408, 413, 431, 503), their headers (`Allow`), and the
/// `google.rpc.Status` JSON body (`{"code":5,"message":"...","details":[]}`).
extension GatewayError {
    /// The HTTP status for a gRPC code (google.rpc.Code table, as grpc-gateway and Envoy).
    public static func httpStatus(for code: Code) -> Int {
        switch code {
        case .cancelled: return 499
        case .unknown: return 500
        case .invalidArgument: return 400
        case .deadlineExceeded: return 504
        case .notFound: return 404
        case .alreadyExists: return 409
        case .permissionDenied: return 403
        case .resourceExhausted: return 429
        case .failedPrecondition: return 400
        case .aborted: return 409
        case .outOfRange: return 400
        case .unimplemented: return 501
        case .internalError: return 500
        case .unavailable: return 503
        case .dataLoss: return 500
        case .unauthenticated: return 401
        default: return 500
        }
    }

    /// The HTTP status this error is answered with: the reason's when it has one, else the
    /// code's.
    public var httpStatus: HTTPResponseStatus {
        switch reason {
        case .methodNotAllowed: .methodNotAllowed
        case .requestTimeout: .requestTimeout
        case .payloadTooLarge: .payloadTooLarge
        case .headersTooLarge: .requestHeaderFieldsTooLarge
        case .backendOverloaded: .serviceUnavailable
        case .unauthenticated: .unauthorized
        case .forbidden: .forbidden
        case .rateLimited: .tooManyRequests
        case nil: HTTPResponseStatus(statusCode: Self.httpStatus(for: code))
        }
    }

    /// Headers the answer must carry besides `Content-Type` and `Content-Length`: `Allow` on
    /// every 405 (RFC 9110 §15.5.6), `WWW-Authenticate` on a 401 (§11.6.1), `Retry-After` on a
    /// 429 (RFC 6585 §4).
    func addHTTPHeaders(to response: inout CompleteResponse) {
        switch reason {
        case .methodNotAllowed(let allowed): response.add(name: "Allow", value: allowed.joined(separator: ", "))
        case .unauthenticated(let challenge), .forbidden(let challenge):
            response.add(name: "WWW-Authenticate", value: challenge)
        case .rateLimited(let seconds): response.add(name: "Retry-After", value: String(seconds))
        default: break
        }
    }

    /// Writes the `google.rpc.Status` JSON object for this error.
    ///
    /// `details` are the backend's `grpc-status-details-bin` detail messages (each an Any, so
    /// `{"@type": ..., fields}`), rendered with `transcoder` when its descriptor pool knows
    /// `google.rpc.Status` and every packed type. The gateway's own 400s about one field carry a
    /// `google.rpc.BadRequest` naming it. Otherwise the list is empty, never wrong.
    public func writeJSONBody(into buffer: inout ByteBuffer, transcoder: ResponseTranscoder? = nil) {
        buffer.writeStaticString("{\"code\":")
        buffer.writeString(String(code.rawValue))
        buffer.writeStaticString(",\"message\":")
        JSONWriter.writeString(message, into: &buffer)
        buffer.writeStaticString(",\"details\":")
        let start = buffer.writerIndex
        if let statusDetails, let transcoder, let status = transcoder.pool.messageID(named: Self.statusTypeName),
            let details = transcoder.pool[status].field(number: 3)
        {
            do {
                try transcoder.write(
                    protobuf: ByteBuffer(bytes: statusDetails),
                    field: details,
                    of: status,
                    into: &buffer
                )
            } catch {
                buffer.moveWriterIndex(to: start)
            }
        }
        if buffer.writerIndex == start {
            if let violation = fieldViolation {
                writeBadRequestDetails(violation, protoNames: transcoder?.options.useProtoNames ?? false, into: &buffer)
            } else {
                buffer.writeStaticString("[]")
            }
        }
        buffer.writeInteger(UInt8(ascii: "}"))
    }

    /// The message type of `grpc-status-details-bin`.
    static let statusTypeName = "google.rpc.Status"
}

extension GatewayError {
    /// A request NIO's HTTP/1.1 parser refused: 431 for an oversized header block, 400 otherwise.
    static func malformedRequest(_ error: HTTPParserError) -> GatewayError {
        GatewayError(
            code: .invalidArgument,
            message: "malformed HTTP request: \(error.debugDescription)",
            reason: error == .headerOverflow ? .headersTooLarge : nil,
            cause: error
        )
    }

    /// A call its backend's cluster refused to make: 503 at its concurrency limit, UNAVAILABLE
    /// once it is shut down.
    init(_ error: ClusterError) {
        self.init(
            code: error.code == .overloaded ? .resourceExhausted : .unavailable,
            message: error.message,
            reason: error.code == .overloaded ? .backendOverloaded : nil,
            cause: error
        )
    }
}
