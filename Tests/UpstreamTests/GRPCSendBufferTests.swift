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
