/// An immutable map from names to small integers, looked up by UTF-8 bytes without making a
/// `String`: the JSON decoder finds a field (or an enum value) straight from the bytes of the
/// request body, and the router a query parameter's field from the bytes of the URL.
///
/// Open addressing over a power-of-two slot array, at most half full; each entry keeps its hash,
/// so a probe compares the name's bytes only when the hashes agree. Built once with the
/// descriptor pool and shared by every request.
public struct UTF8NameTable: Sendable {
    /// One name: its bytes are `names[start..<start + length]`.
    private struct Entry: Sendable {
        var hash: UInt32
        var start: Int32
        var length: Int32
        var value: Int32
    }

    /// `slots[i]` is an index into `entries` plus one; 0 marks an empty slot.
    private let slots: [Int32]
    private let entries: [Entry]
    /// Every name's bytes, back to back.
    private let names: [UInt8]

    /// Creates a table; when a name appears twice, its first value is kept.
    /// - Parameter pairs: names and their values, in priority order.
    public init(_ pairs: [(name: String, value: Int32)]) {
        var slotCount = 4
        while slotCount < pairs.count * 2 { slotCount *= 2 }
        var slots = [Int32](repeating: 0, count: slotCount)
        var entries: [Entry] = []
        var names: [UInt8] = []
        entries.reserveCapacity(pairs.count)
        for (name, value) in pairs {
            let bytes = Array(name.utf8)
            let hash = bytes.withUnsafeBytes { Self.hash($0) }
            var slot = Int(hash) & (slotCount - 1)
            var duplicate = false
            while slots[slot] != 0 {
                let entry = entries[Int(slots[slot]) - 1]
                if entry.hash == hash, names[Int(entry.start)..<Int(entry.start + entry.length)].elementsEqual(bytes) {
                    duplicate = true
                    break
                }
                slot = (slot + 1) & (slotCount - 1)
            }
            if duplicate { continue }
            entries.append(Entry(hash: hash, start: Int32(names.count), length: Int32(bytes.count), value: value))
            names.append(contentsOf: bytes)
            slots[slot] = Int32(entries.count)
        }
        self.slots = slots
        self.entries = entries
        self.names = names
    }

    /// The value stored under the name spelled by `key`'s bytes, if any.
    public func value(for key: UnsafeRawBufferPointer) -> Int32? {
        let hash = Self.hash(key)
        return slots.withUnsafeBufferPointer { slots in
            entries.withUnsafeBufferPointer { entries in
                names.withUnsafeBytes { names in
                    let mask = slots.count - 1
                    var slot = Int(hash) & mask
                    while true {
                        let occupant = Int(slots[slot])
                        if occupant == 0 { return nil }
                        let entry = entries[occupant - 1]
                        if entry.hash == hash, Int(entry.length) == key.count,
                            key.count == 0
                                || memoryEqual(names.baseAddress! + Int(entry.start), key.baseAddress!, key.count)
                        {
                            return entry.value
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
    }

    /// FNV-1a over the bytes: names are short, and this needs no seed or allocation.
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in bytes {
            hash = (hash ^ UInt32(byte)) &* 16_777_619
        }
        return hash
    }
}

/// Whether `count` bytes at `a` and `b` are equal.
func memoryEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
    var i = 0
    while i + 8 <= count {
        if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
            return false
        }
        i += 8
    }
    while i < count {
        if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        i += 1
    }
    return true
}
