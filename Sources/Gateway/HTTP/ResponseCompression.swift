import NIOCore
import NIOHTTP1
import Upstream

/// `Accept-Encoding: gzip` for complete (unary) responses: JSON and text bodies of at least
/// `compression.minBytes` are sent gzip-compressed with `Content-Encoding: gzip` and
/// `Vary: Accept-Encoding`. Streamed responses are sent as they are, message by message.
struct ResponseCompression {
    /// `compression` of the configuration.
    let settings: GatewayConfig.CompressionSettings

    /// Whether the client accepts gzip: a `gzip` (or `x-gzip`, or `*`) coding whose `q` is not 0.
    static func acceptsGzip(_ headers: HTTPHeaders) -> Bool {
        var accepted = false
        for value in headers[canonicalForm: "accept-encoding"] {
            let parts = value.filter { $0 != " " && $0 != "\t" }.lowercased().split(separator: ";")
            guard let coding = parts.first, coding == "gzip" || coding == "x-gzip" || coding == "*" else { continue }
            let q = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if coding == "*" && accepted { continue }
            accepted = q > 0
        }
        return accepted
    }

    /// The body to send for `request`'s response: compressed (and `headers` updated) when the
    /// client accepts gzip and the body is worth it, else unchanged.
    func apply(to body: ByteBuffer, headers: inout HTTPHeaders, request: HTTPRequestHead, allocator: ByteBufferAllocator) -> ByteBuffer {
        guard settings.enabled, body.readableBytes >= settings.minBytes, !headers.contains(name: "content-encoding"),
            Self.isCompressible(headers.first(name: "content-type")), Self.acceptsGzip(request.headers)
        else { return body }
        let compressed = Gzip.compress(body, level: Int32(settings.level), allocator: allocator)
        headers.replaceOrAdd(name: "Content-Encoding", value: "gzip")
        headers.add(name: "Vary", value: "Accept-Encoding")
        headers.replaceOrAdd(name: "Content-Length", value: String(compressed.readableBytes))
        return compressed
    }

    /// JSON and text; raw bytes are often compressed already.
    private static func isCompressible(_ contentType: String?) -> Bool {
        guard let type = contentType?.lowercased() else { return false }
        return type.hasPrefix("application/json") || type.hasPrefix("text/") || type.hasSuffix("+json")
    }
}
