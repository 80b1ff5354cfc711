import Foundation
import JWTKit

/// A JWKS document, checked: each usable key by its `kid`, with the one algorithm it verifies.
///
/// The lookup is strict (RFC 8725 §3.1): a token's `kid` must name a key of the set and its `alg`
/// must be that key's algorithm. jwt-kit's own collection would fall back to a default key for a
/// missing or unknown `kid` and does not compare `alg` with the key, so each key gets a collection
/// of its own, asked only after these checks.
struct JWTKeySet: Sendable {
    /// One verification key.
    struct Key: Sendable {
        /// `RS256`, `ES256` or `EdDSA`: from the key's `alg`, else from its type and curve.
        let algorithm: String
        /// The key as jwt-kit reads it.
        let jwk: JWK
    }

    /// The keys, by `kid`.
    let keys: [String: Key]
    /// Keys left out (unsupported type, algorithm or use), each with why.
    let skipped: [String]

    /// A set with no keys (a URL set before its first fetch).
    static let empty = JWTKeySet(keys: [:], skipped: [])

    private init(keys: [String: Key], skipped: [String]) {
        self.keys = keys
        self.skipped = skipped
    }

    /// Parses a JWKS document; keys of other uses or algorithms are skipped, not errors.
    /// - Throws: ``JWTKeySetError`` when the document is not a JWKS or has no usable key.
    init(json: some Collection<UInt8>) throws(JWTKeySetError) {
        // Each key on its own: one of a type jwt-kit cannot read (an `oct` key, an encryption
        // key) is skipped, not a reason to refuse the set.
        guard let document = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any],
            let entries = document["keys"] as? [Any]
        else {
            throw JWTKeySetError(message: "not a JWKS document ({\"keys\": [...]})")
        }
        var keys: [String: Key] = [:]
        var skipped: [String] = []
        for (index, entry) in entries.enumerated() {
            let label = "keys[\(index)]"
            if let use = (entry as? [String: Any])?["use"] as? String, use != "sig" {
                skipped.append("\(label): a key for \"\(use)\", not signatures")
                continue
            }
            let jwk: JWK
            do {
                guard JSONSerialization.isValidJSONObject(entry) else { throw JWTKeySetError(message: "not an object") }
                jwk = try JSONDecoder().decode(JWK.self, from: try JSONSerialization.data(withJSONObject: entry))
            } catch {
                skipped.append("\(label): not a key jwt-kit reads (\(Self.describe(error)))")
                continue
            }
            guard let kid = jwk.keyIdentifier?.string, !kid.isEmpty else {
                skipped.append("\(label): no kid (tokens name their key)")
                continue
            }
            do throws(JWTKeySetError) {
                let algorithm = try Self.algorithm(of: jwk)
                try Self.checkKeyMaterial(jwk, algorithm: algorithm)
                if keys[kid] != nil { throw JWTKeySetError(message: "kid \"\(kid)\" is repeated") }
                keys[kid] = Key(algorithm: algorithm, jwk: jwk)
            } catch {
                skipped.append("\(label) (kid \(kid)): \(error.message)")
            }
        }
        guard !keys.isEmpty else {
            let why = skipped.isEmpty ? "" : " (" + skipped.joined(separator: "; ") + ")"
            throw JWTKeySetError(message: "no usable key (RS256, ES256 or EdDSA with a kid)\(why)")
        }
        self.keys = keys
        self.skipped = skipped
    }

    /// The algorithm a key verifies: its `alg`, else RS256 for RSA, ES256 for P-256, EdDSA for
    /// Ed25519.
    private static func algorithm(of jwk: JWK) throws(JWTKeySetError) -> String {
        let derived: String
        switch jwk.keyType {
        case .rsa: derived = "RS256"
        case .ecdsa where jwk.curve?.rawValue == "P-256": derived = "ES256"
        case .octetKeyPair where jwk.curve?.rawValue == "Ed25519": derived = "EdDSA"
        default:
            throw JWTKeySetError(
                message: "unsupported key type \(jwk.keyType.rawValue) \(jwk.curve?.rawValue ?? "")"
                    .trimmingCharacters(in: .whitespaces)
            )
        }
        if let declared = jwk.algorithm?.rawValue, declared != derived {
            throw JWTKeySetError(message: "unsupported alg \(declared) for this key (supported: \(derived))")
        }
        return derived
    }

    /// Builds the public key once, so a malformed one is found when the set is read.
    private static func checkKeyMaterial(_ jwk: JWK, algorithm: String) throws(JWTKeySetError) {
        do {
            switch algorithm {
            case "RS256":
                guard let n = jwk.modulus, let e = jwk.exponent else { throw JWTKeySetError(message: "no n or e") }
                _ = try Insecure.RSA.PublicKey(modulus: n, exponent: e)
            case "ES256":
                guard let x = jwk.x, let y = jwk.y else { throw JWTKeySetError(message: "no x or y") }
                _ = try ES256PublicKey(parameters: (x, y))
            default:
                guard let x = jwk.x else { throw JWTKeySetError(message: "no x") }
                _ = try EdDSA.PublicKey(x: x, curve: .ed25519)
            }
        } catch let error as JWTKeySetError {
            throw error
        } catch {
            throw JWTKeySetError(message: "unusable key material: \(describe(error))")
        }
    }

    /// A verifier of exactly `key` (no default key, no other `kid`).
    static func collection(for key: Key) async throws -> JWTKeyCollection {
        var jwk = key.jwk
        jwk.algorithm = JWK.Algorithm(rawValue: key.algorithm)
        return try await JWTKeyCollection().add(jwk: jwk)
    }

    /// A library error in a line.
    static func describe(_ error: any Error) -> String {
        if let error = error as? DecodingError {
            switch error {
            case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context),
                .valueNotFound(_, let context):
                return context.debugDescription
            @unknown default: break
            }
        }
        return String(describing: error)
    }
}

/// Why a JWKS document cannot be used.
struct JWTKeySetError: Error, Sendable {
    /// What is wrong, in a line.
    let message: String
    /// The `jwks` key it is about (`url`, `caFile`), when it is about one.
    var field: String? = nil
}
