import Foundation
import JWTKit
import NIOCore
import NIOHTTP1

/// A `jwt` provider, ready: where a request carries its token, the issuer's keys
/// (``JWKSSource``) and the verdicts already reached (``VerifiedTokenCache``).
///
/// A token seen before is judged from the cache on the request's event loop (a dictionary
/// lookup). A new one is verified off the loop: its header is checked first (an `alg` of the
/// provider's allow-list — so never `none` or an HMAC — a `kid` the key set has, fetching the
/// set again when it lacks it, and that key's own algorithm), then jwt-kit checks the signature
/// with that one key, then Portico checks `iss`, `exp`/`nbf`/`iat` with the clock skew, the
/// audience and the required claims.
final class JWTVerifier: Sendable {
    /// The provider's name in `auth.providers`.
    let name: String
    /// The settings.
    let settings: GatewayConfig.JWTProvider
    /// The keys.
    let keys: JWKSSource
    /// Verdicts by token.
    let cache: VerifiedTokenCache
    /// Unix seconds now (injected by tests).
    let wallClock: @Sendable () -> Int64

    /// The provider `name` over `keys`.
    init(
        name: String,
        settings: GatewayConfig.JWTProvider,
        keys: JWKSSource,
        wallClock: @escaping @Sendable () -> Int64 = { Int64(time(nil)) }
    ) {
        self.name = name
        self.settings = settings
        self.keys = keys
        self.cache = VerifiedTokenCache(capacity: settings.maxCachedTokens)
        self.wallClock = wallClock
    }

    /// The outcome of looking at a request.
    enum Check {
        /// The token's verdict is known.
        case settled(JWTVerdict)
        /// The token must be verified first (``verify(_:on:now:)``).
        case unverified(String)
    }

    /// The request's token judged from the cache, or the token to verify.
    func check(_ headers: HTTPHeaders, query: Substring?, now: NIODeadline) -> Check {
        guard let token = token(in: headers, query: query) else {
            return .settled(.refused(refusal("no bearer token (provider \(name))", error: nil)))
        }
        let keySet = keys.generationAndStaleness(now: now)
        let verdict = cache.verdict(
            for: token,
            now: wallClock(),
            generation: keySet.generation,
            keysStale: keySet.isStale
        )
        if let verdict {
            return .settled(verdict)
        }
        return .unverified(token)
    }

    /// Verifies `token` off the event loops; the verdict (also kept in the cache) arrives on
    /// `loop`.
    func verify(_ token: String, on loop: any EventLoop, now: NIODeadline) -> EventLoopFuture<JWTVerdict> {
        let promise = loop.makePromise(of: JWTVerdict.self)
        let stale = keys.isStale(now: now) ? keys.refresh(kidMiss: false, now: now) : nil
        promise.completeWithTask {
            if let stale { try? await stale.get() }
            return await self.judge(token, now: now)
        }
        return promise.futureResult
    }

    private func judge(_ token: String, now: NIODeadline) async -> JWTVerdict {
        let header: JWTHeaderFields
        do {
            header = try JWTHeaderFields(token: token)
        } catch {
            return remember(.refused(refusal("malformed token: \(error.message)", error: "invalid_token")), token)
        }
        guard let algorithm = header.alg, settings.algorithms.contains(algorithm) else {
            let shown = header.alg.map { "\"\($0)\"" } ?? "no alg"
            return remember(
                .refused(
                    refusal(
                        "token algorithm \(shown) is not accepted (accepted: \(settings.algorithms.joined(separator: ", ")))",
                        error: "invalid_token"
                    )
                ),
                token
            )
        }
        if let critical = header.crit, !critical.isEmpty {
            return remember(
                .refused(
                    refusal("unsupported critical header \(critical.joined(separator: ", "))", error: "invalid_token")
                ),
                token
            )
        }
        guard let kid = header.kid else {
            return remember(.refused(refusal("the token names no key (kid)", error: "invalid_token")), token)
        }
        var current = keys.current
        if current.keys.keys[kid] == nil, let fetch = keys.refresh(kidMiss: true, now: now) {
            // Rotation: the issuer may have published the key since the set was fetched.
            try? await fetch.get()
            current = keys.current
        }
        guard let key = current.keys.keys[kid] else {
            return remember(
                .refused(refusal("unknown signing key \"\(kid)\"", error: "invalid_token")),
                token,
                generation: current.generation
            )
        }
        guard key.algorithm == algorithm else {
            return remember(
                .refused(refusal("key \"\(kid)\" verifies \(key.algorithm), not \(algorithm)", error: "invalid_token")),
                token
            )
        }
        let claims: JWTClaims
        do {
            claims = try await JWTKeySet.collection(for: key).verify(token, as: JWTClaims.self)
        } catch {
            return remember(.refused(refusal("invalid token signature", error: "invalid_token")), token)
        }
        return judge(claims: claims, token: token)
    }

