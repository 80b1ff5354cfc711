import NIOCore
import ProtoSchema

/// Protobuf wire-format writing straight into the output buffer.
extension ByteBuffer {
    /// Writes a base-128 varint.
    @inline(__always)
    mutating func writeVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            writeInteger(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        writeInteger(UInt8(truncatingIfNeeded: v))
    }

    /// Writes a little-endian 32-bit value.
    @inline(__always)
    mutating func writeFixed32(_ value: UInt32) {
        writeInteger(value, endianness: .little)
    }

    /// Writes a little-endian 64-bit value.
    @inline(__always)
    mutating func writeFixed64(_ value: UInt64) {
        writeInteger(value, endianness: .little)
    }

    /// Writes a length prefix followed by whatever `body` writes.
    ///
    /// The length is unknown until `body` returns, so five bytes are reserved (enough for any
    /// ByteBuffer length) and the content is moved left over the unused ones afterwards: one
    /// `memmove` per nesting level instead of a scratch buffer, and the varint stays canonical.
    mutating func writeDelimited<E: Error>(_ body: (inout ByteBuffer) throws(E) -> Void) throws(E) {
        let reserved = 5
        let prefixIndex = writerIndex
        writeRepeatingByte(0, count: reserved)
        try body(&self)
        let contentStart = prefixIndex + reserved
        let length = writerIndex - contentStart
        let prefixSize = Self.varintSize(UInt64(length))
        var prefix = UInt64(length)
        var index = prefixIndex
        while prefix >= 0x80 {
            setInteger(UInt8(truncatingIfNeeded: prefix) | 0x80, at: index)
            prefix >>= 7
            index += 1
        }
        setInteger(UInt8(truncatingIfNeeded: prefix), at: index)
        let shift = reserved - prefixSize
        if shift > 0 {
            if length > 0 {
                let readerIndex = self.readerIndex
                withUnsafeMutableReadableBytes { bytes in
                    let base = bytes.baseAddress! - readerIndex
                    (base + prefixIndex + prefixSize).copyMemory(from: base + contentStart, byteCount: length)
                }
            }
            moveWriterIndex(to: writerIndex - shift)
        }
    }

    /// The encoded size of a varint.
    static func varintSize(_ value: UInt64) -> Int {
        var size = 1
        var v = value >> 7
        while v != 0 {
            size += 1
            v >>= 7
        }
        return size
    }
}

/// ZigZag encoding for `sint32`/`sint64`.
enum ZigZag {
    static func encode32(_ value: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: (value << 1) ^ (value >> 31)))
    }

    static func encode64(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    static func decode32(_ value: UInt64) -> Int32 {
        let v = UInt32(truncatingIfNeeded: value)
        return Int32(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    static func decode64(_ value: UInt64) -> Int64 {
        Int64(bitPattern: (value >> 1) ^ (0 &- (value & 1)))
    }
}
