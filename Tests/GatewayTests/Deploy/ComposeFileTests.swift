import Foundation
import Testing
import Yams

/// `deploy/compose.yaml`: valid by the Compose Specification's JSON schema (check-jsonschema's
/// copy; `docker compose config` needs the Compose plugin, not installed here), with the two
/// services, the admin port published on loopback only, the mounted configuration, and a
/// healthcheck on `/readyz`.
@Suite("Compose file")
struct ComposeFileTests {
    static let path = "deploy/compose.yaml"

    @Test func validatesAgainstTheComposeSpecification() async throws {
        let result = try await TestTool.run(
            "check-jsonschema",
            ["--builtin-schema", "vendor.compose-spec", "\(repositoryRoot)/\(Self.path)"]
        )
        #expect(result.status == 0, "\(result.text)\(result.stderr)")
    }

    /// Both services build from the Dockerfile's stages; Portico publishes the data port, and
    /// the admin port on the host's loopback only; the healthcheck probes `/readyz` on the port
    /// the mounted configuration's admin listener binds; `docker stop` waits out the drain.
    @Test func servicesPortsAndHealthcheck() async throws {
        let compose = try DeployFile.yaml(Self.path)
        let services = compose["services"]
        #expect(Set(services.mapping.keys) == ["demo-backend", "portico"])
        let stages = Set(try Dockerfile().stages.map(\.name))
        for (name, service) in services.mapping {
            #expect(service["build"]["dockerfile"].string == Dockerfile.path)
            #expect(service["build"]["context"].string == "..")
            #expect(stages.contains(service["build"]["target"].string ?? ""), "\(name)")
            #expect(service["read_only"].bool == true, "\(name)")
            #expect(service["cap_drop"].strings == ["ALL"], "\(name)")
        }
        let portico = services["portico"]
        let config = try Self.mountedConfiguration()
        let adminPort = try #require(
            YAMLTree(try Yams.load(yaml: config.text))["admin"]["listen"].string?.split(separator: ":").last
        )
        #expect(
            portico["ports"].strings.contains("127.0.0.1:\(adminPort):\(adminPort)"),
            "admin on the host's loopback only"
        )
        #expect(portico["ports"].strings.contains { $0.hasSuffix(":8080:8080") })
        #expect(
            !portico["ports"].strings.contains {
                $0 == "\(adminPort):\(adminPort)" || $0.hasPrefix("0.0.0.0:\(adminPort)")
            }
        )
        let healthcheck = portico["healthcheck"]
        #expect(healthcheck["test"].strings == ["CMD", "portico", "probe", "http://127.0.0.1:\(adminPort)/readyz"])
        #expect(healthcheck["interval"].string != nil)
        let stopGrace = try gatewayDurationSeconds(try #require(portico["stop_grace_period"].string))
        let drain = try gatewayDurationSeconds(
            try #require(YAMLTree(try Yams.load(yaml: config.text))["shutdown"]["gracePeriod"].string)
        )
        #expect(stopGrace > drain, "docker stop must wait out shutdown.gracePeriod")
        #expect(portico["depends_on"]["demo-backend"].value != nil)
        #expect(services["demo-backend"]["volumes"].strings.contains { $0.hasSuffix(":/var/lib/demo-backend/files") })
    }

    /// What Portico's container sees in /etc/portico (the compose file's bind mounts) passes
    /// `portico check` and serves the repository's route table.
    @Test func theMountedConfigurationPassesPorticoCheck() async throws {
        let executable = try #require(ServeCommandTests.executable, "portico is not built")
        let config = try Self.mountedConfiguration()
        defer { try? FileManager.default.removeItem(atPath: config.root) }
        let check = try await runTool(executable, ["check", "--config", config.path])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(
            try await routeTable(ofConfig: config.path)
                == (try await routeTable(ofConfig: "\(repositoryRoot)/Gateway.yaml"))
        )
        #expect(
            YAMLTree(try Yams.load(yaml: config.text))["watch"].bool == true,
            "an edited mount applies without a restart"
        )
    }

    /// Portico's bind mounts copied into a new folder standing for the container's root;
    /// returns that root, the path of /etc/portico/Gateway.yaml in it, and its text.
    static func mountedConfiguration() throws -> (root: String, path: String, text: String) {
        let portico = try DeployFile.yaml(Self.path)["services"]["portico"]
        let root = NSTemporaryDirectory() + "portico-compose-\(UUID().uuidString)"
        for volume in portico["volumes"].strings {
            let parts = volume.split(separator: ":").map(String.init)
            try #require(parts.count >= 2 && parts[0].hasPrefix("."), "a bind mount: \(volume)")
            #expect(parts.count == 3 && parts[2] == "ro", "read-only: \(volume)")
            let source = URL(fileURLWithPath: "\(repositoryRoot)/deploy/\(parts[0])").standardized.path
            let target = root + parts[1]
            try FileManager.default.createDirectory(
                atPath: (target as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true
            )
            try FileManager.default.copyItem(atPath: source, toPath: target)
        }
        let path = root + "/etc/portico/Gateway.yaml"
        return (root, path, try String(contentsOfFile: path, encoding: .utf8))
    }
}
