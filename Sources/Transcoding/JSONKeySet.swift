/// The keys seen so far in each open JSON object whose keys the streaming decoder must check for
/// duplicates itself (map fields, `Struct`s, unknown members, skipped values): jansson refuses
/// a document with a duplicate key anywhere, so the streaming path declines one.
///
/// One stack serves every nesting level: an object notes where its keys start
/// (``beginObject()``), adds them (``insert(_:since:)``) and drops them when it closes
/// (``endObject(_:)``). Small objects compare keys linearly; past ``hashedFrom`` keys an object
/// gets an open-addressing index of its own.
struct JSONKeySet {
    private var keys: [UnsafeRawBufferPointer] = []
    /// The hash index of the innermost object that outgrew linear search, if any:
    /// `slots[i]` is a position in `keys` plus one.
    private var hashed: (level: Int, slots: [Int32])?
    /// Outer objects' indexes, restored when the inner object closes.
    private var suspended: [(level: Int, slots: [Int32])] = []

    /// Objects with more keys than this are indexed by hash.
    static let hashedFrom = 16

    /// Starts an object; pass the result to ``insert(_:since:)`` and ``endObject(_:)``.
    func beginObject() -> Int { keys.count }

    /// Adds `key` to the object that began at `level`.
    /// - Throws: when the object already has it.
    mutating func insert(_ key: UnsafeRawBufferPointer, since level: Int) throws(StreamingDeclined) {
        let count = keys.count - level
        if count < Self.hashedFrom {
            for i in level..<keys.count where Self.equal(keys[i], key) { throw StreamingDeclined() }
            keys.append(key)
            return
        }
        if hashed?.level != level {
            if let outer = hashed { suspended.append(outer) }
            hashed = (level, Self.index(keys[level...]))
        }
        let mask = hashed!.slots.count - 1
        var slot = Int(Self.hash(key)) & mask
        while hashed!.slots[slot] != 0 {
            if Self.equal(keys[Int(hashed!.slots[slot]) - 1], key) { throw StreamingDeclined() }
            slot = (slot + 1) & mask
        }
        keys.append(key)
        hashed!.slots[slot] = Int32(keys.count)
        if (count + 1) * 2 > hashed!.slots.count {
            hashed = (level, Self.index(keys[level...]))
        }
    }

    /// Drops the keys of the object that began at `level`.
    mutating func endObject(_ level: Int) {
        keys.removeSubrange(level...)
        if hashed?.level == level { hashed = suspended.popLast() }
    }

    private static func index(_ keys: ArraySlice<UnsafeRawBufferPointer>) -> [Int32] {
        var size = 64
        while size < keys.count * 4 { size *= 2 }
        var slots = [Int32](repeating: 0, count: size)
        for i in keys.indices {
            var slot = Int(hash(keys[i])) & (size - 1)
            while slots[slot] != 0 { slot = (slot + 1) & (size - 1) }
            slots[slot] = Int32(i + 1)
        }
        return slots
    }

    private static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in bytes { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return hash
    }

    private static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        a.count == b.count && a.elementsEqual(b)
    }
}
