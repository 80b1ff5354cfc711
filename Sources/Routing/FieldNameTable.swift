/// The field names of many message types, proto and JSON style, in one hash table keyed by
/// bytes: a query parameter's name is looked up as it is in the URL, without making a `String`
/// or hashing one with SipHash.
///
/// Each message type has a *table number*; a name maps to the position of its field in that
/// message's ``ProtoSchema/MessageDescriptor/fields``. Open addressing with linear probing over
/// a power-of-two array at most half full; an FNV-1a hash of the table number and the bytes.
struct FieldNameTable: Sendable {
    /// One name to find.
    struct Name {
        /// The message type's table number.
        var table: Int
        /// The proto or JSON name (or a group's type name) the message resolves.
        var name: String
        /// The position of the field it names in the message's fields.
        var field: Int
    }

    private struct Entry: Sendable {
        var table: Int
        var field: Int
        /// The name's length and first eight bytes (``ByteStringList/prefix(of:)``).
        var length: Int
        var prefix: UInt64
        /// Offset of the name's bytes in ``FieldNameTable/bytes``.
        var offset: Int
    }

    private let entries: [Entry]
    private let bytes: [UInt8]
    /// Index into ``entries`` of the entry in each slot, or -1 for an empty slot.
    private let slots: [Int]
    private let mask: Int

    /// A table holding `names` (distinct per table).
    init(_ names: [Name]) {
        var entries: [Entry] = []
        var bytes: [UInt8] = []
        var slotCount = 8
        while slotCount < names.count * 2 { slotCount *= 2 }
        var slots = [Int](repeating: -1, count: slotCount)
        for name in names {
            let utf8 = Array(name.name.utf8)
            let (hash, prefix) = utf8.withUnsafeBufferPointer { Self.hashAndPrefix($0, table: name.table) }
            var slot = hash & (slotCount - 1)
            while slots[slot] >= 0 { slot = (slot + 1) & (slotCount - 1) }
            slots[slot] = entries.count
            entries.append(Entry(table: name.table, field: name.field, length: utf8.count, prefix: prefix, offset: bytes.count))
            bytes.append(contentsOf: utf8)
        }
        self.entries = entries
        self.bytes = bytes
        self.slots = slots
        self.mask = slotCount - 1
    }

    /// The position of the field named `name` (UTF-8 bytes) in the message of table `table`.
    @inline(__always)
    func field(named name: UnsafeBufferPointer<UInt8>, table: Int) -> Int? {
        let (hash, prefix) = Self.hashAndPrefix(name, table: table)
        var slot = hash & mask
        while true {
            let index = slots[slot]
            guard index >= 0 else { return nil }
            let entry = entries[index]
            if entry.prefix == prefix, entry.length == name.count, entry.table == table, restMatches(name, at: entry.offset) {
                return entry.field
            }
            slot = (slot + 1) & mask
        }
    }

    @inline(__always)
    private func restMatches(_ name: UnsafeBufferPointer<UInt8>, at offset: Int) -> Bool {
        var index = 8
        while index < name.count {
            if bytes[offset + index] != name[index] { return false }
            index += 1
        }
        return true
    }

    /// An FNV-1a hash of the table number and the bytes, and the bytes' prefix, in one pass.
    @inline(__always)
    private static func hashAndPrefix(_ bytes: UnsafeBufferPointer<UInt8>, table: Int) -> (Int, UInt64) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        hash = (hash ^ UInt64(truncatingIfNeeded: table)) &* 0x0000_0100_0000_01b3
        var prefix: UInt64 = 0
        for index in 0..<bytes.count {
            let byte = UInt64(bytes[index])
            hash = (hash ^ byte) &* 0x0000_0100_0000_01b3
            if index < 8 { prefix |= byte << (8 * UInt64(index)) }
        }
        return (Int(truncatingIfNeeded: hash ^ hash >> 29), prefix)
    }
}
