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

    /// DATA-frame-sized and larger chunks behind a partial message: every message comes out
    /// whole whatever the chunk sizes, also when several chunks arrive before the reader drains
    /// (a paused call).
    @Test(arguments: [4096, 4097, 5000, 16384, 70000])
    func largeChunksBehindAPartialMessage(chunkSize: Int) {
        var generator = SystemRandomNumberGenerator()
        let sizes = (0..<60).map { i in
            i % 7 == 0 ? Int.random(in: 4000...9000, using: &generator) : Int.random(in: 0...1500, using: &generator)
        }
        let messages = sizes.enumerated().map { i, size in (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) } }
        var framed = ByteBuffer()
        for message in messages { GRPCMessageFramer.frame(ByteBuffer(bytes: message), into: &framed) }
        let bytes = Array(framed.readableBytesView)
        for drainEvery in [1, 3] {
            for lead in [0, 1, 3, 7, 100] {
                var deframer = GRPCMessageDeframer(maxMessageLength: 1 << 20)
                var out: [[UInt8]] = []
                // A small first chunk leaves a partial message for the large ones to complete.
                var offset = min(lead, bytes.count)
                deframer.append(ByteBuffer(bytes: bytes[..<offset]))
                var appended = 0
                while offset < bytes.count {
                    let end = min(offset + chunkSize, bytes.count)
                    deframer.append(ByteBuffer(bytes: bytes[offset..<end]))
                    offset = end
                    appended += 1
                    if appended % drainEvery == 0 { Self.drain(&deframer, into: &out) }
                }
                Self.drain(&deframer, into: &out)
                #expect(out.count == messages.count, "chunk \(chunkSize), lead \(lead), drain every \(drainEvery)")
                #expect(out == messages, "chunk \(chunkSize), lead \(lead), drain every \(drainEvery)")
                #expect(!deframer.hasBufferedBytes)
            }
        }
    }

    @Test func oversizedMessageInALargeChunkBehindAPartialPrefix() {
        var deframer = GRPCMessageDeframer(maxMessageLength: 10)
        deframer.append(ByteBuffer(bytes: [0, 0, 0]))
        deframer.append(ByteBuffer(bytes: [0, 11] + Array(repeating: 0, count: 5000)))
        guard case .tooLarge(let length) = deframer.next() else {
            Issue.record("expected tooLarge")
            return
        }
        #expect(length == 11)
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
