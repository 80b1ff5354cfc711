import NIOCore
import Testing

@testable import Upstream

@Suite struct GRPCMessageFramingTests {
    private static let messages: [[UInt8]] = [
        Array("hello".utf8), [], Array(repeating: 0xAB, count: 300), [0, 1, 2, 3, 4, 5], Array("bye".utf8),
    ]

    private static var framed: [UInt8] {
        var buffer = ByteBuffer()
        for message in messages { GRPCMessageFramer.frame(ByteBuffer(bytes: message), into: &buffer) }
        return Array(buffer.readableBytesView)
    }

    private static func drain(_ deframer: inout GRPCMessageDeframer, into out: inout [[UInt8]]) {
        while case .message(let message) = deframer.next() { out.append(Array(message.readableBytesView)) }
    }

    @Test func framerWritesPrefix() {
        var buffer = ByteBuffer()
        GRPCMessageFramer.frame(ByteBuffer(bytes: [7, 8, 9]), into: &buffer)
        #expect(Array(buffer.readableBytesView) == [0, 0, 0, 0, 3, 7, 8, 9])
    }

    @Test func everySplitPointInTwoChunks() {
        let bytes = Self.framed
        for split in 0...bytes.count {
            var deframer = GRPCMessageDeframer(maxMessageLength: 1 << 20)
            var out: [[UInt8]] = []
            deframer.append(ByteBuffer(bytes: bytes[..<split]))
            Self.drain(&deframer, into: &out)
            deframer.append(ByteBuffer(bytes: bytes[split...]))
            Self.drain(&deframer, into: &out)
            #expect(out == Self.messages, "split at \(split)")
            #expect(!deframer.hasBufferedBytes)
        }
    }

    @Test func byteByByte() {
        var deframer = GRPCMessageDeframer(maxMessageLength: 1 << 20)
        var out: [[UInt8]] = []
        for byte in Self.framed {
            deframer.append(ByteBuffer(bytes: [byte]))
            Self.drain(&deframer, into: &out)
        }
        #expect(out == Self.messages)
    }

    @Test func truncatedStreamLeavesBufferedBytes() {
        var deframer = GRPCMessageDeframer(maxMessageLength: 1 << 20)
        deframer.append(ByteBuffer(bytes: [0, 0, 0, 0, 4, 1, 2]))
        guard case .needMoreData = deframer.next() else {
            Issue.record("expected needMoreData")
            return
        }
        #expect(deframer.hasBufferedBytes)
    }

    @Test func compressedFlagIsReported() {
        var deframer = GRPCMessageDeframer(maxMessageLength: 1 << 20)
        deframer.append(ByteBuffer(bytes: [1, 0, 0, 0, 1, 42]))
        guard case .compressed = deframer.next() else {
            Issue.record("expected compressed")
            return
        }
    }

    @Test func oversizedMessageIsReportedFromThePrefixAlone() {
        var deframer = GRPCMessageDeframer(maxMessageLength: 10)
        deframer.append(ByteBuffer(bytes: [0, 0, 0, 0, 11]))
        guard case .tooLarge(let length) = deframer.next() else {
            Issue.record("expected tooLarge")
            return
        }
        #expect(length == 11)
    }
}
