import NIOHTTP1

/// One route's CORS policy, compiled from its ``GatewayConfig/CORSSettings`` when the snapshot is
/// built (every header value joined ahead), and the decisions it makes per request: pure logic,
/// no I/O. Shared by every route with the same settings; a route without CORS has none, and its
/// requests pay nothing.
///
/// - An **actual request** (any request on the route) gets `Vary: Origin` always, and
///   `Access-Control-Allow-Origin` (the request's own `Origin`, never `*`),
///   `Access-Control-Allow-Credentials` and `Access-Control-Expose-Headers` only when its origin
///   and method are allowed (``actual(origin:method:)``).
/// - A **preflight** (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered
///   `204` by Portico (``preflight(origin:method:requestHeaders:)``).
///
/// A rejected request is still answered (CORS is enforced by browsers, which hide such answers
/// from the page); the rejection is counted in `portico_cors_rejected_total`.
public final class CORSPolicy: Sendable {
    /// Why a cross-origin request got no CORS grant (the `reason` label).
    public enum Rejection: Int, Sendable {
        /// The origin is not in `allowOrigins`.
        case origin
        /// The method is not in `allowMethods`.
        case method
        /// A preflight asked for a header not in `allowHeaders`.
        case headers

        /// The `reason` label value.
        public var label: String {
            switch self {
            case .origin: "origin"
            case .method: "method"
            case .headers: "headers"
            }
        }
    }

    /// The `Vary` of actual responses: CORS headers depend on the request's `Origin`.
    static let vary = "Origin"
    /// The `Vary` of preflight answers, which depend on what they were asked too.
    static let preflightVary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"

    /// Where the settings came from (`cors`, `methods.<name>.cors`).
    public let yamlPath: String
    private let anyOrigin: Bool
    private let origins: [CORSOriginPattern]
    /// Upper-cased; nil = the route's own verb.
    private let methods: [String]?
    private let methodsValue: String?
    /// Lower-cased; nil = any (a preflight's requested headers are echoed).
    private let headers: Set<String>?
    private let headersValue: String?
    private let exposeValue: String?
    /// Whether `Access-Control-Allow-Credentials: true` is sent.
    public let allowsCredentials: Bool
    private let maxAgeValue: String

    /// Compiles validated settings (a pattern that does not parse, never the case after
    /// validation, matches nothing).
    public init(_ settings: GatewayConfig.CORSSettings) {
        yamlPath = settings.yamlPath
        anyOrigin = settings.allowOrigins.contains("*")
        origins = settings.allowOrigins.compactMap { try? CORSOriginPattern.parse($0).get() }
        methods = settings.allowMethods
        methodsValue = settings.allowMethods.map { $0.joined(separator: ", ") }
        headers = settings.allowHeaders.contains("*") ? nil : Set(settings.allowHeaders)
        headersValue = settings.allowHeaders.isEmpty ? nil : settings.allowHeaders.joined(separator: ", ")
        exposeValue = settings.exposeHeaders.isEmpty ? nil : settings.exposeHeaders.joined(separator: ", ")
        allowsCredentials = settings.allowCredentials
        maxAgeValue = String(settings.maxAgeSeconds)
    }

    /// Whether `origin` (an `Origin` header's value) is allowed.
    public func allows(origin: String) -> Bool {
        anyOrigin || origins.contains { $0.matches(origin) }
    }

    /// The CORS headers of an actual request's response, and why they grant nothing when they
    /// don't. A request without `Origin` is no cross-origin request: `Vary` only, no rejection.
    /// - Parameters:
    ///   - origin: The request's `Origin`, if any.
    ///   - method: The request's method (a WebSocket handshake's: its route's verb).
    public func actual(origin: String?, method: String) -> (headers: CORSResponseHeaders, rejection: Rejection?) {
        guard let origin else { return (CORSResponseHeaders(policy: self, origin: nil), nil) }
        guard allows(origin: origin) else { return (CORSResponseHeaders(policy: self, origin: nil), .origin) }
        if let methods, !methods.contains(method) {
            return (CORSResponseHeaders(policy: self, origin: nil), .method)
        }
        return (CORSResponseHeaders(policy: self, origin: origin), nil)
    }

