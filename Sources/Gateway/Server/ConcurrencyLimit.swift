import Synchronization

/// Calls in flight to one backend across every event loop, bounded by
/// `backends.<name>.maxConcurrentRequests`: a call over the limit is refused at once (503)
/// instead of queuing without bound. One atomic add per call start and finish.
final class ConcurrencyLimit: Sendable {
    /// The most calls allowed in flight.
    let limit: Int
    private let inFlight = Atomic<Int>(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a slot; false when the backend is at its limit (nothing taken).
    func acquire() -> Bool {
        if inFlight.add(1, ordering: .relaxed).newValue > limit {
            inFlight.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    /// Gives back a slot taken by ``acquire()``.
    func release() {
        inFlight.subtract(1, ordering: .relaxed)
    }

    /// Calls in flight now.
    var current: Int { inFlight.load(ordering: .relaxed) }
}
