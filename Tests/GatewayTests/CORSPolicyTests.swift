import Testing

@testable import Gateway

/// ``CORSOriginPattern`` and ``CORSPolicy`` without sockets: which origins match which patterns,
/// and what actual requests and preflights are told.
@Suite("CORS policy")
struct CORSPolicyTests {
    private static func pattern(_ text: String) throws -> CORSOriginPattern {
        try CORSOriginPattern.parse(text).get()
    }

    private static func policy(_ configure: (inout GatewayConfig.CORSSettings) -> Void) -> CORSPolicy {
        var settings = GatewayConfig.CORSSettings(yamlPath: "cors")
        configure(&settings)
        return CORSPolicy(settings)
    }

    @Test func anExactOriginMatchesItselfOnly() throws {
        let exact = try Self.pattern("https://app.example.com")
        #expect(exact.matches("https://app.example.com"))
        #expect(exact.matches("HTTPS://App.Example.COM"))
        #expect(!exact.matches("http://app.example.com"))
        #expect(!exact.matches("https://app.example.com:8443"))
        #expect(!exact.matches("https://app.example.com.evil.net"))
        #expect(!exact.matches("https://evilapp.example.com"))
        #expect(!exact.matches("https://app.example.co"))
        #expect(!exact.matches("null"))
        #expect(!exact.matches(""))
        // The scheme's default port in a pattern is the origin without one (as browsers send it).
        #expect(try Self.pattern("https://app.example.com:443").matches("https://app.example.com"))
        #expect(try Self.pattern("http://app.example.com:8080").matches("http://app.example.com:8080"))
        #expect(try !Self.pattern("http://app.example.com:8080").matches("http://app.example.com:8081"))
    }

    @Test func aSubdomainWildcardNeedsAtLeastOneLabel() throws {
        let subdomains = try Self.pattern("https://*.example.com")
        #expect(subdomains.matches("https://a.example.com"))
        #expect(subdomains.matches("https://a.b.example.com"))
        #expect(!subdomains.matches("https://example.com"))
        #expect(!subdomains.matches("https://.example.com"))
        #expect(!subdomains.matches("https://aexample.com"))
        #expect(!subdomains.matches("https://a.example.com.evil.net"))
        #expect(!subdomains.matches("http://a.example.com"))
        #expect(!subdomains.matches("https://a.example.com:8443"))
        #expect(try Self.pattern("https://*.example.com:*").matches("https://a.example.com:8443"))
    }

    @Test func aPortWildcardTakesAnyPortOrNone() throws {
        let local = try Self.pattern("http://localhost:*")
        #expect(local.matches("http://localhost:5173"))
        #expect(local.matches("http://localhost:1"))
        #expect(local.matches("http://localhost"))
        #expect(!local.matches("https://localhost:5173"))
        #expect(!local.matches("http://localhost.evil.net:5173"))
        #expect(!local.matches("http://evil.net:80"))
        #expect(!local.matches("http://localhost:"))
        #expect(!local.matches("http://localhost:80a"))
        let v6 = try Self.pattern("http://[::1]:*")
        #expect(v6.matches("http://[::1]:8080"))
        #expect(v6.matches("http://[::1]"))
        #expect(!v6.matches("http://[::2]:8080"))
    }

    @Test func patternsThatAreNoOriginsAreRefused() {
        func problem(_ text: String) -> String? {
            if case .failure(let problem) = CORSOriginPattern.parse(text) { return problem.message }
            return nil
        }
        #expect(problem("https://app.example.com") == nil)
        #expect(problem("https://app.example.com/")?.contains("no path") == true)
        #expect(problem("https://app.example.com/x")?.contains("no path") == true)
        #expect(problem("app.example.com")?.contains("scheme://host") == true)
        #expect(problem("null")?.contains("null origin") == true)
        #expect(problem("https://")?.contains("host is missing") == true)
        #expect(problem("https://*.")?.contains("host is missing") == true)
        #expect(problem("https://a.*.example.com")?.contains("first labels") == true)
        #expect(problem("https://*example.com")?.contains("first labels") == true)
        #expect(problem("https://app.example.com:99999")?.contains("not a port") == true)
        #expect(problem("https://app.example.com:+80")?.contains("not a port") == true)
        #expect(problem("1http://a")?.contains("not a URL scheme") == true)
    }

