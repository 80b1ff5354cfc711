import NIOCore
import Testing
import Upstream

@Suite struct GzipTests {
    /// Inflating 3 MiB takes many `inflate` calls on one stream (the case the heap-allocated
    /// `z_stream` is for: zlib checks the stream's address on each call).
    @Test func inflatesOverManyCallsOnOneStream() throws {
        var input = ByteBuffer()
        for i in 0..<(3 << 20) / 8 { input.writeInteger(UInt64(i % 977) &* 0x9E37_79B9) }
        let compressed = Gzip.compress(input)
        #expect(compressed.readableBytes < input.readableBytes)
        let inflated = try Gzip.decompress(compressed, limit: 4 << 20)
        #expect(inflated == input)
    }

    @Test func refusesBombsTruncationAndGarbage() {
        let bomb = Gzip.compress(ByteBuffer(repeating: 0, count: 1 << 20))
        #expect(throws: Gzip.Error.self) { try Gzip.decompress(bomb, limit: 1000) }
        var truncated = Gzip.compress(ByteBuffer(string: String(repeating: "portico ", count: 500)))
        truncated.moveWriterIndex(to: truncated.writerIndex - 10)
        #expect(throws: Gzip.Error.self) { try Gzip.decompress(truncated, limit: 1 << 20) }
        #expect(throws: Gzip.Error.self) { try Gzip.decompress(ByteBuffer(string: "not gzip at all"), limit: 1 << 20) }
    }
}
