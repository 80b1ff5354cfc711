import NIOCore
import NIOHTTP1

/// A complete HTTP/1.1 response (a unary call's, or an error's) as Portico writes it: the head's
/// text and the body in one buffer, written past NIO's response encoder. Building it needs no
/// `HTTPResponseHead` or `HTTPHeaders` (each an allocation, and the encoder copies the headers
/// to sanitize them) and, when the body was written behind ``headroom`` bytes of room, no second
/// buffer either: the head goes into that room.
///
/// Streamed responses (chunked) still go through NIO's encoder.
struct CompleteResponse {
    /// Room left before a body for its head: a typical head (status line, `Content-Type`,
    /// `Content-Length`, a few more) fits.
    static let headroom = 192

    /// The status.
    var status: HTTPResponseStatus
    /// `Content-Type`.
    var contentType: String
    /// Other header fields, in order (metadata, `Allow`, `Content-Encoding`...); usually none.
    var fields: [(name: String, value: String)] = []
    /// The body; its readable bytes are sent (none for `HEAD` requests).
    var body: ByteBuffer

    /// Adds a header field.
    mutating func add(name: String, value: String) {
        fields.append((name, value))
    }

    /// The field named `name` (ASCII case-insensitive), if any.
    func field(_ name: String) -> String? {
        fields.first { $0.name.utf8.count == name.utf8.count && $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The response's bytes for `request`: head then body, in the body's own buffer when its
    /// headroom holds the head.
    /// - Parameters:
    ///   - request: The request answered (its version, and whether it is `HEAD`).
    ///   - keepAlive: Whether the connection stays open (else `Connection: close`).
    ///   - scratch: A buffer the connection keeps for writing heads (cleared here).
    mutating func bytes(for request: HTTPRequestHead, keepAlive: Bool, scratch: inout ByteBuffer) -> ByteBuffer {
        scratch.clear()
        let version = request.version
        scratch.writeStaticString(version.major == 1 && version.minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
        scratch.writeString(String(status.code))
        scratch.writeInteger(UInt8(ascii: " "))
        scratch.writeString(status.reasonPhrase)
        // A 204 has no body, so neither Content-Type nor Content-Length (RFC 9110, 8.6).
        if status != .noContent {
            scratch.writeStaticString("\r\nContent-Type: ")
            scratch.writeString(contentType)
            scratch.writeStaticString("\r\nContent-Length: ")
            scratch.writeString(String(body.readableBytes))
        }
        scratch.writeStaticString("\r\n")
        for (name, value) in fields {
            scratch.writeString(name)
            scratch.writeStaticString(": ")
            scratch.writeString(value)
            scratch.writeStaticString("\r\n")
        }
        if !keepAlive {
            scratch.writeStaticString("Connection: close\r\n")
        } else if version.major == 1 && version.minor == 0 {
            scratch.writeStaticString("Connection: keep-alive\r\n")
        }
        scratch.writeStaticString("\r\n")
        let head = scratch.readableBytes
        if request.method == .HEAD || body.readableBytes == 0 {
            return scratch.getSlice(at: scratch.readerIndex, length: head).map { ByteBuffer(buffer: $0) }
                ?? ByteBuffer()
        }
        // The body is taken out, so that writing into its headroom copies nothing.
        var response = noBody
        swap(&response, &self.body)
        if response.readerIndex >= head {
            // The head goes into the body's headroom: one buffer, one write.
            response.moveReaderIndex(to: response.readerIndex - head)
            response.setBuffer(scratch, at: response.readerIndex)
            return response
        }
        var joined = ByteBufferAllocator().buffer(capacity: head + response.readableBytes)
        joined.writeImmutableBuffer(scratch)
        joined.writeImmutableBuffer(response)
        return joined
    }
}

/// What ``CompleteResponse/bytes(for:keepAlive:scratch:)`` leaves in place of the body it takes.
private let noBody = ByteBuffer()

extension ByteBuffer {
    /// A copy of `buffer`'s readable bytes in a buffer of their own (not sharing its storage).
    fileprivate init(buffer: ByteBuffer) {
        self = ByteBufferAllocator().buffer(capacity: buffer.readableBytes)
        self.writeImmutableBuffer(buffer)
    }
}

extension ByteBufferAllocator {
    /// A buffer for a complete response's body with ``CompleteResponse/headroom`` bytes of room
    /// before it for the head.
    /// - Parameter capacity: The body's expected size.
    func responseBodyBuffer(capacity: Int) -> ByteBuffer {
        var buffer = self.buffer(capacity: capacity + CompleteResponse.headroom)
        buffer.moveWriterIndex(forwardBy: CompleteResponse.headroom)
        buffer.moveReaderIndex(forwardBy: CompleteResponse.headroom)
        return buffer
    }
}
