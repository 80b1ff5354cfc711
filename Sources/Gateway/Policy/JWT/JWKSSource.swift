import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOSSL

/// Where a JWT provider's keys come from: a file read when the snapshot was built, or a URL
/// fetched by ``OneShotHTTPGet`` on NIO's shared event loops (never Portico's).
///
/// A URL set is fetched when a token needs it: before the first verification, when the set is
/// older than `refreshInterval` (so no new token is ever checked against keys older than that),
/// and when a token names a `kid` the set lacks (key rotation) — at most once per
/// ``kidMissInterval``. One fetch runs at a time; callers wait on it. A failed fetch keeps the
/// keys already held (logged, counted in `portico_jwks_fetches_total{provider,result}`).
final class JWKSSource: Sendable {
    /// The shortest time between two fetches caused by unknown `kid`s (a flood of made-up `kid`s
    /// cannot make Portico hammer the issuer).
    static let kidMissInterval = TimeAmount.seconds(30)
    /// The largest key set document read.
    static let maxDocumentBytes = 1 << 20

    private struct Fetching {
        let url: String
        let host: String
        let port: Int
        let path: String
        let refreshInterval: TimeAmount
        let timeout: TimeAmount
        /// Nil for `http://` (loopback only, checked at load).
        let tls: NIOSSLContext?
    }

    private struct State {
        var keys: JWTKeySet
        /// Bumped at each successful fetch (refusals cached under an older one are void).
        var generation = 0
        var fetchedAt: NIODeadline?
        /// When a fetch of a set never fetched last failed (retried after a second, not per token).
        var failedAt: NIODeadline?
        var lastKidMissFetch: NIODeadline?
        var running: EventLoopFuture<Void>?
    }

    /// The provider's name, for logs and metrics.
    let provider: String
    private let fetching: Fetching?
    private let state: NIOLockedValueBox<State>
    private let logger: Logger
    /// Where fetches are counted, once the snapshot is installed in a server.
    let metrics = NIOLockedValueBox<GatewayMetrics?>(nil)

    /// Keys read from a file: fixed for the snapshot's life.
    init(provider: String, keys: JWTKeySet) {
        self.provider = provider
        self.fetching = nil
        self.state = NIOLockedValueBox(State(keys: keys))
        self.logger = Logger(label: "portico.jwks")
    }

    /// Keys fetched from `url` when needed.
    /// - Throws: ``JWTKeySetError`` when `caFile` cannot be read.
    init(
        provider: String,
        url: String,
        refreshInterval: TimeAmount,
        timeout: TimeAmount,
        caFile: String?
    ) throws(JWTKeySetError) {
        self.provider = provider
        guard let parts = URLComponents(string: url), let host = parts.host, !host.isEmpty else {
            throw JWTKeySetError(message: "cannot read the URL \(url)", field: "url")
        }
        let secure = parts.scheme == "https"
        var tls: NIOSSLContext?
        if secure {
            do {
                var configuration = TLSConfiguration.makeClientConfiguration()
                if let caFile {
                    configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
                }
                tls = try NIOSSLContext(configuration: configuration)
            } catch {
                throw JWTKeySetError(
                    message: "cannot make the TLS context (caFile \(caFile ?? "none")): \(error)",
                    field: "caFile"
                )
            }
        }
        let path =
            (parts.percentEncodedPath.isEmpty ? "/" : parts.percentEncodedPath)
            + (parts.percentEncodedQuery.map { "?\($0)" } ?? "")
        self.fetching = Fetching(
            url: url,
            host: host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host,
            port: parts.port ?? (secure ? 443 : 80),
            path: path,
            refreshInterval: refreshInterval,
            timeout: timeout,
            tls: tls
        )
        self.state = NIOLockedValueBox(State(keys: .empty))
        self.logger = Logger(label: "portico.jwks")
    }

