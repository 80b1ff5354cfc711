import NIOCore

/// The lifecycle, stream admission and liveness of one ``UpstreamConnection``, without I/O.
///
/// Every event that depends on time takes `now`, the event loop's clock (`eventLoop.now`), so a
/// test steps it with a manual clock. The connection carries out the actions: nghttp2 calls,
/// closing the channel, (re-)arming its one liveness timer.
///
/// ```
/// idle ──sessionOpened──▶ awaitingPreface ──peerSettings──▶ open
///                               │                             │
///                               └──────────goAway─────────────┴──▶ goingAway
///        any state ──close──▶ closed
/// ```
///
/// Liveness:
/// - keepalive: after ``UpstreamConfiguration/keepaliveInterval`` without a byte from the backend,
///   a PING goes out; no acknowledgement within ``UpstreamConfiguration/keepaliveTimeout`` closes
///   the connection (a backend that vanished without a FIN: a dead host, a dropped NAT entry);
/// - reaping: a connection with no stream for ``UpstreamConfiguration/idleTimeout`` is closed, so
///   idle connections to backends that scaled away do not pile up.
struct UpstreamConnectionStateMachine {
    /// Where the connection is in its life.
    enum State: Equatable {
        /// No nghttp2 session yet.
        case idle
        /// Our SETTINGS are queued; the backend's first SETTINGS (its preface) has not arrived.
        /// Streams may already start (nghttp2 assumes 100 until then).
        case awaitingPreface
        /// The backend's preface arrived.
        case open
        /// The backend sent GOAWAY: open streams finish, no new one starts.
        case goingAway
        /// The channel is closed or closing; every later event is ignored.
        case closed
    }

    /// The answer to received bytes.
    enum OnRead: Equatable {
        /// Feed them to nghttp2.
        case process
        /// The connection is not open: drop them.
        case ignore
    }

    /// The answer to the backend's SETTINGS.
    enum OnPeerSettings: Equatable {
        /// Its preface: the connect is complete; a stream slot may be free.
        case prefaceReceived
        /// A later SETTINGS: its stream limit may have changed, so a slot may be free.
        case settingsChanged
        /// The connection is not open.
        case ignore
    }

    /// The answer to GOAWAY.
    enum OnGoAway: Equatable {
        /// The first GOAWAY: tell the client, which opens a fresh connection for new calls.
        case stopOpeningStreams
        /// Not the first, or the connection is not open.
        case ignore
    }

    /// The answer to ``close()``.
    enum OnClose: Equatable {
        /// Cancel the liveness timer, tell the client, fail the open streams.
        case close
        /// Closed before: nothing to do.
        case alreadyClosed
    }

    /// The answer to the liveness timer firing.
    enum OnLivenessCheck: Equatable {
        /// Our PING went unanswered for the keepalive timeout: close the connection.
        case keepaliveTimedOut
        /// No stream for the idle timeout: close the connection gracefully (GOAWAY).
        case idleTimedOut
        /// Quiet for the keepalive interval: send a PING, then check again at `next`.
        case ping(next: NIODeadline?)
        /// Nothing due yet: check again at `next` (nil: no check needed).
        case rearm(next: NIODeadline?)
        /// The connection is not open: nothing to do.
        case ignore
    }

    private(set) var state = State.idle
    /// When bytes last arrived from the backend (keepalive).
    private(set) var lastRead: NIODeadline = .uptimeNanoseconds(0)
    /// When our unanswered keepalive PING went out, if one is pending.
    private(set) var pingSentAt: NIODeadline?
    /// Since when no stream has been open; nil while streams are open.
    private(set) var idleSince: NIODeadline?

    private let maxConcurrentStreams: Int
    private let unadvertisedPeerMaxConcurrentStreams: Int
    private let keepaliveInterval: TimeAmount?
    private let keepaliveTimeout: TimeAmount
    private let idleTimeout: TimeAmount?

    /// Creates the state of a connection without a session.
    /// - Parameter configuration: Stream limits, keepalive and idle timeouts.
    init(configuration: UpstreamConfiguration) {
        self.maxConcurrentStreams = configuration.maxConcurrentStreams
        self.unadvertisedPeerMaxConcurrentStreams = configuration.unadvertisedPeerMaxConcurrentStreams
        self.keepaliveInterval = configuration.keepaliveInterval
        self.keepaliveTimeout = configuration.keepaliveTimeout
        self.idleTimeout = configuration.idleTimeout
    }

    // MARK: Queries

