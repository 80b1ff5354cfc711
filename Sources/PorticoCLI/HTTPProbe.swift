import Gateway
import NIOCore

/// What a probed server answered: its status code and the first bytes of its body.
struct ProbeAnswer: Sendable {
    /// The HTTP status code.
    var status: Int
    /// Up to ``HTTPProbe/bodyLimit`` bytes of the body, as text.
    var body: String
}

/// One HTTP/1.1 GET over a fresh connection, closed after the answer (``OneShotHTTPGet``).
enum HTTPProbe {
    /// How much of the body an answer keeps.
    static let bodyLimit = 1024

    /// GETs `target` and returns the answer; throws on a failed connect, a closed connection
    /// or no complete answer within `timeout`.
    static func get(_ target: ProbeTarget, timeout: TimeAmount) async throws -> ProbeAnswer {
        let answer = try await OneShotHTTPGet.get(
            host: target.host,
            port: target.port,
            path: target.path,
            bodyLimit: bodyLimit,
            timeout: timeout,
            userAgent: "portico-probe"
        ).get()
        return ProbeAnswer(status: answer.status, body: String(buffer: answer.body))
    }
}