    @Test func anActualRequestIsGrantedOnlyForAnAllowedOriginAndMethod() {
        let policy = Self.policy {
            $0.allowOrigins = ["https://app.example.com"]
            $0.allowMethods = ["GET"]
            $0.exposeHeaders = ["x-request-id", "grpc-metadata-trace"]
        }
        var fields: [(name: String, value: String)] = []
        let granted = policy.actual(origin: "https://app.example.com", method: "GET")
        #expect(granted.rejection == nil)
        granted.headers.add(to: &fields)
        #expect(fields.map(\.name) == ["Vary", "Access-Control-Allow-Origin", "Access-Control-Expose-Headers"])
        #expect(fields.map(\.value) == ["Origin", "https://app.example.com", "x-request-id, grpc-metadata-trace"])

        let otherOrigin = policy.actual(origin: "https://evil.example.com", method: "GET")
        #expect(otherOrigin.rejection == .origin)
        #expect(!otherOrigin.headers.grants)
        let otherMethod = policy.actual(origin: "https://app.example.com", method: "POST")
        #expect(otherMethod.rejection == .method)
        #expect(!otherMethod.headers.grants)
        // Not a cross-origin request: Vary only, nothing counted.
        let noOrigin = policy.actual(origin: nil, method: "GET")
        #expect(noOrigin.rejection == nil)
        fields = []
        noOrigin.headers.add(to: &fields)
        #expect(fields.map(\.name) == ["Vary"])
    }

    @Test func credentialsEchoTheOriginAndSayTrue() {
        let policy = Self.policy {
            $0.allowOrigins = ["https://*.example.com"]
            $0.allowCredentials = true
        }
        var fields: [(name: String, value: String)] = []
        policy.actual(origin: "https://a.example.com", method: "GET").headers.add(to: &fields)
        #expect(fields.first { $0.name == "Access-Control-Allow-Origin" }?.value == "https://a.example.com")
        #expect(fields.first { $0.name == "Access-Control-Allow-Credentials" }?.value == "true")
        // Any origin still names the origin, never "*".
        let any = Self.policy { $0.allowOrigins = ["*"] }
        fields = []
        any.actual(origin: "https://whoever.test", method: "DELETE").headers.add(to: &fields)
        #expect(fields.first { $0.name == "Access-Control-Allow-Origin" }?.value == "https://whoever.test")
    }

    @Test func aPreflightIsToldTheMethodsHeadersAndMaxAge() {
        let policy = Self.policy {
            $0.allowOrigins = ["http://localhost:*"]
            $0.allowHeaders = ["content-type", "x-trace"]
            $0.maxAgeSeconds = 120
        }
        let answer = policy.preflight(
            origin: "http://localhost:3000",
            method: "POST",
            requestHeaders: "Content-Type , X-Trace"
        )
        #expect(answer.rejection == nil)
        let fields = Dictionary(answer.fields.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
        #expect(fields["Access-Control-Allow-Origin"] == "http://localhost:3000")
        #expect(fields["Access-Control-Allow-Methods"] == "POST")
        #expect(fields["Access-Control-Allow-Headers"] == "content-type, x-trace")
        #expect(fields["Access-Control-Max-Age"] == "120")
        #expect(fields["Vary"]?.hasPrefix("Origin") == true)
        #expect(fields["Access-Control-Allow-Credentials"] == nil)
    }

    @Test func aPreflightAskingForMoreThanAllowedIsCountedAndToldTheLists() {
        let policy = Self.policy {
            $0.allowOrigins = ["https://app.example.com"]
            $0.allowMethods = ["GET", "POST"]
            $0.allowHeaders = ["content-type"]
        }
        let header = policy.preflight(origin: "https://app.example.com", method: "POST", requestHeaders: "x-secret")
        #expect(header.rejection == .headers)
        #expect(header.fields.contains { $0 == ("Access-Control-Allow-Headers", "content-type") })
        let method = policy.preflight(origin: "https://app.example.com", method: "DELETE", requestHeaders: nil)
        #expect(method.rejection == .method)
        #expect(method.fields.contains { $0 == ("Access-Control-Allow-Methods", "GET, POST") })
        let origin = policy.preflight(origin: "https://evil.example.com", method: "GET", requestHeaders: nil)
        #expect(origin.rejection == .origin)
        #expect(origin.fields.map(\.name) == ["Vary"])
    }

    @Test func anyHeaderEchoesWhatThePreflightAsked() {
        let policy = Self.policy {
            $0.allowOrigins = ["https://app.example.com"]
            $0.allowHeaders = ["*"]
            $0.allowCredentials = true
        }
        let answer = policy.preflight(
            origin: "https://app.example.com",
            method: "PUT",
            requestHeaders: "authorization,x-anything"
        )
        #expect(answer.rejection == nil)
        #expect(answer.fields.contains { $0 == ("Access-Control-Allow-Headers", "authorization, x-anything") })
        #expect(answer.fields.contains { $0 == ("Access-Control-Allow-Credentials", "true") })
    }
}
