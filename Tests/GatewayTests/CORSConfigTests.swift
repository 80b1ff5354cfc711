import Gateway
import ProtoSchema
import Testing

/// `cors:` at load: every problem reported with its YAML path, and each route's plan holding the
/// policy that covers it (the method's own, else the global one, else none).
@Suite("CORS configuration")
struct CORSConfigTests {
    /// The problems `portico check` would list for a config with `extra` top-level lines.
    private static func problems(_ extra: String) -> [String] {
        do {
            let config = try GatewayConfig.parse(yaml: demoConfigYAML(backendPort: 1, extra: extra))
            _ = try GatewaySnapshot(config: config, baseDirectory: repositoryRoot)
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func aValidPolicyLoads() {
        let extra = """
            cors:
              allowOrigins: ["https://app.example.com", "https://*.example.com", "http://localhost:*"]
              allowMethods: [get, POST]
              allowHeaders: [Content-Type, "*"]
              exposeHeaders: [x-request-id]
              allowCredentials: true
              maxAge: 1h
            """
        #expect(Self.problems(extra) == [])
        #expect(Self.problems("cors: { allowOrigins: [\"*\"] }") == [])
    }

    @Test func everyProblemIsReportedAtItsPath() {
        let found = Self.problems(
            """
            cors:
              allowOrigins: ["https://app.example.com/", "null", "*"]
              allowMethods: [GET, FETCH]
              allowHeaders: ["bad header"]
              maxAge: 48h
              allowCredential: true
            methods:
              demo.user.v1.UserService.GetUser:
                cors: { allowMethods: [GET] }
            """
        )
        let paths = found.map { $0.prefix { $0 != ":" && $0 != " " } }
        #expect(
            Set(paths) == [
                "cors.allowOrigins[0]", "cors.allowOrigins[1]", "cors.allowOrigins[2]", "cors.allowMethods[1]",
                "cors.allowHeaders[0]", "cors.maxAge", "cors.allowCredential",
                "methods.demo.user.v1.UserService.GetUser.cors.allowOrigins",
            ],
            "\(found)"
        )
        #expect(found.contains { $0.contains("no path") })
        #expect(found.contains { $0.contains("must be alone") })
    }

    @Test func credentialsNeedNamedOrigins() {
        let found = Self.problems("cors: { allowOrigins: [\"*\"], allowCredentials: true, exposeHeaders: [\"*\"] }")
        #expect(found.count == 2, "\(found)")
        #expect(found.contains { $0.hasPrefix("cors.allowCredentials") })
        #expect(found.contains { $0.hasPrefix("cors.exposeHeaders") })
        #expect(Self.problems("cors: { allowOrigins: [] }").contains { $0.hasPrefix("cors.allowOrigins") })
        #expect(Self.problems("cors: [https://a.example.com]").contains { $0.hasPrefix("cors") })
    }

    @Test func eachRoutesPlanHoldsThePolicyThatCoversIt() throws {
        let extra = """
            cors: { allowOrigins: ["https://app.example.com"] }
            methods:
              demo.echo.v1.EchoService.Metadata:
                cors: { allowOrigins: ["https://partner.example.net"] }
            """
        let config = try GatewayConfig.parse(yaml: demoConfigYAML(backendPort: 1, extra: extra))
        let snapshot = try GatewaySnapshot(config: config, baseDirectory: repositoryRoot)
        let policies = Dictionary(grouping: snapshot.plans) { $0.method.name }.mapValues { plans in
            Set(plans.map { $0.cors.map(ObjectIdentifier.init) })
        }
        // Every route of a method shares one policy object.
        #expect(policies.values.allSatisfy { $0.count == 1 })
        let global = snapshot.plans.first { $0.method.name == "GetUser" }!.cors!
        let own = snapshot.plans.first { $0.method.name == "Metadata" }!.cors!
        #expect(global.yamlPath == "cors")
        #expect(own.yamlPath == "methods.demo.echo.v1.EchoService.Metadata.cors")
        #expect(snapshot.plans.first { $0.method.name == "Echo" }!.cors === global)
        #expect(own.allows(origin: "https://partner.example.net"))
        #expect(!own.allows(origin: "https://app.example.com"))

        let plain = try GatewaySnapshot(
            config: GatewayConfig.parse(yaml: demoConfigYAML(backendPort: 1)),
            baseDirectory: repositoryRoot
        )
        #expect(plain.plans.allSatisfy { $0.cors == nil })
    }
}
