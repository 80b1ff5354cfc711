import Foundation
import NIOHTTP1
import TextCoding

/// An `apiKey` provider, ready: the accepted keys (read from their file or environment variable
/// when the snapshot is built) and where a request carries its key. A key is compared with every
/// accepted one in constant time (no early exit, whatever the lengths), so response timing says
/// nothing about how close a guess was.
final class APIKeyVerifier: Sendable {
    /// One accepted key.
    struct Key: Sendable {
        /// Its id: what the backend receives as `x-portico-api-key-id`.
        let id: String
        /// The key's bytes.
        let secret: [UInt8]
    }

    /// The provider's name in `auth.providers`.
    let name: String
    /// The settings.
    let settings: GatewayConfig.APIKeyProvider
    /// The accepted keys.
    let keys: [Key]

    /// The provider `name` with its keys read.
    /// - Throws: ``ConfigError`` with the problem at the provider's `keys` when they cannot be
    ///   read or are empty.
    init(name: String, settings: GatewayConfig.APIKeyProvider, baseDirectory: String) throws(ConfigError) {
        self.name = name
        self.settings = settings
        let path = "auth.providers.\(name).apiKey.keys"
        let text: String
        switch settings.keys {
        case .file(let file):
            let resolved = file.hasPrefix("/") ? file : "\(baseDirectory)/\(file)"
            guard let data = FileManager.default.contents(atPath: resolved) else {
                throw .invalid([ConfigProblem(path: "\(path).file", message: "cannot read \(resolved)")])
            }
            text = String(decoding: data, as: UTF8.self)
        case .environment(let variable):
            guard let value = ProcessInfo.processInfo.environment[variable] else {
                throw .invalid([
                    ConfigProblem(path: "\(path).env", message: "the environment variable \(variable) is not set")
                ])
            }
            text = value.replacingOccurrences(of: ",", with: "\n")
        }
        var keys: [Key] = []
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(rawLine).trimmingSpaces().trimmingCharacters(in: .whitespacesAndNewlines)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            if let colon = line.firstIndex(of: ":") {
                let id = String(line[..<colon])
                let secret = String(line[line.index(after: colon)...])
                guard !id.isEmpty, !secret.isEmpty else {
                    throw .invalid([ConfigProblem(path: path, message: "line \(number + 1): expected id:key or key")])
                }
                keys.append(Key(id: id, secret: Array(secret.utf8)))
            } else {
                keys.append(Key(id: "line-\(number + 1)", secret: Array(line.utf8)))
            }
        }
        guard !keys.isEmpty else {
            throw .invalid([ConfigProblem(path: path, message: "no keys (one per line: id:key or key)")])
        }
        self.keys = keys
    }

    /// The challenge of this provider's 401 answers.
    var challenge: String {
        switch settings.source {
        case .header(let header): "APIKey realm=\"portico\", header=\"\(header)\""
        case .query(let parameter): "APIKey realm=\"portico\", query=\"\(parameter)\""
        }
    }

    /// The id of the key `head` carries (in its header or `query`), or why it is refused.
    func verify(_ headers: HTTPHeaders, query: Substring?) -> Result<String, GatewayError> {
        let presented: String?
        switch settings.source {
        case .header(let header): presented = headers.first(name: header)
        case .query(let parameter): presented = Self.queryValue(parameter, in: query)
        }
        guard let presented, !presented.isEmpty else {
            return .failure(refusal("no API key (provider \(name))"))
        }
        let bytes = Array(presented.utf8)
        var match = -1
        for (index, key) in keys.enumerated() where Self.constantTimeEqual(key.secret, bytes) {
            match = index
        }
        guard match >= 0 else { return .failure(refusal("invalid API key (provider \(name))")) }
        let id = keys[match].id
        if let idHeader = settings.idHeader, headers.first(name: idHeader) != id {
            return .failure(refusal("the \(idHeader) header does not name the API key (provider \(name))"))
        }
        return .success(id)
    }

    private func refusal(_ message: String) -> GatewayError {
        GatewayError(code: .unauthenticated, message: message, reason: .unauthenticated(challenge: challenge))
    }

    /// Whether `a` equals `b`, looking at every byte of the longer one whatever differs first.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard !a.isEmpty, !b.isEmpty else { return a.isEmpty && b.isEmpty }
        var difference = UInt(bitPattern: a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            difference |= UInt(a[index % a.count] ^ b[index % b.count])
        }
        return difference == 0
    }

    /// `query` without the parameters named in `names` (nil when nothing is left).
    static func query(_ query: Substring?, without names: Set<String>) -> Substring? {
        guard !names.isEmpty, let query else { return query }
        let kept = query.split(separator: "&").filter { pair in
            let name = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
            return !names.contains(PercentEncoding.decodedString(name, plusAsSpace: true) ?? String(name))
        }
        return kept.isEmpty ? nil : Substring(kept.joined(separator: "&"))
    }

    /// The percent-decoded value of the first `name=` parameter of a raw query.
    static func queryValue(_ name: String, in query: Substring?) -> String? {
        guard let query else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard PercentEncoding.decodedString(parts[0], plusAsSpace: true) == name else { continue }
            return parts.count == 2 ? PercentEncoding.decodedString(parts[1], plusAsSpace: true) : ""
        }
        return nil
    }
}
