import NIOConcurrencyHelpers

/// What a JWT provider decided about one token.
enum JWTVerdict: Sendable {
    /// Authentic, current, and every required claim holds.
    case valid(JWTIdentity)
    /// Refused: 401 (not authentic, expired, wrong issuer, unknown key) or 403 (authentic, but the
    /// audience or a required claim is wrong).
    case refused(GatewayError)
}

/// Who a valid token says the caller is, as the call needs it.
struct JWTIdentity: Sendable {
    /// The `sub` claim (the rate-limit key `jwtSub`).
    let subject: String?
    /// The metadata `claimsToHeaders` adds.
    let metadata: [(name: String, value: String)]
}

/// Verdicts by token, so a token's signature is checked once, not per request: a valid token's
/// until it expires, a refusal for at most 30 s and only while the key set it was judged by
/// holds (a fetched set may know the `kid` a refused token named). Bounded: when full, expired
/// entries go first, then arbitrary ones, so a flood of distinct tokens costs at most
/// `capacity` entries.
final class VerifiedTokenCache: Sendable {
    private struct Entry {
        let verdict: JWTVerdict
        /// Unix seconds after which the verdict is void.
        let until: Int64
        /// The key set generation a refusal depends on; nil for verdicts that do not.
        let generation: Int?
    }

    /// How long a refusal is kept, in seconds.
    static let refusalSeconds: Int64 = 30

    private let entries: NIOLockedValueBox<[String: Entry]>
    /// The most entries kept.
    let capacity: Int

    /// An empty cache of at most `capacity` tokens.
    init(capacity: Int) {
        self.capacity = capacity
        self.entries = NIOLockedValueBox([:])
    }

    /// The verdict kept for `token`, if still good at `now` (Unix seconds) under key set
    /// `generation`; with `keysStale`, verdicts that depend on the key set are void (the set is
    /// due to be fetched again).
    func verdict(for token: String, now: Int64, generation: Int, keysStale: Bool) -> JWTVerdict? {
        entries.withLockedValue { entries in
            guard let entry = entries[token], now < entry.until else { return nil }
            if let judged = entry.generation, judged != generation || keysStale { return nil }
            return entry.verdict
        }
    }

    /// Keeps `verdict` for `token` until `until` (Unix seconds); `generation` ties it to a key
    /// set.
    func keep(_ verdict: JWTVerdict, for token: String, until: Int64, generation: Int?, now: Int64) {
        guard until > now else { return }
        entries.withLockedValue { entries in
            if entries.count >= capacity, entries[token] == nil {
                entries = entries.filter { now < $0.value.until }
                // Still full: drop an eighth, whichever they are (a dictionary's order is arbitrary).
                if entries.count >= capacity {
                    for key in entries.keys.prefix(max(1, capacity / 8)) { entries[key] = nil }
                }
            }
            entries[token] = Entry(verdict: verdict, until: until, generation: generation)
        }
    }

    /// Tokens kept now.
    var count: Int { entries.withLockedValue { $0.count } }
}
