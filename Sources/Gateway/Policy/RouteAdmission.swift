import NIOCore
import NIOHTTP1

/// What a method's routes check before a call starts (HTTP requests and WebSocket sessions
/// alike): the credentials its `auth.rules` entry requires, then its `rateLimits` bucket.
/// Compiled once per method into its plans (``RoutePlan/admission``); nil when neither applies,
/// so such routes pay nothing.
final class RouteAdmission: Sendable {
    /// One provider a rule names, ready.
    enum Credential: Sendable {
        /// An `apiKey` provider.
        case apiKey(APIKeyVerifier)
        /// A `jwt` provider.
        case jwt(JWTVerifier)

        /// The provider's name.
        var name: String {
            switch self {
            case .apiKey(let verifier): verifier.name
            case .jwt(let verifier): verifier.name
            }
        }
    }

    /// The providers a method requires.
    struct Requirement: Sendable {
        /// The providers, in the rule's order.
        let credentials: [Credential]
        /// All must pass (`allOf`), else any one (`requires`).
        let requiresAll: Bool
    }

    /// A method's rate limit.
    struct RateLimit: Sendable {
        /// The buckets, by key.
        let buckets: TokenBuckets
        /// What a bucket belongs to.
        let key: GatewayConfig.RateLimitRule.Key
    }

    /// What a request that passed carries on to its call.
    struct Admitted: Sendable {
        /// The id of the API key it authenticated with.
        var apiKeyID: String?
        /// The `sub` of the token it authenticated with.
        var subject: String?
        /// Metadata from the token's claims (`claimsToHeaders`).
        var claims: [(name: String, value: String)] = []
        /// Request headers not forwarded (credentials of providers that do not forward them, and
        /// the names Portico itself fills from claims).
        let withheld: [String]
        /// Cookies removed from the forwarded `cookie` metadata (tokens not forwarded).
        let withheldCookies: [String]

        /// The call's metadata, less the withheld headers and cookies, plus the key's id and the
        /// token's claims.
        func apply(to metadata: inout [(name: String, value: String)]) {
            if !withheld.isEmpty { metadata.removeAll { withheld.contains($0.name) } }
            if !withheldCookies.isEmpty {
                metadata = metadata.compactMap { entry in
                    guard entry.name == "cookie" else { return entry }
                    let kept = entry.value.split(separator: ";").filter { pair in
                        let name = pair.split(separator: "=", maxSplits: 1).first.map { String($0).trimmingSpaces() }
                        return !withheldCookies.contains(name ?? "")
                    }
                    return kept.isEmpty ? nil : (entry.name, kept.joined(separator: ";"))
                }
            }
            if let apiKeyID { metadata.append((RouteAdmission.apiKeyIDMetadata, apiKeyID)) }
            metadata += claims
        }
    }

    /// An admission's outcome: known now, or once a new token is verified off the loop.
    enum Decision {
        /// Decided now.
        case decided(Result<Admitted, GatewayError>)
        /// A token must be verified first; the outcome arrives on the request's event loop.
        case pending(EventLoopFuture<Result<Admitted, GatewayError>>)
    }

    /// The metadata that carries the id of the request's API key to the backend (a client's own
    /// header of that name never does).
    static let apiKeyIDMetadata = "x-portico-api-key-id"

    /// Credentials required; nil = anonymous.
    let requirement: Requirement?
    /// The rate limit; nil = none.
    let rateLimit: RateLimit?
    /// Who the client is behind trusted proxies.
    let clients: ClientAddressResolver
    private let withheld: [String]
    private let withheldCookies: [String]

    /// An admission; nil when there is nothing to check.
    init?(requirement: Requirement?, rateLimit: RateLimit?, clients: ClientAddressResolver) {
        guard requirement != nil || rateLimit != nil else { return nil }
        self.requirement = requirement
        self.rateLimit = rateLimit
        self.clients = clients
        var withheld: [String] = []
        var withheldCookies: [String] = []
        for credential in requirement?.credentials ?? [] {
            switch credential {
            case .apiKey(let verifier) where !verifier.settings.forward:
                if case .header(let name) = verifier.settings.source { withheld.append(name) }
                if let idHeader = verifier.settings.idHeader { withheld.append(idHeader) }
            case .apiKey:
                break
            case .jwt(let verifier):
                // A client never sets what Portico fills from a verified token.
                withheld += verifier.settings.claimsToHeaders.values
                guard !verifier.settings.forward else { continue }
                for source in verifier.settings.sources {
                    if case .header(let name, _) = source { withheld.append(name) }
                    if case .cookie(let name) = source { withheldCookies.append(name) }
                }
            }
        }
        self.withheld = withheld
        self.withheldCookies = withheldCookies
    }

