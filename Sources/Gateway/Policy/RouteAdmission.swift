import NIOHTTP1

/// What a method's routes check before a call starts (HTTP requests and WebSocket sessions
/// alike): the credentials its `auth.rules` entry requires, then its `rateLimits` bucket.
/// Compiled once per method into its plans (``RoutePlan/admission``); nil when neither applies,
/// so such routes pay nothing.
final class RouteAdmission: Sendable {
    /// The providers a method requires.
    struct Requirement: Sendable {
        /// The providers, in the rule's order.
        let verifiers: [APIKeyVerifier]
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
    struct Admitted {
        /// The id of the API key it authenticated with.
        var apiKeyID: String?
        /// Request headers not forwarded (keys of providers that do not forward them).
        let withheld: [String]

        /// The call's metadata, less the withheld headers, plus the key's id.
        func apply(to metadata: inout [(name: String, value: String)]) {
            if !withheld.isEmpty { metadata.removeAll { withheld.contains($0.name) } }
            if let apiKeyID { metadata.append((RouteAdmission.apiKeyIDMetadata, apiKeyID)) }
        }
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

    /// An admission; nil when there is nothing to check.
    init?(requirement: Requirement?, rateLimit: RateLimit?, clients: ClientAddressResolver) {
        guard requirement != nil || rateLimit != nil else { return nil }
        self.requirement = requirement
        self.rateLimit = rateLimit
        self.clients = clients
        var withheld: [String] = []
        for verifier in requirement?.verifiers ?? [] where !verifier.settings.forward {
            if case .header(let name) = verifier.settings.source { withheld.append(name) }
            if let idHeader = verifier.settings.idHeader { withheld.append(idHeader) }
        }
        self.withheld = withheld
    }

    /// Checks a request: credentials first (401 without them), then the rate limit (429).
    /// - Parameters:
    ///   - headers: The request's headers.
    ///   - query: The raw query string.
    ///   - peer: The connection's remote IP address.
    ///   - now: Monotonic nanoseconds.
    func admit(
        _ headers: HTTPHeaders,
        query: Substring?,
        peer: String?,
        now: UInt64
    ) -> Result<Admitted, GatewayError> {
        var admitted = Admitted(apiKeyID: nil, withheld: withheld)
        if let requirement {
            var refusals: [GatewayError] = []
            var ids: [String] = []
            check: for verifier in requirement.verifiers {
                switch verifier.verify(headers, query: query) {
                case .success(let id):
                    ids.append(id)
                    if !requirement.requiresAll { break check }
                case .failure(let error):
                    refusals.append(error)
                }
            }
            let passed = requirement.requiresAll ? refusals.isEmpty : !ids.isEmpty
            guard passed else { return .failure(Self.combined(refusals)) }
            admitted.apiKeyID = ids.first
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
            case .header(let name): key = headers.first(name: name).map { "header:\($0)" } ?? client()
            case .route: key = ""
            }
            if case .limited(let seconds) = rateLimit.buckets.take(key, now: now) {
                let buckets = rateLimit.buckets
                return .failure(
                    GatewayError(
                        code: .resourceExhausted,
                        message: "rate limit reached (\(buckets.rate.formatted) requests per second, burst "
                            + "\(Int(buckets.burst))); retry in \(seconds) s",
                        reason: .rateLimited(retryAfterSeconds: seconds)
                    )
                )
            }
        }
        return .success(admitted)
    }

    /// One 401 for several providers' refusals: every challenge, every reason.
    private static func combined(_ refusals: [GatewayError]) -> GatewayError {
        if refusals.count == 1 { return refusals[0] }
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
