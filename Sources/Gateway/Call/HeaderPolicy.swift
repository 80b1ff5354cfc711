import NIOCore
public import NIOHTTP1
import TextCoding
import Transcoding

/// Which HTTP request headers travel to the backend as gRPC metadata, and how backend
/// metadata comes back as response headers (DESIGN.md §4).
///
/// By default every end-to-end request header is forwarded, lower-cased. Never forwarded:
/// hop-by-hop and HTTP/1-only headers (and any named by `Connection`), headers HTTP/2 or gRPC
/// reserve for themselves, and `grpc-*` names — except `Grpc-Metadata-<k>`, which arrives as `<k>`.
public struct HeaderPolicy: Sendable {
    /// Headers that are never forwarded, whatever the configuration says.
    static let neverForwarded: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host",
        "content-length", "te", "trailer", "proxy-authenticate", "proxy-authorization",
        "content-type", "user-agent", "expect", "http2-settings", "accept-encoding",
        "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-protocol",
        "x-http-method-override",
        // Portico's own: the id of the API key the request authenticated with, never a client's.
        "x-portico-api-key-id",
    ]

    /// Response metadata the gateway never copies back as `Grpc-Metadata-` headers.
    static let neverReturned: Set<String> = ["content-type", "content-length", "date", "server", "te", "trailer"]

    /// When set, only these (lower-cased) request headers are forwarded.
    public let allow: Set<String>?
    /// Request headers never forwarded (lower-cased).
    public let deny: Set<String>

    /// Creates a policy.
    public init(allow: Set<String>?, deny: Set<String>) {
        self.allow = allow
        self.deny = deny
    }

    /// The metadata to send upstream for these request headers, plus `x-forwarded-for`/`-host`/
    /// `-proto`.
    /// - Parameters:
    ///   - headers: the client's request headers.
    ///   - clientAddress: the client's IP address, appended to `x-forwarded-for`.
    ///   - scheme: `https` behind Portico's TLS listener, else `http` (`x-forwarded-proto`, unless
    ///     the client's proxy already set it).
    public func metadata(
        for headers: HTTPHeaders,
        clientAddress: String?,
        scheme: String = "http"
    ) -> [(name: String, value: String)] {
        var connectionTokens: Set<String> = []
        for value in headers[canonicalForm: "connection"] {
            connectionTokens.insert(value.lowercased().trimmingSpaces())
        }
        var metadata: [(name: String, value: String)] = []
        metadata.reserveCapacity(headers.count + 2)
        var forwardedFor: String?
        for (rawName, value) in headers {
            var name = rawName.lowercased()
            if name.hasPrefix("grpc-metadata-") {
                name = String(name.dropFirst("grpc-metadata-".count))
                guard !name.isEmpty, !name.hasPrefix("grpc-") else { continue }
            } else if name.hasPrefix("grpc-") || name.hasPrefix(":") {
                continue
            } else if name == "x-forwarded-for" {
                forwardedFor = forwardedFor.map { "\($0), \(value)" } ?? value
                continue
            }
            if Self.neverForwarded.contains(name) || connectionTokens.contains(name) || deny.contains(name) {
                continue
            }
            if let allow, !allow.contains(name) { continue }
            guard Self.isValidMetadataName(name) else { continue }
            metadata.append((name, name.hasSuffix("-bin") ? Self.base64IfNeeded(value) : value))
        }
        if let clientAddress {
            metadata.append(("x-forwarded-for", forwardedFor.map { "\($0), \(clientAddress)" } ?? clientAddress))
        } else if let forwardedFor {
            metadata.append(("x-forwarded-for", forwardedFor))
        }
        if let host = headers.first(name: "host"), headers.first(name: "x-forwarded-host") == nil {
            metadata.append(("x-forwarded-host", host))
        }
        if headers.first(name: "x-forwarded-proto") == nil {
            metadata.append(("x-forwarded-proto", scheme))
        }
        return metadata
    }

    /// Response headers for backend metadata: `Grpc-Metadata-<k>` for headers and
    /// `Grpc-Trailer-<k>` for trailers (grpc-gateway's convention).
    public func responseHeaders(
        metadata: [(name: String, value: String)],
        trailers: [(name: String, value: String)],
        into headers: inout HTTPHeaders
    ) {
        responseHeaders(metadata: metadata, trailers: trailers) { headers.add(name: $0, value: $1) }
    }

    /// The same fields as ``responseHeaders(metadata:trailers:into:)-(_,_,HTTPHeaders)``, appended
    /// to a plain list (a complete response's).
    func responseHeaders(
        metadata: [(name: String, value: String)],
        trailers: [(name: String, value: String)],
        into fields: inout [(name: String, value: String)]
    ) {
        responseHeaders(metadata: metadata, trailers: trailers) { fields.append(($0, $1)) }
    }

    private func responseHeaders(
        metadata: [(name: String, value: String)],
        trailers: [(name: String, value: String)],
        add: (String, String) -> Void
    ) {
        for (name, value) in metadata where !name.hasPrefix("grpc-") && !Self.neverReturned.contains(name) {
            add("Grpc-Metadata-\(name)", value)
        }
        for (name, value) in trailers where !name.hasPrefix("grpc-") && !Self.neverReturned.contains(name) {
            add("Grpc-Trailer-\(name)", value)
        }
    }

    /// gRPC metadata keys: `0-9 a-z _ - .`.
    static func isValidMetadataName(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            }
    }

    /// `-bin` metadata travels base64-encoded; a value that isn't base64 already is encoded.
    static func base64IfNeeded(_ value: String) -> String {
        let isBase64 = value.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "=")
        }
        return isBase64 ? value : Base64.encodedString(value.utf8)
    }
}

extension String {
    func trimmingSpaces() -> String {
        var view = Substring(self)
        while view.first == " " || view.first == "\t" { view.removeFirst() }
        while view.last == " " || view.last == "\t" { view.removeLast() }
        return String(view)
    }
}
