import NIOCore
import NIOWebSocket
import Upstream

/// The close frame that ends a WebSocket session, carrying the call's final gRPC status.
///
/// `1000` (normal closure) means `OK`. Any other status `N` is sent as `4000 + N` (the
/// application range of RFC 6455 §7.4.2: `4005` is `NOT_FOUND`, `4014` `UNAVAILABLE`), with the
/// status message as the reason, cut to the 123 bytes a close frame can hold without splitting a
/// UTF-8 character.
struct WebSocketCloseStatus: Equatable {
    /// The close code.
    let code: Int
    /// The reason text (at most ``maxReasonBytes`` bytes of UTF-8).
    let reason: String

    /// The most reason bytes a close frame has room for (125-byte control payload minus the code).
    static let maxReasonBytes = 123
    /// The code of a normal closure (`OK`).
    static let normalClosureCode = 1000
    /// The first code of the range that carries gRPC status codes.
    static let grpcStatusBase = 4000

    /// The close status for a call that ended with `code` and `message`.
    init(code: GRPCStatus.Code, message: String) {
        self.code = code == .ok ? Self.normalClosureCode : Self.grpcStatusBase + code.rawValue
        self.reason = Self.truncated(message)
    }

    /// A close status with a protocol-level code (`1009` message too big, `1002` protocol error).
    init(protocolCode: Int, reason: String) {
        self.code = protocolCode
        self.reason = Self.truncated(reason)
    }

    /// The close status for a gateway or backend error.
    init(error: GatewayError) {
        self.init(code: error.code.status, message: error.message)
    }

    /// The close frame's payload: the code (big-endian) then the reason.
    func payload(allocator: ByteBufferAllocator) -> ByteBuffer {
        var data = allocator.buffer(capacity: 2 + reason.utf8.count)
        data.write(webSocketErrorCode: WebSocketErrorCode(codeNumber: code))
        data.writeString(reason)
        return data
    }

    /// `text` cut to at most ``maxReasonBytes`` UTF-8 bytes, on a character boundary.
    static func truncated(_ text: String) -> String {
        guard text.utf8.count > maxReasonBytes else { return text }
        var result = ""
        var used = 0
        for character in text {
            let size = character.utf8.count
            if used + size > maxReasonBytes { break }
            result.append(character)
            used += size
        }
        return result
    }
}
