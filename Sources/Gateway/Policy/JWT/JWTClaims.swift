import JWTKit

/// A token's claims, every one of them (the claims Portico checks, and those forwarded with
/// `claimsToHeaders`). jwt-kit decodes it once the signature holds; Portico checks the times,
/// issuer, audience and required claims itself (with the provider's clock skew).
struct JWTClaims: JWTPayload {
    /// A claim's JSON value.
    enum Value: Codable, Sendable, Equatable {
        case string(String)
        case number(Double)
        case bool(Bool)
        case list([Value])
        case object
        case null

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let bool = try? container.decode(Bool.self) {
                self = .bool(bool)
            } else if let number = try? container.decode(Double.self) {
                self = .number(number)
            } else if let string = try? container.decode(String.self) {
                self = .string(string)
            } else if let list = try? container.decode([Value].self) {
                self = .list(list)
            } else {
                self = .object
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let string): try container.encode(string)
            case .number(let number): try container.encode(number)
            case .bool(let bool): try container.encode(bool)
            case .list(let list): try container.encode(list)
            case .object, .null: try container.encodeNil()
            }
        }

        /// The value as metadata text: a string as is, a number without a needless `.0`, a list's
        /// scalars joined with `,`; nil for an object or null.
        var metadataText: String? {
            switch self {
            case .string(let string): string
            case .number(let number):
                number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
            case .bool(let bool): bool ? "true" : "false"
            case .list(let list):
                list.isEmpty ? nil : list.compactMap(\.metadataText).joined(separator: ",")
            case .object, .null: nil
            }
        }

        /// The strings the value is or holds (a list's string items), for audience and required
        /// claim checks.
        var strings: [String] {
            switch self {
            case .string(let string): [string]
            case .list(let list): list.flatMap(\.strings)
            default: metadataText.map { [$0] } ?? []
            }
        }

        /// The value as a time in Unix seconds, if it is a number.
        var seconds: Int64? {
            if case .number(let number) = self, number.isFinite, abs(number) < 1e15 { return Int64(number) }
            return nil
        }
    }

    private struct Name: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// The claims, by name.
    let values: [String: Value]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Name.self)
        var values: [String: Value] = [:]
        for key in container.allKeys { values[key.stringValue] = try container.decode(Value.self, forKey: key) }
        self.values = values
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Name.self)
        for (name, value) in values { try container.encode(value, forKey: Name(stringValue: name)) }
    }

    /// Nothing here: the times, issuer and audience are checked by ``JWTVerifier`` with the
    /// provider's settings once the signature holds.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
