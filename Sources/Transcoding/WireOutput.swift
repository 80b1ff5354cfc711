import NIOCore
import ProtoSchema
import TextCoding

/// Where protobuf wire bytes are written: a `ByteBuffer` (the tree path, bindings, responses)
/// or a ``WireWriter`` (the streaming path).
///
/// Each output keeps its own primitive writes (a `WireWriter` write is a capacity check and a
/// store); what is built from them, a tag, a scalar (``WireScalar/write(into:)``), a
/// well-known type's fields, is written once here for both. Callers name a concrete output, so
/// these generic writers are specialized for each and cost what the hand-written copies did.
protocol WireOutput {
    /// Writes a base-128 varint.
    mutating func writeVarint(_ value: UInt64)
    /// Writes a little-endian 32-bit value.
    mutating func writeFixed32(_ value: UInt32)
    /// Writes a little-endian 64-bit value.
    mutating func writeFixed64(_ value: UInt64)
    /// Writes raw bytes; returns how many.
    @discardableResult
    mutating func writeBytes(_ bytes: UnsafeRawBufferPointer) -> Int
    /// Writes a length prefix followed by whatever `body` writes.
    mutating func writeDelimited<E: Error>(_ body: (inout Self) throws(E) -> Void) throws(E)
    /// Writes the bytes base64 `text` decodes to, after their length.
    /// - Returns: false when `text` is not base64 (what was written is then to be discarded).
    mutating func writeBase64Decoded(_ text: UnsafeRawBufferPointer) -> Bool
}

extension WireOutput {
    /// Writes a field tag.
    @inline(__always)
    mutating func writeTag(_ number: Int32, _ wireType: WireType) {
        writeVarint(UInt64(UInt32(bitPattern: number)) << 3 | UInt64(wireType.rawValue))
    }
}

extension ByteBuffer: WireOutput {
    /// Decodes `text` straight into the buffer, inside a length-delimited run.
    mutating func writeBase64Decoded(_ text: UnsafeRawBufferPointer) -> Bool {
        var valid = true
        writeDelimited { (out: inout ByteBuffer) in valid = Base64.decode(text, into: &out) }
        return valid
    }
}

extension WireWriter: WireOutput {
    /// Decodes `text` into a scratch buffer (the decoder writes only to a `ByteBuffer`), then
    /// copies it after its length.
    mutating func writeBase64Decoded(_ text: UnsafeRawBufferPointer) -> Bool {
        var decoded = ByteBuffer()
        guard Base64.decode(text, into: &decoded) else { return false }
        writeVarint(UInt64(decoded.readableBytes))
        _ = decoded.withUnsafeReadableBytes { writeBytes($0) }
        return true
    }
}
