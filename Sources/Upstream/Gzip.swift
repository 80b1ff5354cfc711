import CZlib
public import NIOCore

/// gzip (RFC 1952) over zlib, for gRPC's `grpc-encoding: gzip` messages and HTTP
/// `Content-Encoding: gzip` bodies. One-shot: each call compresses or inflates a whole buffer.
///
/// zlib keeps the address of its `z_stream` in its internal state and checks it on every call
/// (`inflateStateCheck`), so the stream lives on the heap for the whole operation: a Swift `var`
/// passed with `&` may be a different temporary at each call.
public enum Gzip {
    /// A gzip stream that cannot be inflated, or inflates beyond the caller's limit.
    public struct Error: Swift.Error, CustomStringConvertible {
        /// What went wrong (zlib's message when it has one).
        public let description: String
    }

    /// `input` gzip-compressed at `level` (1 fastest ... 9 smallest; zlib's default is 6).
    public static func compress(
        _ input: ByteBuffer,
        level: Int32 = 6,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) -> ByteBuffer {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        // windowBits 15 + 16: a gzip header and trailer instead of zlib's. Z_MEM_ERROR is the only
        // failure possible with these constant arguments.
        let initialized = deflateInit2_(
            stream,
            level,
            Z_DEFLATED,
            15 + 16,
            8,
            Z_DEFAULT_STRATEGY,
            ZLIB_VERSION,
            Int32(MemoryLayout<z_stream>.size)
        )
        precondition(initialized == Z_OK, "zlib deflateInit2 failed (out of memory)")
        defer { deflateEnd(stream) }
        let bound = Int(deflateBound(stream, uLong(input.readableBytes)))
        var output = allocator.buffer(capacity: bound)
        input.withUnsafeReadableBytes { source in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: source.bindMemory(to: Bytef.self).baseAddress)
            stream.pointee.avail_in = uInt(source.count)
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { target in
                stream.pointee.next_out = target.bindMemory(to: Bytef.self).baseAddress
                stream.pointee.avail_out = uInt(target.count)
                // deflateBound guarantees that one call with Z_FINISH completes.
                let result = deflate(stream, Z_FINISH)
                precondition(result == Z_STREAM_END, "zlib deflate did not finish within deflateBound")
                return target.count - Int(stream.pointee.avail_out)
            }
        }
        return output
    }

    /// `input` inflated; throws when it is not gzip (or zlib) data, is truncated, or would inflate
    /// to more than `limit` bytes (a compression bomb is refused, not buffered).
    public static func decompress(
        _ input: ByteBuffer,
        limit: Int,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) throws(Gzip.Error) -> ByteBuffer {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        // windowBits 15 + 32: accept gzip or zlib headers.
        guard inflateInit2_(stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Gzip.Error(description: "zlib inflateInit2 failed")
        }
        defer { inflateEnd(stream) }
        var output = allocator.buffer(capacity: min(max(input.readableBytes * 4, 256), limit + 1))
        var failure: Gzip.Error?
        input.withUnsafeReadableBytes { source in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: source.bindMemory(to: Bytef.self).baseAddress)
            stream.pointee.avail_in = uInt(source.count)
            while failure == nil {
                let room = min(max(output.writableBytes, 4096), limit + 1 - output.readableBytes)
                guard room > 0 else {
                    failure = Gzip.Error(description: "inflates to more than \(limit) bytes")
                    return
                }
                var result: Int32 = Z_OK
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { target in
                    stream.pointee.next_out = target.bindMemory(to: Bytef.self).baseAddress
                    stream.pointee.avail_out = uInt(min(target.count, room))
                    let before = stream.pointee.avail_out
                    result = inflate(stream, Z_NO_FLUSH)
                    return Int(before - stream.pointee.avail_out)
                }
                switch result {
                case Z_STREAM_END:
                    if output.readableBytes > limit {
                        failure = Gzip.Error(description: "inflates to more than \(limit) bytes")
                    }
                    return
                case Z_OK:
                    continue
                case Z_BUF_ERROR where stream.pointee.avail_in == 0:
                    failure = Gzip.Error(description: "truncated gzip data")
                default:
                    // Z_DATA_ERROR (not gzip, bad checksum), Z_NEED_DICT, Z_MEM_ERROR.
                    let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(result)"
                    failure = Gzip.Error(description: "invalid gzip data: \(message)")
                }
            }
        }
        if let failure { throw failure }
        return output
    }
}
