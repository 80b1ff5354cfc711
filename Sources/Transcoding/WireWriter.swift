/// Protobuf wire bytes under construction in one growable block of memory: the streaming
/// encoder's output, appended to the caller's `ByteBuffer` in one copy at the end.
///
/// Why not write to the `ByteBuffer` directly: each of its writes checks capacity and
/// uniqueness and goes through a generic byte copy, which for a one-byte tag or varint cost
/// more than the encoding itself (a quarter of the medium message's instructions). Here a write
/// is a capacity comparison and a store.
struct WireWriter {
    /// The memory (``count`` bytes written, room for more).
    private(set) var base: UnsafeMutableRawPointer
    /// Bytes written.
    private(set) var count = 0
    private var capacity: Int

    /// A writer with room for `capacity` bytes before it grows; call ``release()`` when done.
    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        self.base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 8)
    }

    /// Frees the memory.
    func release() {
        base.deallocate()
    }

    /// The bytes written so far.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    @inline(__always)
    private mutating func reserve(_ size: Int) {
        if count + size > capacity { grow(to: count + size) }
    }

    private mutating func grow(to size: Int) {
        var newCapacity = capacity * 2
        while newCapacity < size { newCapacity *= 2 }
        let grown = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 8)
        grown.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }

    /// Forgets everything written from `position` on.
    mutating func truncate(to position: Int) {
        count = position
    }

    /// Writes one byte.
    @inline(__always)
    mutating func writeByte(_ byte: UInt8) {
        reserve(1)
        base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    /// Writes a base-128 varint.
    @inline(__always)
    mutating func writeVarint(_ value: UInt64) {
        reserve(10)
        var v = value
        while v >= 0x80 {
            base.storeBytes(of: UInt8(truncatingIfNeeded: v) | 0x80, toByteOffset: count, as: UInt8.self)
            count += 1
            v >>= 7
        }
        base.storeBytes(of: UInt8(truncatingIfNeeded: v), toByteOffset: count, as: UInt8.self)
        count += 1
    }

    /// Writes a little-endian 32-bit value.
    mutating func writeFixed32(_ value: UInt32) {
        reserve(4)
        base.storeBytes(of: value.littleEndian, toByteOffset: count, as: UInt32.self)
        count += 4
    }

    /// Writes a little-endian 64-bit value.
    mutating func writeFixed64(_ value: UInt64) {
        reserve(8)
        base.storeBytes(of: value.littleEndian, toByteOffset: count, as: UInt64.self)
        count += 8
    }

    /// Writes raw bytes; returns how many.
    @discardableResult
    mutating func writeBytes(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return 0 }
        reserve(bytes.count)
        (base + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
        return bytes.count
    }

    /// Writes a length prefix followed by whatever `body` writes (five bytes reserved for the
    /// prefix, the content moved left over the unused ones, as `ByteBuffer.writeDelimited`).
    @inline(__always)
    mutating func writeDelimited<E: Error>(_ body: (inout WireWriter) throws(E) -> Void) throws(E) {
        reserve(5)
        let prefixIndex = count
        count += 5
        try body(&self)
        finishDelimited(prefixIndex)
    }

    private mutating func finishDelimited(_ prefixIndex: Int) {
        let contentStart = prefixIndex + 5
        let length = count - contentStart
        var prefix = UInt64(length)
        var index = prefixIndex
        while prefix >= 0x80 {
            base.storeBytes(of: UInt8(truncatingIfNeeded: prefix) | 0x80, toByteOffset: index, as: UInt8.self)
            prefix >>= 7
            index += 1
        }
        base.storeBytes(of: UInt8(truncatingIfNeeded: prefix), toByteOffset: index, as: UInt8.self)
        let shift = contentStart - (index + 1)
        if shift > 0 {
            if length > 0 { (base + index + 1).copyMemory(from: base + contentStart, byteCount: length) }
            count -= shift
        }
    }

    /// Whether every byte from `position` on is zero.
    func isZero(from position: Int) -> Bool {
        var i = position
        while i < count {
            if base.load(fromByteOffset: i, as: UInt8.self) != 0 { return false }
            i += 1
        }
        return true
    }
}
