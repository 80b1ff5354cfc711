/// TLS towards a backend failed: its configuration could not be loaded, or a connection's
/// handshake did not produce a usable HTTP/2 session.
public struct UpstreamTLSError: Error, Sendable, CustomStringConvertible {
    /// What failed.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case trustRoots, certificateChain, privateKey, serverName, context, handshake, alpn
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }
        /// The CA file (``UpstreamTLS/trustRoots``) is unreadable or holds no valid certificate.
        public static let trustRoots = Code(.trustRoots)
        /// The client certificate file is unreadable or invalid, or missing while a key is given.
        public static let certificateChain = Code(.certificateChain)
        /// The client key file is unreadable or invalid, does not match the certificate, or is
        /// missing while a certificate is given.
        public static let privateKey = Code(.privateKey)
        /// ``UpstreamTLS/serverName`` is not a host name SNI can carry.
        public static let serverName = Code(.serverName)
        /// The TLS library refused the configuration as a whole.
        public static let context = Code(.context)
        /// A connection's handshake failed (certificate rejected either way, protocol error,
        /// timeout, connection closed).
        public static let handshake = Code(.handshake)
        /// The backend completed the handshake without agreeing on `h2` through ALPN.
        public static let alpn = Code(.alpn)
        /// A one-line account, for logs and error bodies.
        public var description: String { String(describing: wrapped) }
    }

    /// What failed.
    public var code: Code
    /// A summary sentence naming the file or backend.
    public var message: String
    /// The TLS library's error, if any.
    public var cause: (any Error)?

    /// Creates an error.
    public init(code: Code, message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// A one-line account, for logs and error bodies.
    public var description: String {
        guard let cause else { return message }
        return "\(message): \(cause)"
    }
}
