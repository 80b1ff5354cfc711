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
    private let progress = Mutex<[String: Int]>([:])
    private let calls = Mutex<[String: Int]>([:])

    /// Creates an empty observer.
    public init() {}

    /// Records that a call was cancelled now.
    public func recordCancellation(method: String, subject: String) {
        let event = Cancellation(method: method, subject: subject, at: .now)
        cancellations.withLock { $0.append(event) }
    }

    /// Adds to the bytes a method has moved so far (`DownLoad`: content written to the client;
    /// `UpLoad`: content received), so tests can watch backpressure reach the backend.
    public func recordProgress(method: String, bytes: Int) {
        progress.withLock { $0[method, default: 0] += bytes }
    }

    /// Counts one call of `method` (`GetUser`), received by this backend.
    public func recordCall(method: String) {
        calls.withLock { $0[method, default: 0] += 1 }
    }

    /// Calls of `method` this backend has received so far.
    public func calls(method: String) -> Int {
        calls.withLock { $0[method, default: 0] }
    }

    /// The content bytes `method` has moved so far.
    public func progress(method: String) -> Int {
        progress.withLock { $0[method, default: 0] }
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
