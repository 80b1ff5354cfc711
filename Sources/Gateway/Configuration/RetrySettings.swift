public import Upstream
import Yams

extension GatewayConfig {
    /// `retry:` under a backend (its unary methods) or a method (overrides the backend's):
    /// which answers are retried and how often.
    ///
    /// Only unary calls are retried, and only while nothing of the response has reached the
    /// client (no response headers from the backend either), within the call's deadline and its
    /// backend's ``RetryBudget``. Calls whose connect failed never reached a backend and move to
    /// another endpoint regardless of this policy.
    public struct RetryPolicy: Sendable, Equatable {
        /// Attempts in all, the first included (2 = one retry).
        public var maxAttempts = 3
        /// Wait before the first retry; doubled for each next one, ±20 % jitter.
        public var backoffMilliseconds: Int64 = 50
        /// The longest wait between attempts.
        public var maxBackoffMilliseconds: Int64 = 1_000
        /// The status codes worth another attempt.
        public var codes: Set<GRPCStatus.Code> = [.unavailable]
    }

    /// `retryBudget:` under a backend: gRPC's retry throttling (``ClusterConfiguration/RetryBudget``).
    public typealias RetryBudget = ClusterConfiguration.RetryBudget
}

extension GatewayConfig {
    /// Parses a `retry:` mapping at `path`.
    static func parseRetryPolicy(_ node: Node, at path: String, reader: inout YAMLReader) -> RetryPolicy? {
        guard let fields = reader.mapping(node, at: path) else { return nil }
        reader.rejectUnknownKeys(fields, known: ["maxAttempts", "backoff", "maxBackoff", "codes"], at: path)
        var policy = RetryPolicy()
        for (key, item) in fields {
            let keyPath = "\(path).\(key)"
            switch key {
            case "maxAttempts": if let n = reader.int(item, at: keyPath, range: 1...10) { policy.maxAttempts = n }
            case "backoff":
                if let ms = reader.durationMilliseconds(item, at: keyPath) { policy.backoffMilliseconds = ms }
            case "maxBackoff":
                if let ms = reader.durationMilliseconds(item, at: keyPath) { policy.maxBackoffMilliseconds = ms }
            case "codes":
                var codes: Set<GRPCStatus.Code> = []
                for (i, entry) in (reader.sequence(item, at: keyPath) ?? []).enumerated() {
                    guard let name = reader.string(entry, at: "\(keyPath)[\(i)]") else { continue }
                    if let code = GRPCStatus.Code(name: name), code != .ok {
                        codes.insert(code)
                    } else {
                        reader.report(
                            "\(keyPath)[\(i)]",
                            "unknown gRPC status code \"\(name)\" (expected e.g. UNAVAILABLE)",
                            at: entry
                        )
                    }
                }
                policy.codes = codes
            default: break
            }
        }
        return policy
    }

    /// Parses a `retryBudget:` mapping at `path`.
    static func parseRetryBudget(_ node: Node, at path: String, reader: inout YAMLReader) -> RetryBudget? {
        guard let fields = reader.mapping(node, at: path) else { return nil }
        reader.rejectUnknownKeys(fields, known: ["maxTokens", "tokenRatio"], at: path)
        var budget = RetryBudget()
        for (key, item) in fields {
            let keyPath = "\(path).\(key)"
            switch key {
            case "maxTokens": if let n = reader.int(item, at: keyPath, range: 1...1000) { budget.maxTokens = n }
            case "tokenRatio":
                if let text = reader.string(item, at: keyPath) {
                    if let ratio = Double(text), ratio > 0, ratio <= 1 {
                        budget.tokenRatio = ratio
                    } else {
                        reader.report(keyPath, "expected a number in (0, 1], got \"\(text)\"", at: item)
                    }
                }
            default: break
            }
        }
        return budget
    }
}
