import NIOCore
import Testing

@testable import Upstream

@Suite struct GRPCSendBufferTests {
    /// Sizes around the copy limit and the tail limit, in an order that mixes copied and
    /// referenced messages.
    private static let sizes = [0, 3, 8 << 10, (8 << 10) + 1, 100, 70 << 10, 1, 60 << 10, 5, 9000, 4096, 4096]

    private static func message(_ index: Int, size: Int) -> ByteBuffer {
        ByteBuffer(bytes: (0..<size).map { UInt8(truncatingIfNeeded: index &* 31 &+ $0) })
    }

    private static var framed: [UInt8] {
        var buffer = ByteBuffer()
        for (index, size) in sizes.enumerated() { GRPCMessageFramer.frame(message(index, size: size), into: &buffer) }
        return Array(buffer.readableBytesView)
    }

    private static func read(_ buffer: inout GRPCSendBuffer, upTo length: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0xEE, count: length)
        let count = out.withUnsafeMutableBytes { buffer.read(into: $0) }
        return Array(out.prefix(count))
    }

    @Test(arguments: [1, 5, 7, 4096, 16 << 10, 1 << 20])
    func readsTheFramedStreamInOrderWhateverTheReadSize(readSize: Int) {
        var buffer = GRPCSendBuffer(allocator: ByteBufferAllocator())
        for (index, size) in Self.sizes.enumerated() { buffer.append(message: Self.message(index, size: size)) }
        let expected = Self.framed
        #expect(buffer.count == expected.count)
        var out: [UInt8] = []
        while buffer.count > 0 {
            let before = buffer.count
            let chunk = Self.read(&buffer, upTo: readSize)
            #expect(chunk.count == min(readSize, before))
            #expect(buffer.count == before - chunk.count)
            out += chunk
        }
        #expect(out == expected)
        #expect(Self.read(&buffer, upTo: 10).isEmpty)
    }

    @Test func interleavedAppendsAndReadsKeepOrder() {
        // Never lets the buffer empty, so the tail is written while being read.
        var buffer = GRPCSendBuffer(allocator: ByteBufferAllocator())
        var reference = ByteBuffer()
        var out: [UInt8] = []
        for index in 0..<2000 {
            let size = [10, 200, 3000, 9000][index % 4]
            let message = Self.message(index, size: size)
            buffer.append(message: message)
            GRPCMessageFramer.frame(message, into: &reference)
            out += Self.read(&buffer, upTo: 2500)
        }
        while buffer.count > 0 { out += Self.read(&buffer, upTo: 777) }
        #expect(out == Array(reference.readableBytesView))
    }

    @Test func removeAllEmpties() {
        var buffer = GRPCSendBuffer(allocator: ByteBufferAllocator())
        buffer.append(message: Self.message(0, size: 100))
        buffer.append(message: Self.message(1, size: 100 << 10))
        buffer.removeAll()
        #expect(buffer.count == 0)
        #expect(Self.read(&buffer, upTo: 10).isEmpty)
        buffer.append(message: ByteBuffer(bytes: [9]))
        #expect(Self.read(&buffer, upTo: 10) == [0, 0, 0, 0, 1, 9])
    }
}

/// Messages written with headroom for their prefix (``ByteBufferAllocator/grpcMessageBuffer``)
/// are framed in place; mixed with other messages, the framed stream keeps the send order.
@Suite struct GRPCSendBufferHeadroomTests {
    private static func message(_ index: Int, size: Int, headroom: Bool) -> ByteBuffer {
        var buffer = headroom ? ByteBufferAllocator().grpcMessageBuffer(capacity: size) : ByteBuffer()
        buffer.writeBytes((0..<size).map { UInt8(truncatingIfNeeded: index &* 31 &+ $0) })
        return buffer
    }

    private static func drain(_ buffer: inout GRPCSendBuffer, readSize: Int) -> [UInt8] {
        var out: [UInt8] = []
        while buffer.count > 0 {
            var chunk = [UInt8](repeating: 0, count: readSize)
            let count = chunk.withUnsafeMutableBytes { buffer.read(into: $0) }
            out += chunk.prefix(count)
        }
        return out
    }

    @Test(arguments: [1, 7, 4096, 1 << 20])
    func mixedMessagesKeepTheirOrder(readSize: Int) {
        let sizes = [3, 100, 9000, 0, 20, 70 << 10, 5, 8 << 10]
        var buffer = GRPCSendBuffer(allocator: ByteBufferAllocator())
        var reference = ByteBuffer()
        for (index, size) in sizes.enumerated() {
            let message = Self.message(index, size: size, headroom: index % 3 != 1)
            GRPCMessageFramer.frame(message, into: &reference)
            buffer.append(message: message)
        }
        #expect(buffer.count == reference.readableBytes)
        #expect(Self.drain(&buffer, readSize: readSize) == Array(reference.readableBytesView))
    }

    @Test func aMessageWithHeadroomIsFramedInPlaceAndCanBeAppendedAgain() {
        var buffer = GRPCSendBuffer(allocator: ByteBufferAllocator())
        let appended = buffer.append(message: Self.message(1, size: 12, headroom: true))
        guard case .framed(let framed) = appended else {
            Issue.record("expected a message framed in place")
            return
        }
        #expect(Array(framed.readableBytesView.prefix(5)) == [0, 0, 0, 0, 12])
        let first = Self.drain(&buffer, readSize: 100)
        buffer.append(appended)
        #expect(Self.drain(&buffer, readSize: 3) == first)
        guard
            case .message(_, compressed: true) = buffer.append(
                message: Self.message(2, size: 4, headroom: false),
                compressed: true
            )
        else {
            Issue.record("a message without headroom is kept as it was given")
            return
        }
        #expect(Self.drain(&buffer, readSize: 100).first == 1, "the compressed flag")
    }
}
