import Foundation
import JWTKit

/// An identity provider for tests: RSA (made by the `openssl` CLI), P-256 and Ed25519 signing
/// keys, their public JWKS, and tokens signed by them — or forged the ways attackers forge them
/// (`alg: none`, HS256 keyed with the RSA public key, a payload edited after signing).
struct TestJWTIssuer: Sendable {
    /// The `iss` of every token.
    static let issuer = "https://id.portico.test/"
    /// The audience tokens name unless told otherwise.
    static let audience = "portico-tests"

    /// One signing key and its public JWK.
    struct SigningKey: Sendable {
        /// Its `kid`.
        let kid: String
        /// Its algorithm.
        let algorithm: String
        /// The public key as a JWK object (JSON text).
        let publicJWK: String
        /// The public key's PEM (RSA keys).
        let publicPEM: String?
        fileprivate let add: @Sendable (JWTKeyCollection) async -> Void

        fileprivate init(
            kid: String,
            algorithm: String,
            publicJWK: String,
            publicPEM: String? = nil,
            add: @escaping @Sendable (JWTKeyCollection) async -> Void
        ) {
            self.kid = kid
            self.algorithm = algorithm
            self.publicJWK = publicJWK
            self.publicPEM = publicPEM
            self.add = add
        }
    }

    /// The claims of a test token (times in Unix seconds).
    struct Claims: JWTPayload {
        var iss: String = TestJWTIssuer.issuer
        var sub: String? = "user-42"
        var aud: [String]? = [TestJWTIssuer.audience]
        var exp: Int64? = Int64(Date().timeIntervalSince1970) + 600
        var nbf: Int64?
        var iat: Int64? = Int64(Date().timeIntervalSince1970)
        var scope: [String]?
        var email: String?

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// An RSA key (RS256), 2048 bits.
    static func rsa(kid: String) async throws -> SigningKey {
        let made = try await runTool("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"])
        guard made.status == 0 else { throw IssuerError(message: "openssl genpkey: \(made.stderr)") }
        let key = try Insecure.RSA.PrivateKey(pem: made.text)
        let (n, e) = try key.publicKey.getKeyPrimitives()
        let jwk = #"{"kty":"RSA","kid":"\#(kid)","use":"sig","n":"\#(base64URL(n))","e":"\#(base64URL(e))"}"#
        return SigningKey(kid: kid, algorithm: "RS256", publicJWK: jwk, publicPEM: key.publicKey.pemRepresentation) {
            await $0.add(rsa: key, digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
        }
    }

    /// A P-256 key (ES256).
    static func ecdsa(kid: String) throws -> SigningKey {
        let key = ES256PrivateKey()
        guard let (x, y) = key.publicKey.parameters else { throw IssuerError(message: "no P-256 parameters") }
        let jwk = #"{"kty":"EC","crv":"P-256","kid":"\#(kid)","x":"\#(x)","y":"\#(y)"}"#
        return SigningKey(kid: kid, algorithm: "ES256", publicJWK: jwk) {
            await $0.add(ecdsa: key, kid: JWKIdentifier(string: kid))
        }
    }

    /// An Ed25519 key (EdDSA).
    static func edDSA(kid: String) throws -> SigningKey {
        let key = try EdDSA.PrivateKey(curve: .ed25519)
        let x = base64URL(key.publicKey.rawRepresentation)
        let jwk = #"{"kty":"OKP","crv":"Ed25519","kid":"\#(kid)","x":"\#(x)"}"#
        return SigningKey(kid: kid, algorithm: "EdDSA", publicJWK: jwk) {
            await $0.add(eddsa: key, kid: JWKIdentifier(string: kid))
        }
    }

    /// The JWKS document of `keys`.
    static func jwks(_ keys: [SigningKey]) -> String {
        #"{"keys":["# + keys.map(\.publicJWK).joined(separator: ",") + "]}"
    }

    /// A token for `claims` signed by `key` (its header names the key's `kid`, or `kid` when given).
    static func token(_ claims: Claims = Claims(), signedBy key: SigningKey, kid: String? = nil) async throws -> String
    {
        let keys = JWTKeyCollection()
        await key.add(keys)
        return try await keys.sign(claims, kid: JWKIdentifier(string: kid ?? key.kid))
    }

    /// An unsigned token (`alg: none`) naming `kid`.
    static func unsigned(_ claims: Claims = Claims(), kid: String) throws -> String {
        let header = base64URL(Data(#"{"alg":"none","typ":"JWT","kid":"\#(kid)"}"#.utf8))
        return "\(header).\(base64URL(try JSONEncoder().encode(claims)))."
    }

    /// A token signed with HS256 keyed by `secret` (an RSA public key's PEM, in the classic
    /// confusion attack), naming `kid`.
    static func hmac(_ claims: Claims = Claims(), secret: String, kid: String) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
        return try await keys.sign(claims, kid: JWKIdentifier(string: kid))
    }

    /// `token` with its payload replaced by `claims` and its signature kept.
    static func tampered(_ token: String, claims: Claims) throws -> String {
        let parts = token.split(separator: ".")
        return "\(parts[0]).\(base64URL(try JSONEncoder().encode(claims))).\(parts[2])"
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    struct IssuerError: Error {
        let message: String
    }
}
