import Foundation
import Gateway
import NIOCore
import NIOHTTP1
import Routing
import Testing

/// The inputs `FuzzGatewayConfig` found (`Fuzz/Regressions/FuzzGatewayConfig/`).
private let fuzzRegressions = repositoryRoot + "/Fuzz/Regressions/FuzzGatewayConfig"

/// Gateway.yaml validation: every problem, with its YAML path.
@Suite("Gateway.yaml validation")
struct ConfigTests {
    @Test func theShippedGatewayYamlIsValid() throws {
        let snapshot = try GatewaySnapshot.load(configPath: repositoryRoot + "/Gateway.yaml")
        #expect(snapshot.config.listen.port == 8080)
        #expect(snapshot.routes.routes.contains { $0.pathTemplate == "/v1/users/{id}" })
        #expect(snapshot.routes.routes.contains { $0.pathTemplate == "/v1/people/{id}" })
    }

    @Test func reportsEveryProblemWithItsPath() {
        let yaml = """
            listen: nowhere
            protos: []
            backends:
              demo:
                endpoints: [127.0.0.1:notaport]
                timeout: soon
                retries: 3
            services:
              demo.*: ghost
            http:
              rules:
                - get: /v1/x
                - selector: a.B.C
                  get: /v1/y
                  post: /v1/z
            json: { emitUnpopulated: maybe, colour: red }
            limits: { maxRequestBodyBytes: -1 }
            surprise: 1
            """
        do {
            _ = try GatewayConfig.parse(yaml: yaml)
            Issue.record("expected a ConfigError")
        } catch {
            let paths = Set(error.problems.map(\.path))
            for expected in [
                "listen", "protos", "backends.demo.endpoints[0]", "backends.demo.timeout", "backends.demo.retries",
                "services.demo.*", "http.rules[0].selector", "http.rules[1]", "json.emitUnpopulated", "json.colour",
                "limits.maxRequestBodyBytes", "surprise",
            ] {
                #expect(paths.contains(expected), "missing \(expected) in \(paths.sorted())")
            }
        }
    }

    /// `FuzzGatewayConfig` found a duration too long for `Int64` milliseconds trapping the parse.
    @Test func durationsRunFromAMillisecondToAHundredYears() throws {
        let yaml = """
            protos: [Protos/demo.binpb]
            backends: { demo: { endpoints: [127.0.0.1:1], timeout: 99999999999999999999999s } }
            services: { demo.*: demo }
            cors: { allowOrigins: ["*"], maxAge: 1e300h }
            limits: { requestReadTimeout: 0.2ms, idleTimeout: 876000h }
            """
        do {
            _ = try GatewayConfig.parse(yaml: yaml)
            Issue.record("expected a ConfigError")
        } catch {
            let problems = Dictionary(error.problems.map { ($0.path, $0.message) }, uniquingKeysWith: { a, _ in a })
            #expect(problems["backends.demo.timeout"]?.contains("longer than the 100 years") == true)
            #expect(problems["cors.maxAge"]?.contains("longer than the 100 years") == true)
            #expect(problems["limits.requestReadTimeout"]?.contains("expected a positive duration") == true)
            #expect(problems["limits.idleTimeout"] == nil, "100 years is allowed")
        }
    }

    /// `FuzzGatewayConfig` found Yams trapping on a base-60 integer (`1:30`, YAML 1.1) too big for
    /// `Int`; such forms are refused with their path, the other integer forms still read.
    @Test func integersInBaseSixtyAreRefusedWithTheirPath() throws {
        let yaml = """
            protos: [Protos/demo.binpb]
            backends: { demo: { endpoints: [127.0.0.1:1], maxConnectionsPerEndpoint: 0:0:0:0:0:0:0:0:0:0:0:1 } }
            services: { demo.*: demo }
            streaming: { bufferBytes: 6888886888888888888:1, maxMessageBytes: 1:30 }
            """
        do {
            _ = try GatewayConfig.parse(yaml: yaml)
            Issue.record("expected a ConfigError")
        } catch {
            let problems = Dictionary(error.problems.map { ($0.path, $0.message) }, uniquingKeysWith: { a, _ in a })
            let paths = [
                "backends.demo.maxConnectionsPerEndpoint", "streaming.bufferBytes", "streaming.maxMessageBytes",
            ]
            for path in paths {
                let message = problems[path] ?? "none"
                #expect(message.contains("base-60 forms such as 1:30 are not read"), "\(path): \(message)")
            }
        }
        let readable = try GatewayConfig.parse(
            yaml: """
                protos: [Protos/demo.binpb]
                backends: { demo: { endpoints: [127.0.0.1:1] } }
                services: { demo.*: demo }
                streaming: { bufferBytes: 1_048_576, maxMessageBytes: 0x100000 }
                """
        )
        #expect(readable.streaming.bufferBytes == 1_048_576)
        #expect(readable.streaming.maxMessageBytes == 1_048_576)
    }

