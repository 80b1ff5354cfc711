import NIOCore

/// One call's request body waiting for nghttp2: gRPC-framed messages in send order.
///
/// Small messages (and every 5-byte prefix) are copied into an owned tail buffer, so a chat of
/// tiny messages costs one allocation per tail, not per message. Large messages are queued by
/// reference: an upload chunk is copied exactly once, into nghttp2's DATA frame. Storage is
/// released chunk by chunk as nghttp2 takes it and the tail is capped, so memory stays
/// proportional to ``count`` however long the stream runs without ever emptying.
struct GRPCSendBuffer {
    /// Messages up to this size are copied into the tail; larger ones are queued by reference.
    static let copyLimit = 8 << 10
    /// The tail takes no more writes once it spans this many bytes (sent bytes included); a
    /// fresh tail starts instead, so a never-empty tail cannot grow without bound.
    static let tailLimit = 64 << 10

    /// Framed bytes (prefixes included) not yet read.
    private(set) var count = 0
    /// Full chunks in send order, before `tail`.
    private var chunks = CircularBuffer<ByteBuffer>(initialCapacity: 4)
    /// The buffer small messages are appended to; read after `chunks`.
    private var tail: ByteBuffer?
    private let allocator: ByteBufferAllocator

    /// Creates an empty buffer.
    /// - Parameter allocator: Allocates tail buffers.
    init(allocator: ByteBufferAllocator) {
        self.allocator = allocator
    }

    /// Appends `message` with an uncompressed 5-byte gRPC prefix.
    /// - Parameter message: The serialized message; a large one is kept (not copied) until sent.
    mutating func append(message: ByteBuffer, compressed: Bool = false) {
        let length = message.readableBytes
        let copied = length <= Self.copyLimit
        let tailBytes = GRPCMessageFramer.prefixLength + (copied ? length : 0)
        var tail: ByteBuffer
        if let current = self.tail.take() {
            if current.writerIndex + tailBytes <= Self.tailLimit {
                tail = current
            } else {
                // The old tail keeps its place in the order as a full chunk.
                if current.readableBytes > 0 { self.chunks.append(current) }
                tail = self.allocator.buffer(capacity: max(tailBytes, 256))
            }
        } else {
            tail = self.allocator.buffer(capacity: max(tailBytes, 256))
        }
        tail.writeInteger(UInt8(compressed ? 1 : 0))
        tail.writeInteger(UInt32(length))
        if copied {
            tail.writeImmutableBuffer(message)
            self.tail = tail
        } else {
            self.chunks.append(tail)
            self.chunks.append(message)
        }
        self.count += GRPCMessageFramer.prefixLength + length
    }

    /// Moves up to `destination.count` bytes, oldest first, into `destination`.
    /// - Returns: The number of bytes copied.
    mutating func read(into destination: UnsafeMutableRawBufferPointer) -> Int {
        var copied = 0
        while copied < destination.count, var chunk = self.chunks.popFirst() {
            copied += Self.copy(from: &chunk, to: destination, at: copied)
            if chunk.readableBytes > 0 {
                self.chunks.prepend(chunk)
                break
            }
        }
        if copied < destination.count, var tail = self.tail.take() {
            copied += Self.copy(from: &tail, to: destination, at: copied)
            // An emptied tail is reused from the start; its storage is ours alone.
            if tail.readableBytes == 0 { tail.clear() }
            self.tail = tail
        }
        self.count -= copied
        return copied
    }

    /// Drops everything and releases the storage.
    mutating func removeAll() {
        self.chunks.removeAll()
        self.tail = nil
        self.count = 0
    }

    private static func copy(
        from chunk: inout ByteBuffer,
        to destination: UnsafeMutableRawBufferPointer,
        at offset: Int
    ) -> Int {
        let count = min(chunk.readableBytes, destination.count - offset)
        guard count > 0 else { return 0 }
        chunk.readWithUnsafeReadableBytes { source in
            UnsafeMutableRawBufferPointer(rebasing: destination[offset..<(offset + count)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: source.prefix(count)))
            return count
        }
        return count
    }
}
