/// The outcome of a gRPC call: a code, a human-readable message and optional rich details.
///
/// Parsed from the `grpc-status`, `grpc-message` and `grpc-status-details-bin` trailers (or from a
/// trailers-only response), or synthesized by the client for transport failures, deadlines and
/// cancellation.
public struct GRPCStatus: Sendable, Hashable, CustomStringConvertible {
    /// A gRPC status code (`0...16`), as defined in `google.rpc.Code`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The numeric code carried in `grpc-status`.
        public let rawValue: Int

        /// Creates a code; values outside `0...16` become ``unknown``, as the gRPC spec requires.
        public init(rawValue: Int) {
            self.rawValue = (0...16).contains(rawValue) ? rawValue : 2
        }

        private init(_ rawValue: Int) {
            self.rawValue = rawValue
        }

        /// `0 OK`: not an error.
        public static let ok = Code(0)
        /// `1 CANCELLED`: the call was cancelled, typically by the caller.
        public static let cancelled = Code(1)
        /// `2 UNKNOWN`: unknown error, or a status that could not be parsed.
        public static let unknown = Code(2)
        /// `3 INVALID_ARGUMENT`: the client specified an invalid argument.
        public static let invalidArgument = Code(3)
        /// `4 DEADLINE_EXCEEDED`: the deadline expired before the call completed.
        public static let deadlineExceeded = Code(4)
        /// `5 NOT_FOUND`: a requested entity was not found.
        public static let notFound = Code(5)
        /// `6 ALREADY_EXISTS`: the entity the client tried to create already exists.
        public static let alreadyExists = Code(6)
        /// `7 PERMISSION_DENIED`: the caller may not perform the operation.
        public static let permissionDenied = Code(7)
        /// `8 RESOURCE_EXHAUSTED`: a resource (quota, memory, message size) ran out.
        public static let resourceExhausted = Code(8)
        /// `9 FAILED_PRECONDITION`: the system is not in a state required for the operation.
        public static let failedPrecondition = Code(9)
        /// `10 ABORTED`: the operation was aborted, e.g. by a concurrency conflict.
        public static let aborted = Code(10)
        /// `11 OUT_OF_RANGE`: the operation was attempted past the valid range.
        public static let outOfRange = Code(11)
        /// `12 UNIMPLEMENTED`: the method is not implemented or not supported.
        public static let unimplemented = Code(12)
        /// `13 INTERNAL`: an internal invariant was broken (on either side).
        public static let internalError = Code(13)
        /// `14 UNAVAILABLE`: the service is currently unavailable; retrying may succeed.
        public static let unavailable = Code(14)
        /// `15 DATA_LOSS`: unrecoverable data loss or corruption.
        public static let dataLoss = Code(15)
        /// `16 UNAUTHENTICATED`: the request lacks valid authentication credentials.
        public static let unauthenticated = Code(16)

        private static let names = [
            "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
            "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
            "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
        ]

        /// The canonical upper-case name, e.g. `NOT_FOUND`.
        public var name: String { Self.names[self.rawValue] }

        /// The code with this canonical name (`UNAVAILABLE`), if any.
        public init?(name: String) {
            guard let index = Self.names.firstIndex(of: name) else { return nil }
            self.rawValue = index
        }

        /// The canonical name, e.g. `NOT_FOUND`.
        public var description: String { self.name }
    }

    /// The status code.
    public var code: Code
    /// The status message (`grpc-message`, already percent-decoded); empty when none was sent.
    public var message: String
    /// The raw `google.rpc.Status` bytes from `grpc-status-details-bin`, base64-decoded, if sent.
    public var details: [UInt8]?

    /// Creates a status.
    /// - Parameters:
    ///   - code: The status code.
    ///   - message: A human-readable message.
    ///   - details: Serialized `google.rpc.Status` bytes, if any.
    public init(code: Code, message: String = "", details: [UInt8]? = nil) {
        self.code = code
        self.message = message
        self.details = details
    }

    /// `OK` with no message.
    public static let ok = GRPCStatus(code: .ok)

    /// `CODE: message`, or just `CODE` when there is no message.
    public var description: String {
        self.message.isEmpty ? self.code.name : "\(self.code.name): \(self.message)"
    }
}