    /// `Fuzz/Regressions/FuzzGatewayConfig/`: YAML that once trapped the parse; each is refused.
    @Test(arguments: (try? FileManager.default.contentsOfDirectory(atPath: fuzzRegressions))?.sorted() ?? [])
    func fuzzRegressionsAreRefusedWithoutATrap(_ name: String) throws {
        let text = try String(contentsOfFile: fuzzRegressions + "/" + name, encoding: .utf8)
        #expect(throws: ConfigError.self) { try GatewayConfig.parse(yaml: text) }
    }

    @Test func discoveryAndPoolSettingsAreReadAndValidated() throws {
        let good = try GatewayConfig.parse(
            yaml: """
                listen: 127.0.0.1:0
                protos: [Protos/demo.binpb]
                backends:
                  on: { endpoints: [pods.svc:50051], dns: true }
                  every: { endpoints: [pods.svc:50051], dns: { refreshInterval: 30s }, maxConnectionsPerEndpoint: 4 }
                  off: { endpoints: [pods.svc:50051], dns: false }
                """
        )
        #expect(good.backends["on"]?.dnsRefreshMilliseconds == 5_000)
        #expect(good.backends["every"]?.dnsRefreshMilliseconds == 30_000)
        #expect(good.backends["every"]?.maxConnectionsPerEndpoint == 4)
        #expect(good.backends["off"]?.dnsRefreshMilliseconds == nil)
        #expect(good.backends["off"]?.maxConnectionsPerEndpoint == 16)
        do {
            _ = try GatewayConfig.parse(
                yaml: """
                    listen: 127.0.0.1:0
                    protos: [Protos/demo.binpb]
                    backends:
                      a: { endpoints: [pods.svc:50051], dns: { refreshInterval: 1ms, every: 5s }, maxConnectionsPerEndpoint: 0 }
                      b: { endpoints: [pods.svc:50051], dns: sometimes }
                    """
            )
            Issue.record("expected a ConfigError")
        } catch {
            #expect(
                error.problems.map(\.path).sorted() == [
                    "backends.a.dns.every", "backends.a.dns.refreshInterval", "backends.a.maxConnectionsPerEndpoint",
                    "backends.b.dns",
                ]
            )
        }
    }

    @Test func reportsUnknownSelectorsAndBadTemplatesAfterLoadingDescriptors() throws {
        let yaml = """
            listen: 127.0.0.1:0
            protos: [Protos/demo.binpb, Protos/missing.binpb]
            backends: { demo: { endpoints: [127.0.0.1:1] } }
            """
        #expect(throws: ConfigError.self) {
            try GatewaySnapshot(config: try GatewayConfig.parse(yaml: yaml), baseDirectory: repositoryRoot)
        }
        let rules = """
            listen: 127.0.0.1:0
            protos: [Protos/demo.binpb]
            backends: { demo: { endpoints: [127.0.0.1:1] } }
            http:
              rules:
                - selector: demo.user.v1.UserService.Missing
                  get: /v1/m
                - selector: demo.user.v1.UserService.GetUser
                  get: /v1/users/{nope}
            """
        do {
            _ = try GatewaySnapshot(config: try GatewayConfig.parse(yaml: rules), baseDirectory: repositoryRoot)
            Issue.record("expected a ConfigError")
        } catch {
            let paths = error.problems.map(\.path)
            #expect(paths.contains("http.rules[0].selector"))
            #expect(paths.contains("http.rules[1]"), "\(error)")
        }
    }

    @Test func methodSettingsAreValidatedWithTheirPaths() throws {
        let yaml = """
            listen: 127.0.0.1:0
            protos: [Protos/demo.binpb]
            backends: { demo: { endpoints: [127.0.0.1:1] } }
            methods:
              demo.file.v1.FileService.DownLoad: { rawContentType: application/zip, colour: red, json: { loud: true } }
              demo.file.v1.FileService.Nope: { rawContentType: text/plain }
            """
        do {
            _ = try GatewayConfig.parse(yaml: yaml)
            Issue.record("expected a ConfigError")
        } catch {
            #expect(
                error.problems.map(\.path).sorted()
                    == [
                        "methods.demo.file.v1.FileService.DownLoad.colour",
                        "methods.demo.file.v1.FileService.DownLoad.json.loud",
                    ]
            )
        }
        let unknownMethod = yaml.replacingOccurrences(of: ", colour: red, json: { loud: true }", with: "")
        do {
            _ = try GatewaySnapshot(config: try GatewayConfig.parse(yaml: unknownMethod), baseDirectory: repositoryRoot)
            Issue.record("expected a ConfigError")
        } catch {
            #expect(error.problems.map(\.path) == ["methods.demo.file.v1.FileService.Nope"])
        }
    }
}