    /// The header fields of a preflight's `204`, and why they grant nothing (a disallowed
    /// origin: `Vary` only) or not what was asked (a method or header not allowed: the allowed
    /// lists, so the browser's console names what is missing).
    /// - Parameters:
    ///   - origin: The preflight's `Origin`.
    ///   - method: Its `Access-Control-Request-Method` (a route has this verb).
    ///   - requestHeaders: Its `Access-Control-Request-Headers`, if any.
    public func preflight(
        origin: String,
        method: String,
        requestHeaders: String?
    ) -> (fields: [(name: String, value: String)], rejection: Rejection?) {
        var fields: [(name: String, value: String)] = [("Vary", Self.preflightVary)]
        guard allows(origin: origin) else { return (fields, .origin) }
        var rejection: Rejection?
        if let methods, !methods.contains(method) { rejection = .method }
        let asked = Self.headerNames(requestHeaders)
        if rejection == nil, let headers, asked.contains(where: { !headers.contains($0) }) { rejection = .headers }
        fields.append(("Access-Control-Allow-Origin", origin))
        if allowsCredentials { fields.append(("Access-Control-Allow-Credentials", "true")) }
        fields.append(("Access-Control-Allow-Methods", methodsValue ?? method))
        let allowedHeaders = headers == nil ? (asked.isEmpty ? nil : asked.joined(separator: ", ")) : headersValue
        if let allowedHeaders { fields.append(("Access-Control-Allow-Headers", allowedHeaders)) }
        fields.append(("Access-Control-Max-Age", maxAgeValue))
        return (fields, rejection)
    }

    /// The fields of a granted actual response, after `Access-Control-Allow-Origin`.
    fileprivate func addGrant(_ add: (String, String) -> Void) {
        if allowsCredentials { add("Access-Control-Allow-Credentials", "true") }
        if let exposeValue { add("Access-Control-Expose-Headers", exposeValue) }
    }

    /// The names in an `Access-Control-Request-Headers` value, lower-cased.
    private static func headerNames(_ value: String?) -> [String] {
        guard let value else { return [] }
        return value.split(separator: ",").compactMap { name in
            let trimmed = name.trimmingBlanks()
            return trimmed.isEmpty ? nil : trimmed.lowercased()
        }
    }
}

/// The CORS header fields of one actual response: `Vary: Origin`, and the grant when the origin
/// was allowed. Made per request on routes with CORS only; no allocation beyond the origin the
/// request brought.
public struct CORSResponseHeaders: Sendable {
    /// The route's policy.
    let policy: CORSPolicy
    /// The origin echoed in `Access-Control-Allow-Origin`; nil = no grant.
    let origin: String?

    /// Whether the response grants its origin access.
    public var grants: Bool { origin != nil }

    /// Adds the fields to a complete response's.
    func add(to fields: inout [(name: String, value: String)]) {
        fields.append(("Vary", CORSPolicy.vary))
        guard let origin else { return }
        fields.append(("Access-Control-Allow-Origin", origin))
        policy.addGrant { fields.append(($0, $1)) }
    }

    /// Adds the fields to a streamed response's or a WebSocket handshake's head.
    func add(to headers: inout HTTPHeaders) {
        headers.add(name: "Vary", value: CORSPolicy.vary)
        guard let origin else { return }
        headers.add(name: "Access-Control-Allow-Origin", value: origin)
        policy.addGrant { headers.add(name: $0, value: $1) }
    }
}

extension Substring {
    /// This text without spaces and tabs at either end (HTTP's optional whitespace).
    fileprivate func trimmingBlanks() -> Substring {
        var trimmed = self
        while trimmed.first == " " || trimmed.first == "\t" { trimmed.removeFirst() }
        while trimmed.last == " " || trimmed.last == "\t" { trimmed.removeLast() }
        return trimmed
    }
}
