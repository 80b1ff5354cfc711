import NIOCore

/// The connect state of one ``UpstreamClient`` and its reconnect backoff, without I/O.
///
/// Generic over the connection so a test can step it with plain objects; every event that
/// depends on time takes `now`, the event loop's clock, and the backoff's jitter draws from an
/// injected random number generator.
///
/// ```
/// idle ──connect──▶ connecting ──succeeded──▶ ready ──closed/GOAWAY──▶ idle
///                       │
///                       └──failed──▶ backingOff ──(backoff over) connect──▶ connecting
/// any state ──close──▶ closed
/// ```
struct UpstreamClientStateMachine<Connection: AnyObject> {
    /// Where the client's connection is.
    enum State {
        /// No connection and no connect in progress: the next call connects.
        case idle
        /// A connect (with TLS: and handshake; and the backend's preface) is in progress.
        case connecting
        /// Calls start on `connection`.
        case ready(Connection)
        /// The last connect failed; calls fail fast with `reason` until `until`.
        case backingOff(until: NIODeadline, reason: String)
        /// The client is closed: every call fails.
        case closed
    }

    /// The answer to a call being queued on the client.
    enum OnEnqueue {
        /// The client is closed: fail the call (on a later tick).
        case failClosed
        /// A connection is ready: start the call on it if it has a free stream and nobody
        /// waits, otherwise queue it.
        case startOrQueue(on: Connection)
        /// The last connect failed recently: fail the call fast with `reason` (on a later tick).
        case failFast(reason: String)
        /// Queue the call and connect if no connect is in progress.
        case queueAndConnect
    }

    /// The answer to ``close()``.
    enum OnClose {
        /// Shut `connection` down with the calls on it.
        case closeConnection(Connection)
        /// Close the channel of the connect in progress once it completes.
        case cancelConnect
        /// No connection to close.
        case none
    }

    private(set) var state = State.idle
    /// Connect attempts that failed in a row (0 once one succeeds).
    private(set) var consecutiveConnectFailures = 0
    /// When the last connect failed.
    private(set) var lastConnectFailure: NIODeadline?
    /// Connections successfully opened over the client's lifetime.
    private(set) var connectionCount = 0
    /// The backoff before jitter that the next failure imposes.
    private(set) var nextBackoff: TimeAmount

    private let backoffInitial: TimeAmount
    private let backoffMax: TimeAmount
    private let backoffMultiplier: Double
    private let backoffJitter: Double
    private var random: any RandomNumberGenerator

    /// Creates the state of an idle client.
    /// - Parameters:
    ///   - configuration: The reconnect backoff settings.
    ///   - random: The source of the backoff's jitter.
    init(configuration: UpstreamConfiguration, random: any RandomNumberGenerator = SystemRandomNumberGenerator()) {
        self.backoffInitial = configuration.reconnectBackoffInitial
        self.backoffMax = configuration.reconnectBackoffMax
        self.backoffMultiplier = configuration.reconnectBackoffMultiplier
        self.backoffJitter = configuration.reconnectBackoffJitter
        self.nextBackoff = configuration.reconnectBackoffInitial
        self.random = random
    }

    /// Whether a connect is in progress.
    var isConnecting: Bool {
        if case .connecting = self.state { return true }
        return false
    }

    /// The ready connection, if any.
    var readyConnection: Connection? {
        if case .ready(let connection) = self.state { return connection }
        return nil
    }

    // MARK: Events

    /// A call is queued on the client.
    mutating func enqueue(now: NIODeadline) -> OnEnqueue {
        switch self.state {
        case .closed:
            return .failClosed
        case .ready(let connection):
            return .startOrQueue(on: connection)
        case .backingOff(let until, let reason) where now < until:
            return .failFast(reason: reason)
        case .idle, .connecting, .backingOff:
            return .queueAndConnect
        }
    }

    /// Calls wait for a connection.
    /// - Returns: Whether to start a connect now (idle, or the backoff is over); the client is
    ///   then connecting.
    mutating func connectIfNeeded(now: NIODeadline) -> Bool {
        switch self.state {
        case .idle:
            break
        case .backingOff(let until, _) where now >= until:
            break
        case .backingOff, .connecting, .ready, .closed:
            return false
        }
        self.state = .connecting
        return true
    }

    /// The connect in progress produced a usable `connection`.
    /// - Returns: Whether the client takes it (false when the client closed meanwhile).
    mutating func connectSucceeded(_ connection: Connection) -> Bool {
        guard self.isConnecting else { return false }
        self.connectionCount += 1
        self.consecutiveConnectFailures = 0
        self.nextBackoff = self.backoffInitial
        self.state = .ready(connection)
        return true
    }

    /// The connect in progress failed: back off, growing the next backoff.
    /// - Parameters:
    ///   - reason: Why, for the calls that fail fast meanwhile.
    ///   - now: The loop's clock.
    /// - Returns: The backoff imposed (jittered), or nil when no connect was in progress.
    mutating func connectFailed(reason: String, now: NIODeadline) -> TimeAmount? {
        guard self.isConnecting else { return nil }
        let backoff = self.jittered(self.nextBackoff)
        let grown = Double(self.nextBackoff.nanoseconds) * self.backoffMultiplier
        self.nextBackoff = .nanoseconds(min(Int64(grown), self.backoffMax.nanoseconds))
        self.state = .backingOff(until: now + backoff, reason: reason)
        self.consecutiveConnectFailures += 1
        self.lastConnectFailure = now
        return backoff
    }

    /// `connection` closed, or received GOAWAY (it only finishes its streams from then on).
    /// - Returns: Whether it was the ready connection; the client is then idle, and connects
    ///   again for calls that wait.
    mutating func connectionLost(_ connection: Connection) -> Bool {
        guard case .ready(let current) = self.state, current === connection else { return false }
        self.state = .idle
        return true
    }

    /// Whether `connection` is the ready one (whose free streams waiting calls may take).
    func isReady(_ connection: Connection) -> Bool {
        guard case .ready(let current) = self.state else { return false }
        return current === connection
    }

    /// The client is closed.
    mutating func close() -> OnClose {
        let action: OnClose
        switch self.state {
        case .ready(let connection): action = .closeConnection(connection)
        case .connecting: action = .cancelConnect
        case .idle, .backingOff, .closed: action = .none
        }
        self.state = .closed
        return action
    }

    private mutating func jittered(_ amount: TimeAmount) -> TimeAmount {
        guard self.backoffJitter > 0 else { return amount }
        // Uniform in [0, 1) from the top 53 bits, so a fixed draw gives a known factor.
        let unit = Double(self.random.next() >> 11) * 0x1p-53
        let factor = 1 - self.backoffJitter + 2 * self.backoffJitter * unit
        return .nanoseconds(Int64(Double(amount.nanoseconds) * factor))
    }
}