    /// Whether the connection reads and writes (from our SETTINGS until it closes).
    var isOpen: Bool {
        switch self.state {
        case .awaitingPreface, .open, .goingAway: return true
        case .idle, .closed: return false
        }
    }

    /// Whether new streams may start here (open, no GOAWAY).
    var isUsable: Bool {
        switch self.state {
        case .awaitingPreface, .open: return true
        case .idle, .goingAway, .closed: return false
        }
    }

    /// Whether the connection is closed.
    var isClosed: Bool { self.state == .closed }

    /// Whether a new stream may start now.
    /// - Parameters:
    ///   - openStreams: Streams open on the connection.
    ///   - peerMaxConcurrentStreams: The backend's `SETTINGS_MAX_CONCURRENT_STREAMS` as nghttp2
    ///     reports it; `UInt32.max` when the backend advertised none.
    func canStartStream(openStreams: Int, peerMaxConcurrentStreams: Int) -> Bool {
        guard self.isUsable else { return false }
        var peerLimit = peerMaxConcurrentStreams
        // RFC 9113 says "unlimited", but swift-nio-http2 servers then enforce 100.
        if peerLimit == Int(UInt32.max) { peerLimit = self.unadvertisedPeerMaxConcurrentStreams }
        return openStreams < min(self.maxConcurrentStreams, peerLimit)
    }

    /// When the liveness timer should next fire; nil when neither keepalive nor reaping is on.
    func nextLivenessCheck(now: NIODeadline) -> NIODeadline? {
        var next: NIODeadline?
        func consider(_ deadline: NIODeadline) { next = min(next ?? deadline, deadline) }
        if let sent = self.pingSentAt {
            consider(sent + self.keepaliveTimeout)
        } else if let interval = self.keepaliveInterval {
            consider(self.lastRead + interval)
        }
        if let idle = self.idleTimeout {
            // Busy now: look again an idle timeout from now.
            consider((self.idleSince ?? now) + idle)
        }
        return next
    }

    // MARK: Events

    /// Our session exists and its SETTINGS are queued.
    /// - Returns: Whether the connection opened (false unless it was idle).
    mutating func sessionOpened(now: NIODeadline) -> Bool {
        guard self.state == .idle else { return false }
        self.state = .awaitingPreface
        self.lastRead = now
        self.idleSince = now
        return true
    }

    /// Bytes arrived from the backend.
    mutating func bytesReceived(now: NIODeadline) -> OnRead {
        guard self.isOpen else { return .ignore }
        self.lastRead = now
        return .process
    }

    /// The backend's SETTINGS arrived.
    mutating func peerSettingsReceived() -> OnPeerSettings {
        switch self.state {
        case .awaitingPreface:
            self.state = .open
            return .prefaceReceived
        case .open, .goingAway:
            return .settingsChanged
        case .idle, .closed:
            return .ignore
        }
    }

    /// The backend sent GOAWAY.
    mutating func goAwayReceived() -> OnGoAway {
        guard self.isUsable else { return .ignore }
        self.state = .goingAway
        return .stopOpeningStreams
    }

    /// The backend acknowledged our PING.
    mutating func pingAcknowledged() {
        self.pingSentAt = nil
    }

    /// A stream started: the connection is not idle.
    mutating func streamOpened() {
        self.idleSince = nil
    }

    /// A stream ended.
    /// - Parameters:
    ///   - remainingStreams: Streams still open after it.
    ///   - now: The loop's clock: idle from now when none remain.
    mutating func streamClosed(remainingStreams: Int, now: NIODeadline) {
        if remainingStreams == 0 { self.idleSince = now }
    }

    /// The channel closed, failed, or is being closed by us.
    mutating func close() -> OnClose {
        guard self.state != .closed else { return .alreadyClosed }
        self.state = .closed
        return .close
    }

    /// The liveness timer fired.
    /// - Parameters:
    ///   - now: The loop's clock.
    ///   - openStreams: Streams open on the connection.
    mutating func livenessCheckFired(now: NIODeadline, openStreams: Int) -> OnLivenessCheck {
        guard self.isOpen else { return .ignore }
        if let sent = self.pingSentAt, now >= sent + self.keepaliveTimeout {
            return .keepaliveTimedOut
        }
        if let idle = self.idleTimeout, let since = self.idleSince, openStreams == 0, now >= since + idle {
            return .idleTimedOut
        }
        if self.pingSentAt == nil, let interval = self.keepaliveInterval, now >= self.lastRead + interval {
            self.pingSentAt = now
            return .ping(next: self.nextLivenessCheck(now: now))
        }
        return .rearm(next: self.nextLivenessCheck(now: now))
    }
}
