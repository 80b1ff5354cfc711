import Synchronization

/// Records server-side events tests need to see from the outside, such as the moment a
/// download's RPC was cancelled by its client (which, through Portico, means the HTTP client
/// went away and Portico reset the HTTP/2 stream).
public final class DemoCallObserver: Sendable {
    /// One observed cancellation.
    public struct Cancellation: Sendable {
        /// The method (`DownLoad`, `UpLoad`, `TextChat`).
        public var method: String
        /// The file or message the call was about.
        public var subject: String
        /// When the backend saw it.
        public var at: ContinuousClock.Instant
    }

    private let cancellations = Mutex<[Cancellation]>([])

    /// Creates an empty observer.
    public init() {}

    /// Records that a call was cancelled now.
    public func recordCancellation(method: String, subject: String) {
        let event = Cancellation(method: method, subject: subject, at: .now)
        cancellations.withLock { $0.append(event) }
    }

    /// Every cancellation seen so far.
    public var recorded: [Cancellation] {
        cancellations.withLock { $0 }
    }

    /// Waits (polling every millisecond) until a cancellation of `method` is recorded.
    /// - Returns: the cancellation, or nil after `timeout`.
    public func waitForCancellation(method: String, timeout: Duration) async -> Cancellation? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let found = recorded.first(where: { $0.method == method }) { return found }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return nil
    }
}
