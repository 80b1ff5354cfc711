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

    private let names: ByteStringList
    private let tables: [Int]
    private let fields: [Int]
    /// Index into the names of the entry in each slot, or -1 for an empty slot.
    private let slots: [Int]
    private let mask: Int

    /// A table holding `names` (distinct per table).
    init(_ entries: [Name]) {
        var names = ByteStringList()
        var slotCount = 8
        while slotCount < entries.count * 2 { slotCount *= 2 }
        var slots = [Int](repeating: -1, count: slotCount)
        for (index, entry) in entries.enumerated() {
            names.append(entry.name)
            var slot = Array(entry.name.utf8).withUnsafeBufferPointer { Self.hash($0, table: entry.table) } & (slotCount - 1)
            while slots[slot] >= 0 { slot = (slot + 1) & (slotCount - 1) }
            slots[slot] = index
        }
        self.names = names
        self.tables = entries.map(\.table)
        self.fields = entries.map(\.field)
        self.slots = slots
        self.mask = slotCount - 1
    }

    /// The position of the field named `name` (UTF-8 bytes) in the message of table `table`.
    @inline(__always)
    func field(named name: UnsafeBufferPointer<UInt8>, table: Int) -> Int? {
        var slot = Self.hash(name, table: table) & mask
        while true {
            let index = slots[slot]
            guard index >= 0 else { return nil }
            if tables[index] == table && names.string(at: index, equals: name) { return fields[index] }
            slot = (slot + 1) & mask
        }
    }

    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>, table: Int) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        hash = (hash ^ UInt64(truncatingIfNeeded: table)) &* 0x0000_0100_0000_01b3
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return Int(truncatingIfNeeded: hash ^ hash >> 29)
    }
}