    /// The claims' verdict, kept.
    private func judge(claims: JWTClaims, token: String) -> JWTVerdict {
        let now = wallClock()
        let skew = settings.clockSkewSeconds
        guard claims.values["iss"]?.strings == [settings.issuer] else {
            return remember(.refused(refusal("wrong token issuer", error: "invalid_token")), token)
        }
        guard let expiry = claims.values["exp"]?.seconds else {
            return remember(.refused(refusal("the token has no expiry (exp)", error: "invalid_token")), token)
        }
        guard now < expiry + skew else {
            return remember(.refused(refusal("the token expired", error: "invalid_token")), token)
        }
        if let notBefore = claims.values["nbf"]?.seconds, now + skew < notBefore {
            return remember(.refused(refusal("the token is not valid yet (nbf)", error: "invalid_token")), token)
        }
        if let issuedAt = claims.values["iat"]?.seconds, now + skew < issuedAt {
            return remember(.refused(refusal("the token is issued in the future (iat)", error: "invalid_token")), token)
        }
        let until = expiry + skew
        if !settings.audiences.isEmpty {
            let audiences = claims.values["aud"]?.strings ?? []
            guard audiences.contains(where: settings.audiences.contains) else {
                return remember(.refused(forbidden("the token's audience is not accepted")), token, until: until)
            }
        }
        for (claim, accepted) in settings.requiredClaims.sorted(by: { $0.key < $1.key }) {
            let values = claims.values[claim]?.strings ?? []
            guard values.contains(where: accepted.contains) else {
                return remember(.refused(forbidden("the token's \(claim) claim is not accepted")), token, until: until)
            }
        }
        var metadata: [(name: String, value: String)] = []
        for (claim, header) in settings.claimsToHeaders.sorted(by: { $0.key < $1.key }) {
            if let text = claims.values[claim]?.metadataText { metadata.append((header, text)) }
        }
        let identity = JWTIdentity(subject: claims.values["sub"]?.metadataText, metadata: metadata)
        return remember(.valid(identity), token, until: until)
    }

    /// Keeps a verdict: a refusal of an unauthentic token for ``VerifiedTokenCache/refusalSeconds``
    /// (tied to the key set's `generation` when it depends on it), others until `until`.
    private func remember(
        _ verdict: JWTVerdict,
        _ token: String,
        until: Int64? = nil,
        generation: Int? = nil
    )
        -> JWTVerdict
    {
        let now = wallClock()
        let end = until ?? now + VerifiedTokenCache.refusalSeconds
        cache.keep(
            verdict,
            for: token,
            until: end,
            generation: generation ?? (until == nil ? keys.current.generation : nil),
            now: now
        )
        return verdict
    }

    // MARK: Tokens

    /// The request's token: the first of the provider's sources present.
    func token(in headers: HTTPHeaders, query: Substring?) -> String? {
        for source in settings.sources {
            switch source {
            case .header(let name, let prefix):
                guard let value = headers.first(name: name) else { continue }
                guard !prefix.isEmpty else { return value.isEmpty ? nil : value }
                guard value.utf8.count > prefix.utf8.count,
                    value.utf8.prefix(prefix.utf8.count).elementsEqual(prefix.utf8, by: Self.sameLetter)
                else { continue }
                let token = String(decoding: value.utf8.dropFirst(prefix.utf8.count), as: UTF8.self).trimmingSpaces()
                return token.isEmpty ? nil : token
            case .query(let parameter):
                if let value = APIKeyVerifier.queryValue(parameter, in: query), !value.isEmpty { return value }
            case .cookie(let cookie):
                if let value = Self.cookie(cookie, in: headers) { return value }
            }
        }
        return nil
    }

    /// The value of cookie `name` in the `Cookie` headers.
    static func cookie(_ name: String, in headers: HTTPHeaders) -> String? {
        for header in headers[canonicalForm: "cookie"] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, String(parts[0]).trimmingSpaces() == name else { continue }
                let value = String(parts[1]).trimmingSpaces()
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }

    private static func sameLetter(_ a: UInt8, _ b: UInt8) -> Bool {
        a == b || (a | 0x20 == b | 0x20 && (a | 0x20) >= 0x61 && (a | 0x20) <= 0x7A)
    }

    // MARK: Refusals

    /// A 401 with this provider's bearer challenge (RFC 6750 §3).
    func refusal(_ message: String, error: String?) -> GatewayError {
        var challenge = "Bearer realm=\"portico\""
        if let error { challenge += ", error=\"\(error)\"" }
        return GatewayError(code: .unauthenticated, message: message, reason: .unauthenticated(challenge: challenge))
    }

    private func forbidden(_ message: String) -> GatewayError {
        GatewayError(
            code: .permissionDenied,
            message: "\(message) (provider \(name))",
            reason: .forbidden(challenge: "Bearer realm=\"portico\", error=\"insufficient_scope\"")
        )
    }
}

/// The fields of a token's JOSE header Portico checks before any key is used.
struct JWTHeaderFields: Decodable {
    let alg: String?
    let kid: String?
    let crit: [String]?

    /// Decodes the header of a compact JWS.
    init(token: String) throws(JWTKeySetError) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw JWTKeySetError(message: "expected three dot-separated parts") }
        var base64 = parts[0].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64) else {
            throw JWTKeySetError(message: "the header is not base64url")
        }
        do {
            self = try JSONDecoder().decode(JWTHeaderFields.self, from: data)
        } catch {
            throw JWTKeySetError(message: "the header is not a JSON object")
        }
    }
}
