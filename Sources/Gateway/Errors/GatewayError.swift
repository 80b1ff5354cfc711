public import Upstream

/// A failed request, whoever failed it: the gateway (bad JSON, no route, backend down) or the
/// backend (a gRPC status). Turned into an HTTP response in exactly one place,
/// `GatewayError+HTTP.swift`.
public struct GatewayError: Error, Sendable, CustomStringConvertible {
    /// The gRPC status code that describes the failure (never OK).
    public var code: GRPCStatus.Code
    /// The message for the client.
    public var message: String
    /// The HTTP status to use instead of the one the code maps to (405, 413, 415...).
    public var httpStatusOverride: Int?
    /// Serialized `google.rpc.Status` from the backend's `grpc-status-details-bin`, if any.
    public var statusDetails: [UInt8]?
    /// The underlying error, if any.
    public var cause: (any Error)?

    /// Creates an error.
    public init(
        code: GRPCStatus.Code,
        message: String,
        httpStatusOverride: Int? = nil,
        statusDetails: [UInt8]? = nil,
        cause: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.httpStatusOverride = httpStatusOverride
        self.statusDetails = statusDetails
        self.cause = cause
    }

    /// The error for a non-OK status a backend returned.
    public init(status: GRPCStatus) {
        self.init(code: status.code, message: status.message, statusDetails: status.details)
    }

    public var description: String {
        if let cause { return "\(code): \(message) (\(cause))" }
        return "\(code): \(message)"
    }
}

extension GatewayError {
    /// No route matches the path.
    static func notFound(method: String, path: String) -> GatewayError {
        GatewayError(code: .notFound, message: "no route for \(method) \(path)")
    }

    /// The path matches routes, but not for this HTTP method.
    static func methodNotAllowed(method: String, path: String, allowed: [String]) -> GatewayError {
        GatewayError(
            code: .unimplemented,
            message: "method \(method) not allowed for \(path) (allowed: \(allowed.joined(separator: ", ")))",
            httpStatusOverride: 405
        )
    }

    /// The request body is larger than `limits.maxRequestBodyBytes`.
    static func bodyTooLarge(limit: Int) -> GatewayError {
        GatewayError(
            code: .resourceExhausted,
            message: "request body exceeds the limit of \(limit) bytes",
            httpStatusOverride: 413
        )
    }

    /// Invalid client input (bad JSON, wrong types, unknown fields, bad query or path values).
    static func invalidArgument(_ message: String, cause: (any Error)? = nil) -> GatewayError {
        GatewayError(code: .invalidArgument, message: message, cause: cause)
    }
}
