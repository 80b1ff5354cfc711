import NIOCore
import Testing
import Upstream

@testable import Gateway

/// The close frame that carries a WebSocket session's final gRPC status.
@Suite("WebSocket close status")
struct WebSocketCloseStatusTests {
    @Test func okIsANormalClosure() {
        #expect(WebSocketCloseStatus(code: .ok, message: "").code == 1000)
    }

    @Test(arguments: [
        (GRPCStatus.Code.cancelled, 4001), (.invalidArgument, 4003), (.notFound, 4005), (.unavailable, 4014),
        (.unauthenticated, 4016),
    ])
    func errorsUseTheApplicationRange(_ code: GRPCStatus.Code, _ expected: Int) {
        #expect(WebSocketCloseStatus(code: code, message: "m").code == expected)
    }

    @Test func payloadIsTheBigEndianCodeThenTheReason() {
        let payload = WebSocketCloseStatus(code: .notFound, message: "user 9 not found").payload(
            allocator: ByteBufferAllocator()
        )
        #expect(Array(payload.readableBytesView) == [0x0F, 0xA5] + Array("user 9 not found".utf8))
    }

    @Test func longReasonsAreCutOnACharacterBoundary() {
        // 61 two-byte characters = 122 bytes; the 62nd would make 124 > 123.
        let reason = String(repeating: "é", count: 80)
        let status = WebSocketCloseStatus(code: .internalError, message: reason)
        #expect(status.reason == String(repeating: "é", count: 61))
        #expect(status.reason.utf8.count <= WebSocketCloseStatus.maxReasonBytes)
        let ascii = String(repeating: "x", count: 200)
        #expect(WebSocketCloseStatus(code: .internalError, message: ascii).reason.utf8.count == 123)
        #expect(WebSocketCloseStatus(code: .internalError, message: "short").reason == "short")
    }
}
