public import NIOCore

/// gRPC's length-prefixed message framing: a 1-byte compressed flag, a 4-byte big-endian length,
/// then the message bytes.
enum GRPCMessageFramer {
    /// Length of the prefix written before every message.
    static let prefixLength = 5

    /// Appends `message` to `buffer` with an uncompressed prefix.
    /// - Parameters:
    ///   - message: The serialized message.
    ///   - buffer: The outbound body buffer.
    static func frame(_ message: ByteBuffer, into buffer: inout ByteBuffer) {
        buffer.reserveCapacity(minimumWritableBytes: prefixLength + message.readableBytes)
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt32(message.readableBytes))
        buffer.writeImmutableBuffer(message)
    }
}

/// Splits a stream of DATA payload bytes back into gRPC messages, whatever the chunk boundaries.
///
/// ```swift
/// var deframer = GRPCMessageDeframer(maxMessageLength: 4 << 20)
/// deframer.append(chunk)
/// while case .message(let message) = deframer.next() { deliver(message) }
/// ```
struct GRPCMessageDeframer {
    /// What ``next()`` found.
    enum Next {
        /// A complete message, prefix removed.
        case message(ByteBuffer)
        /// The buffered bytes end mid-prefix or mid-message (or there are none).
        case needMoreData
        /// The next message has the compressed flag set: its bytes, still compressed (prefix removed).
        case compressed(ByteBuffer)
        /// The next message's declared length exceeds the limit.
        case tooLarge(length: Int)
    }

    /// The largest message accepted, in bytes.
    let maxMessageLength: Int
    private var buffer: ByteBuffer?

    /// Creates an empty deframer.
    /// - Parameter maxMessageLength: The largest message accepted, in bytes.
    init(maxMessageLength: Int) {
        self.maxMessageLength = maxMessageLength
    }

    /// Whether bytes of an incomplete message are buffered (a stream ending now is truncated).
    var hasBufferedBytes: Bool { (self.buffer?.readableBytes ?? 0) > 0 }

    /// Buffers a chunk of DATA payload.
    mutating func append(_ chunk: ByteBuffer) {
        guard chunk.readableBytes > 0 else { return }
        if var buffer = self.buffer.take(), buffer.readableBytes > 0 {
            // Reclaim consumed space only when it is worth a move; slices already handed out keep
            // their own reference to the old storage.
            if buffer.readerIndex > 1 << 16 { buffer.discardReadBytes() }
            buffer.writeImmutableBuffer(chunk)
            self.buffer = buffer
        } else {
            self.buffer = chunk
        }
    }

    /// Removes and returns the next complete message, if one is buffered.
    mutating func next() -> Next {
        guard var buffer = self.buffer.take() else { return .needMoreData }
        // An emptied buffer is let go: it may be a slice of a larger receive buffer, which the
        // connection reuses once nothing holds it.
        defer { if buffer.readableBytes > 0 { self.buffer = buffer } }
        guard buffer.readableBytes >= GRPCMessageFramer.prefixLength,
            let flag = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
            let length = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt32.self)
        else { return .needMoreData }
        guard length <= self.maxMessageLength else { return .tooLarge(length: Int(length)) }
        guard buffer.readableBytes >= GRPCMessageFramer.prefixLength + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: GRPCMessageFramer.prefixLength)
        let message = buffer.readSlice(length: Int(length))!
        return flag & 0x01 != 0 ? .compressed(message) : .message(message)
    }
}

extension ByteBufferAllocator {
    /// A buffer to write one request message into, with room before it for the 5-byte gRPC
    /// prefix: ``UpstreamCall/send(message:)`` then frames it in place instead of copying it
    /// behind a prefix (pass it the last reference).
    /// - Parameter capacity: The message's expected size.
    public func grpcMessageBuffer(capacity: Int) -> ByteBuffer {
        var buffer = self.buffer(capacity: capacity + GRPCMessageFramer.prefixLength)
        buffer.moveWriterIndex(forwardBy: GRPCMessageFramer.prefixLength)
        buffer.moveReaderIndex(forwardBy: GRPCMessageFramer.prefixLength)
        return buffer
    }
}
