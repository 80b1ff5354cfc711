import Synchronization

/// A small table of metric handles keyed by an integer (a status code, a method and status
/// pair), filled lazily: finding a filled key is a few atomic loads, no lock and no allocation;
/// filling one takes a lock once per key. Metric handles are made by the caller's `make` (a
/// registry lookup by name), so a request pays for that lookup only the first time its key is
/// seen. Keys beyond ``capacity`` go to a locked dictionary (a route with that many distinct
/// statuses is not a hot path).
final class MetricSlots<Handle: AnyObject & Sendable>: Sendable {
    /// Keys held lock-free.
    static var capacity: Int { 12 }

    private final class Slot: Sendable {
        /// -1 while empty; written after ``handle``.
        let key = Atomic<Int>(-1)
        let handle = Atomic<Unmanaged<Handle>?>(nil)

        deinit {
            handle.load(ordering: .acquiring)?.release()
        }
    }

    private let slots: [Slot]
    private let overflow = Mutex<[Int: Handle]>([:])

    /// An empty table.
    init() {
        slots = (0..<Self.capacity).map { _ in Slot() }
    }

    /// The handle for `key`, made by `make` the first time.
    /// - Parameters:
    ///   - key: A non-negative key.
    ///   - make: Makes the handle (called at most once per key, under the table's lock).
    @inline(__always)
    func handle(_ key: Int, make: () -> Handle) -> Handle {
        for slot in slots {
            let seen = slot.key.load(ordering: .acquiring)
            if seen == key { return slot.handle.load(ordering: .acquiring)!.takeUnretainedValue() }
            if seen == -1 { break }
        }
        return fill(key, make: make)
    }

    private func fill(_ key: Int, make: () -> Handle) -> Handle {
        overflow.withLock { extra in
            for slot in slots {
                let seen = slot.key.load(ordering: .acquiring)
                if seen == key { return slot.handle.load(ordering: .acquiring)!.takeUnretainedValue() }
                if seen == -1 {
                    let made = make()
                    // The handle first: a reader that sees the key finds it.
                    slot.handle.store(Unmanaged.passRetained(made), ordering: .releasing)
                    slot.key.store(key, ordering: .releasing)
                    return made
                }
            }
            if let existing = extra[key] { return existing }
            let made = make()
            extra[key] = made
            return made
        }
    }
}