    /// The keys now, and their generation.
    var current: (keys: JWTKeySet, generation: Int) {
        state.withLockedValue { ($0.keys, $0.generation) }
    }

    /// Whether the set must be fetched before it verifies a new token: never fetched, or older
    /// than its refresh interval.
    func isStale(now: NIODeadline) -> Bool {
        guard fetching != nil else { return false }
        return state.withLockedValue { isStale($0, now: now) }
    }

    /// The set's generation and whether it is stale, under one lock: what a cached verdict is
    /// checked against on the event loop.
    func generationAndStaleness(now: NIODeadline) -> (generation: Int, isStale: Bool) {
        state.withLockedValue { ($0.generation, isStale($0, now: now)) }
    }

    private func isStale(_ state: State, now: NIODeadline) -> Bool {
        guard let fetching else { return false }
        guard let fetchedAt = state.fetchedAt else {
            return state.failedAt.map { now - $0 >= .seconds(1) } ?? true
        }
        return now - fetchedAt >= fetching.refreshInterval
    }

    /// Starts (or joins) a fetch: because the set is stale, or because a token named an unknown
    /// `kid` (nil when a fetch for that reason ran less than ``kidMissInterval`` ago, and for a
    /// file set). The future completes on the fetch's loop when the new keys are in place (or
    /// the fetch failed and the old ones stay).
    func refresh(kidMiss: Bool, now: NIODeadline) -> EventLoopFuture<Void>? {
        guard let fetching else { return nil }
        return state.withLockedValue { state -> EventLoopFuture<Void>? in
            if let running = state.running { return running }
            if kidMiss {
                if let last = state.lastKidMissFetch, now - last < Self.kidMissInterval { return nil }
                state.lastKidMissFetch = now
            }
            let future = fetch(fetching)
            state.running = future
            return future
        }
    }

    private func fetch(_ fetching: Fetching) -> EventLoopFuture<Void> {
        OneShotHTTPGet.get(
            host: fetching.host,
            port: fetching.port,
            path: fetching.path,
            tls: fetching.tls,
            bodyLimit: Self.maxDocumentBytes,
            timeout: fetching.timeout,
            userAgent: "portico-jwks"
        )
        .map { answer -> Result<JWTKeySet, JWTKeySetError> in
            guard answer.status == 200 else { return .failure(JWTKeySetError(message: "HTTP \(answer.status)")) }
            guard !answer.truncated else { return .failure(JWTKeySetError(message: "document over 1 MiB")) }
            do throws(JWTKeySetError) {
                return .success(try JWTKeySet(json: answer.body.readableBytesView))
            } catch {
                return .failure(error)
            }
        }
        .recover { .failure(JWTKeySetError(message: "\($0)")) }
        .map { self.finish($0) }
    }

    private func finish(_ result: Result<JWTKeySet, JWTKeySetError>) {
        let now = NIODeadline.now()
        state.withLockedValue { state in
            state.running = nil
            if case .success(let keys) = result {
                state.keys = keys
                state.generation += 1
                state.fetchedAt = now
            } else if state.fetchedAt != nil {
                // Keep serving the keys held; try again after a refresh interval, not per token.
                state.fetchedAt = now
            } else {
                state.failedAt = now
            }
        }
        switch result {
        case .success(let keys):
            metrics.withLockedValue { $0 }?.jwksFetched(provider: provider, succeeded: true)
            if !keys.skipped.isEmpty {
                logger.warning(
                    "key set keys skipped",
                    metadata: ["provider": "\(provider)", "skipped": "\(keys.skipped.joined(separator: "; "))"]
                )
            }
        case .failure(let problem):
            metrics.withLockedValue { $0 }?.jwksFetched(provider: provider, succeeded: false)
            logger.warning(
                "key set fetch failed; the keys held stay",
                metadata: ["provider": "\(provider)", "url": "\(fetching?.url ?? "")", "problem": "\(problem.message)"]
            )
        }
    }
}
