import Synchronization

/// Calls in flight to one cluster across every event loop, bounded by
/// ``ClusterConfiguration/maxConcurrentRequests``: a call over the limit is refused at once
/// instead of queuing without bound. One atomic add per call start and finish.
public final class ConcurrencyLimit: Sendable {
    /// The most calls allowed in flight.
    public let limit: Int
    private let inFlight = Atomic<Int>(0)

    /// Creates a limit with no call in flight.
    public init(limit: Int) {
        self.limit = limit
    }

    /// Takes a slot; false when the backend is at its limit (nothing taken).
    public func acquire() -> Bool {
        if inFlight.add(1, ordering: .relaxed).newValue > limit {
            inFlight.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    /// Gives back a slot taken by ``acquire()``.
    public func release() {
        inFlight.subtract(1, ordering: .relaxed)
    }

    /// Calls in flight now.
    public var current: Int { inFlight.load(ordering: .relaxed) }
}
