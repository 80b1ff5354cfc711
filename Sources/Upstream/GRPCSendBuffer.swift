import NIOCore

/// One call's request body waiting for nghttp2: gRPC-framed messages in send order.
///
/// A message that leaves ``GRPCMessageFramer/prefixLength`` bytes of headroom before its reader
/// index (``GRPCMessageFramer/reservingPrefix(_:)``: the gateway builds its messages so) is framed
/// in place and queued by reference: no copy and, for the first message of a call (a unary
/// request), no allocation at all. Otherwise small messages (and their 5-byte prefixes) are copied
/// into an owned tail buffer, so a chat of tiny messages costs one allocation per tail, not per
/// message, and large ones are queued by reference behind a prefix: an upload chunk is copied
/// exactly once, into nghttp2's DATA frame. Storage is released chunk by chunk as nghttp2 takes it
/// and the tail is capped, so memory stays proportional to ``count`` however long the stream runs
/// without ever emptying.
struct GRPCSendBuffer {
    /// Messages up to this size are copied into the tail; larger ones are queued by reference.
    static let copyLimit = 8 << 10
    /// The tail takes no more writes once it spans this many bytes (sent bytes included); a
    /// fresh tail starts instead, so a never-empty tail cannot grow without bound.
    static let tailLimit = 64 << 10

    /// Framed bytes (prefixes included) not yet read.
    private(set) var count = 0
    /// The first chunk in send order, before `chunks`: a call's only message needs no queue.
    private var first: ByteBuffer?
    /// Full chunks in send order, after `first` and before `tail`; made on first need.
    private var chunks: CircularBuffer<ByteBuffer>?
    /// The buffer small messages are appended to; read after `chunks`.
    private var tail: ByteBuffer?
    private let allocator: ByteBufferAllocator

    /// Creates an empty buffer.
    /// - Parameter allocator: Allocates tail buffers.
    init(allocator: ByteBufferAllocator) {
        self.allocator = allocator
    }

    /// A message as appended, to append again (a transparent retry): framed in place, or as it
    /// was given.
    enum Appended {
        /// Framed in its own headroom: the prefix and the message.
        case framed(ByteBuffer)
        /// The message without prefix, and its compressed flag.
        case message(ByteBuffer, compressed: Bool)
    }

    /// Appends `message` with a 5-byte gRPC prefix.
    /// - Parameters:
    ///   - message: The serialized message; a large one, or one with headroom for its prefix, is
    ///     kept (not copied) until sent. Pass the last reference to it: framing in place writes
    ///     into the headroom, which copies a buffer someone else still holds.
    ///   - compressed: The prefix's compressed flag.
    /// - Returns: The message as appended, for ``append(_:)``.
    @discardableResult
    mutating func append(message: consuming ByteBuffer, compressed: Bool = false) -> Appended {
        let length = message.readableBytes
        if message.readerIndex >= GRPCMessageFramer.prefixLength, length > Self.copyLimit || self.tailIsEmpty {
            var framed = message
            framed.moveReaderIndex(to: framed.readerIndex - GRPCMessageFramer.prefixLength)
            framed.setInteger(UInt8(compressed ? 1 : 0), at: framed.readerIndex)
            framed.setInteger(UInt32(length), at: framed.readerIndex + 1)
            self.count += framed.readableBytes
            self.enqueue(framed)
            return .framed(framed)
        }
        self.count += GRPCMessageFramer.prefixLength + length
        let copied = length <= Self.copyLimit
        let tailBytes = GRPCMessageFramer.prefixLength + (copied ? length : 0)
        var tail: ByteBuffer
        if let current = self.tail.take() {
            if current.writerIndex + tailBytes <= Self.tailLimit {
                tail = current
            } else {
                // The old tail keeps its place in the order as a full chunk.
                if current.readableBytes > 0 { self.enqueue(current) }
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
            self.enqueue(tail)
            self.enqueue(message)
        }
        return .message(message, compressed: compressed)
    }

    /// Appends a message again, as ``append(message:compressed:)`` returned it.
    mutating func append(_ appended: Appended) {
        switch appended {
        case .framed(let framed):
            self.count += framed.readableBytes
            self.enqueue(framed)
        case .message(let message, let compressed):
            self.append(message: message, compressed: compressed)
        }
    }

    /// Whether the tail holds no unread bytes: a message framed in place may then go next without
    /// overtaking bytes appended before it.
    private var tailIsEmpty: Bool {
        (self.tail?.readableBytes ?? 0) == 0
    }

    /// Queues a full chunk after everything but the tail (which must then be empty or consumed).
    private mutating func enqueue(_ chunk: ByteBuffer) {
        if let tail = self.tail.take(), tail.readableBytes > 0 {
            // Bytes already in the tail go before the new chunk.
            self.enqueueChunk(tail)
        }
        self.enqueueChunk(chunk)
    }

    private mutating func enqueueChunk(_ chunk: ByteBuffer) {
        if self.first == nil, self.chunks?.isEmpty ?? true {
            self.first = chunk
        } else {
            if self.chunks == nil { self.chunks = CircularBuffer(initialCapacity: 4) }
            self.chunks!.append(chunk)
        }
    }

    /// Moves up to `destination.count` bytes, oldest first, into `destination`.
    /// - Returns: The number of bytes copied.
    mutating func read(into destination: UnsafeMutableRawBufferPointer) -> Int {
        var copied = 0
        if var chunk = self.first.take() {
            copied += Self.copy(from: &chunk, to: destination, at: copied)
            if chunk.readableBytes > 0 {
                self.first = chunk
                self.count -= copied
                return copied
            }
        }
        while copied < destination.count, var chunk = self.chunks?.popFirst() {
            copied += Self.copy(from: &chunk, to: destination, at: copied)
            if chunk.readableBytes > 0 {
                self.chunks!.prepend(chunk)
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

    /// Drops everything and releases the storage (the queue keeps its own, empty).
    mutating func removeAll() {
        self.first = nil
        self.chunks?.removeAll(keepingCapacity: true)
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
