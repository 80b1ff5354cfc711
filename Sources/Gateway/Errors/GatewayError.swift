import NIOCore
public import Upstream

/// A failed request, whoever failed it: the gateway (bad JSON, no route, backend down) or the
/// backend (a gRPC status). Turned into an HTTP response in exactly one place,
/// `GatewayError+HTTP.swift`, which also picks the HTTP status when a gateway failure has a more
/// precise one than its gRPC code (405, 408, 413, 431, 503).
public struct GatewayError: Error, Sendable, CustomStringConvertible {
    /// The gRPC status code of a failure: every code but `OK`, so no "OK error" can be made.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The gRPC status code (never `OK`).
        public let status: GRPCStatus.Code

        /// The code for a status that is not `OK`; nil for `OK`.
        public init?(_ status: GRPCStatus.Code) {
            guard status != .ok else { return nil }
            self.status = status
        }

        private init(unchecked status: GRPCStatus.Code) {
            self.status = status
        }

        /// The numeric code of `google.rpc.Code` (1...16).
        public var rawValue: Int { status.rawValue }
        /// The canonical name (`NOT_FOUND`).
        public var description: String { status.name }

        /// `CANCELLED`.
        public static let cancelled = Code(unchecked: .cancelled)
        /// `UNKNOWN`.
        public static let unknown = Code(unchecked: .unknown)
        /// `INVALID_ARGUMENT`.
        public static let invalidArgument = Code(unchecked: .invalidArgument)
        /// `DEADLINE_EXCEEDED`.
        public static let deadlineExceeded = Code(unchecked: .deadlineExceeded)
        /// `NOT_FOUND`.
        public static let notFound = Code(unchecked: .notFound)
        /// `ALREADY_EXISTS`.
        public static let alreadyExists = Code(unchecked: .alreadyExists)
        /// `PERMISSION_DENIED`.
        public static let permissionDenied = Code(unchecked: .permissionDenied)
        /// `RESOURCE_EXHAUSTED`.
        public static let resourceExhausted = Code(unchecked: .resourceExhausted)
        /// `FAILED_PRECONDITION`.
        public static let failedPrecondition = Code(unchecked: .failedPrecondition)
        /// `ABORTED`.
        public static let aborted = Code(unchecked: .aborted)
        /// `OUT_OF_RANGE`.
        public static let outOfRange = Code(unchecked: .outOfRange)
        /// `UNIMPLEMENTED`.
        public static let unimplemented = Code(unchecked: .unimplemented)
        /// `INTERNAL`.
        public static let internalError = Code(unchecked: .internalError)
        /// `UNAVAILABLE`.
        public static let unavailable = Code(unchecked: .unavailable)
        /// `DATA_LOSS`.
        public static let dataLoss = Code(unchecked: .dataLoss)
        /// `UNAUTHENTICATED`.
        public static let unauthenticated = Code(unchecked: .unauthenticated)
    }

    /// What the gateway knows beyond the gRPC code, when the HTTP answer depends on it.
    public enum Reason: Sendable, Equatable {
        /// The path has routes, but not for this HTTP method; `allowed` are the ones it has.
        case methodNotAllowed(allowed: [String])
        /// The request body did not arrive within `limits.requestReadTimeout`.
        case requestTimeout
        /// The request body, or one message of a streamed body, is over its limit.
        case payloadTooLarge
        /// The request's header block is over the HTTP parser's limit.
        case headersTooLarge
        /// The backend is at its `maxConcurrentRequests`.
        case backendOverloaded
        /// 401: credentials are missing or wrong; `WWW-Authenticate` carries this challenge.
        case unauthenticated(challenge: String)
        /// 403: the credentials are good but not for this (a token's audience or a required
        /// claim); `WWW-Authenticate` carries this challenge.
        case forbidden(challenge: String)
        /// 429: a rate limit is reached; `Retry-After` says when a request may succeed again.
        case rateLimited(retryAfterSeconds: Int)
    }

    /// The gRPC status code that describes the failure.
    public var code: Code
    /// The message for the client.
    public var message: String
    /// Why, when the HTTP status is more precise than the code's.
    public var reason: Reason?
    /// Serialized `google.rpc.Status` from the backend's `grpc-status-details-bin`, if any.
    public var statusDetails: [UInt8]?
    /// The underlying error, if any.
    public var cause: (any Error)?

    /// Creates an error.
    public init(
        code: Code,
        message: String,
        reason: Reason? = nil,
        statusDetails: [UInt8]? = nil,
        cause: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.reason = reason
        self.statusDetails = statusDetails
        self.cause = cause
    }

    /// The error for a status a backend returned (or the upstream client made up); nil for `OK`.
    public init?(status: GRPCStatus) {
        guard let code = Code(status.code) else { return nil }
        self.init(code: code, message: status.message, statusDetails: status.details)
    }

    /// A one-line account, for logs and error bodies.
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
            reason: .methodNotAllowed(allowed: allowed)
        )
    }

    /// The request body is larger than `limits.maxRequestBodyBytes`.
    static func bodyTooLarge(limit: Int) -> GatewayError {
        GatewayError(
            code: .resourceExhausted,
            message: "request body exceeds the limit of \(limit) bytes",
            reason: .payloadTooLarge
        )
    }

    /// A request body that did not arrive within `limits.requestReadTimeout`.
    static func requestTimeout(after limit: TimeAmount) -> GatewayError {
        GatewayError(
            code: .deadlineExceeded,
            message: "request body not received within \(limit.nanoseconds / 1_000_000) ms",
            reason: .requestTimeout
        )
    }

    /// Invalid client input (bad JSON, wrong types, unknown fields, bad query or path values).
    static func invalidArgument(_ message: String, cause: (any Error)? = nil) -> GatewayError {
        GatewayError(code: .invalidArgument, message: message, cause: cause)
    }
}
