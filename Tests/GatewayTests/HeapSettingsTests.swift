#if canImport(Glibc)
import Glibc
import Gateway
import Testing

/// `HeapSettings`: after `serve` fixes glibc's mmap threshold, a large block still gets its own
/// mapping after an earlier one was freed (left alone, glibc would have raised the threshold on
/// that free and served the second block from the heap).
@Suite("Heap settings")
struct HeapSettingsTests {
    @Test func largeBlocksKeepTheirOwnMappingAfterAFree() throws {
        try #require(getenv(HeapSettings.operatorVariable) == nil, "the operator's variable is set here")
        #expect(HeapSettings.fixMmapThreshold() == HeapSettings.mmapThresholdBytes)
        for size in [1 << 20, 1 << 20, 4 << 20, 1 << 20, HeapSettings.mmapThresholdBytes + 4096] {
            let block = try #require(malloc(size))
            defer { free(block) }
            #expect(isMapped(block), "a block of \(size) bytes came from the heap")
        }
        let small = try #require(malloc(64 * 1024))
        defer { free(small) }
        #expect(!isMapped(small), "a block under the threshold comes from the heap")
    }

    /// glibc's chunk header: the size word before the block, bit 1 (`IS_MMAPPED`) set for a block
    /// with a mapping of its own.
    private func isMapped(_ block: UnsafeMutableRawPointer) -> Bool {
        UnsafeRawPointer(block).load(fromByteOffset: -MemoryLayout<Int>.size, as: UInt.self) & 0x2 != 0
    }
}
#endif