    /// Checks a request: credentials first (401 without them, 403 for a token that is not for
    /// this), then the rate limit (429). A token not seen before is verified off the loop.
    /// - Parameters:
    ///   - headers: The request's headers.
    ///   - query: The raw query string.
    ///   - peer: The connection's remote IP address.
    ///   - loop: The request's event loop (where a pending outcome arrives).
    func admit(_ headers: HTTPHeaders, query: Substring?, peer: String?, on loop: any EventLoop) -> Decision {
        admit(headers, query: query, peer: peer, on: loop, settled: [:])
    }

    private func admit(
        _ headers: HTTPHeaders,
        query: Substring?,
        peer: String?,
        on loop: any EventLoop,
        settled: [ObjectIdentifier: JWTVerdict]
    ) -> Decision {
        let now = loop.now
        var admitted = Admitted(withheld: withheld, withheldCookies: withheldCookies)
        if let requirement {
            var refusals: [GatewayError] = []
            var passed = 0
            check: for credential in requirement.credentials {
                switch credential {
                case .apiKey(let verifier):
                    switch verifier.verify(headers, query: query) {
                    case .success(let id):
                        passed += 1
                        if admitted.apiKeyID == nil { admitted.apiKeyID = id }
                    case .failure(let error):
                        refusals.append(error)
                    }
                case .jwt(let verifier):
                    let id = ObjectIdentifier(verifier)
                    var verdict = settled[id]
                    if verdict == nil {
                        switch verifier.check(headers, query: query, now: now) {
                        case .settled(let known):
                            verdict = known
                        case .unverified(let token):
                            let outcome = verifier.verify(token, on: loop, now: now).flatMap { verdict in
                                var next = settled
                                next[id] = verdict
                                switch self.admit(headers, query: query, peer: peer, on: loop, settled: next) {
                                case .decided(let result): return loop.makeSucceededFuture(result)
                                case .pending(let later): return later
                                }
                            }
                            return .pending(outcome)
                        }
                    }
                    switch verdict {
                    case .valid(let identity):
                        passed += 1
                        if admitted.subject == nil { admitted.subject = identity.subject }
                        admitted.claims += identity.metadata
                    case .refused(let error):
                        refusals.append(error)
                    case nil:
                        break
                    }
                }
                if passed > 0 && !requirement.requiresAll { break check }
            }
            let ok = requirement.requiresAll ? refusals.isEmpty : passed > 0
            guard ok else { return .decided(.failure(Self.combined(refusals))) }
        }
        if let rateLimit {
            let client = {
                self.clients.client(
                    peer: peer,
                    forwardedFor: headers[canonicalForm: "x-forwarded-for"].map(String.init)
                ) ?? ""
            }
            let key: String
            switch rateLimit.key {
            case .clientIP: key = client()
            case .apiKey: key = admitted.apiKeyID.map { "key:\($0)" } ?? client()
            case .jwtSubject: key = admitted.subject.map { "sub:\($0)" } ?? client()
            case .header(let name): key = headers.first(name: name).map { "header:\($0)" } ?? client()
            case .route: key = ""
            }
            if case .limited(let seconds) = rateLimit.buckets.take(key, now: now.uptimeNanoseconds) {
                let buckets = rateLimit.buckets
                return .decided(
                    .failure(
                        GatewayError(
                            code: .resourceExhausted,
                            message: "rate limit reached (\(buckets.rate.formatted) requests per second, burst "
                                + "\(Int(buckets.burst))); retry in \(seconds) s",
                            reason: .rateLimited(retryAfterSeconds: seconds)
                        )
                    )
                )
            }
        }
        return .decided(.success(admitted))
    }

    /// One 401 for several providers' refusals: every challenge, every reason.
    private static func combined(_ refusals: [GatewayError]) -> GatewayError {
        if refusals.count == 1 { return refusals[0] }
        // A token that is authentic but not for this method says more than a missing credential.
        if let forbidden = refusals.first(where: { $0.code == .permissionDenied }) { return forbidden }
        var challenges: [String] = []
        for refusal in refusals {
            if case .unauthenticated(let challenge) = refusal.reason { challenges.append(challenge) }
        }
        return GatewayError(
            code: .unauthenticated,
            message: refusals.map(\.message).joined(separator: "; "),
            reason: .unauthenticated(challenge: challenges.joined(separator: ", "))
        )
    }
}

extension Double {
    /// `5` for 5.0, `0.5` for 0.5: a rate as people write it.
    fileprivate var formatted: String {
        rounded() == self ? String(Int(self)) : String(self)
    }
}
