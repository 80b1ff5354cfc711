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

    /// Compresses `response`'s body (and sets its headers) when the client accepts gzip and the
    /// body is worth it; leaves it as it is otherwise.
    func apply(to response: inout CompleteResponse, request: HTTPRequestHead, allocator: ByteBufferAllocator) {
        // Cheapest checks first: most requests accept no gzip, most bodies are small.
        guard settings.enabled, response.body.readableBytes >= settings.minBytes, Self.acceptsGzip(request.headers),
            response.field("content-encoding") == nil, Self.isCompressible(response.contentType)
        else { return }
        response.body = Gzip.compress(response.body, level: Int32(settings.level), allocator: allocator)
        response.add(name: "Content-Encoding", value: "gzip")
        response.add(name: "Vary", value: "Accept-Encoding")
    }

    /// JSON and text; raw bytes are often compressed already.
    private static func isCompressible(_ contentType: String?) -> Bool {
        guard let type = contentType?.lowercased() else { return false }
        return type.hasPrefix("application/json") || type.hasPrefix("text/") || type.hasSuffix("+json")
    }
}
