import Foundation
import Gateway
import Testing

/// `deploy/docker/Dockerfile`: hadolint finds nothing above `info`, and the stages are what the
/// deploy issue asks for (Swift image of this toolchain, slim Debian runtime with a numeric
/// non-root user, the ports, the entrypoint, the stop signal, OCI labels).
@Suite("Dockerfile")
struct DockerfileTests {
    @Test func hadolintFindsNothingAboveInfo() async throws {
        let result = try await TestTool.run(
            "hadolint",
            ["--no-fail", "-f", "json", "\(repositoryRoot)/\(Dockerfile.path)"]
        )
        #expect(result.status == 0, "\(result.stderr)")
        let findings = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [[String: Any]])
        let serious = findings.filter { ["error", "warning"].contains($0["level"] as? String) }
        #expect(serious.isEmpty, "\(serious)")
    }

    /// The build stage is the official Swift image of the toolchain this checkout builds with, on
    /// the Debian release this machine runs; the runtime is that release's slim image.
    @Test func buildsOnTheToolchainsSwiftImageAndRunsOnSlimDebian() async throws {
        let dockerfile = try Dockerfile()
        let swift = try await runTool("/usr/bin/env", ["swift", "--version"])
        let version = try #require(dockerfile.argumentDefaults["SWIFT_VERSION"])
        #expect(swift.text.contains("Swift version \(version) "), "\(swift.text)")
        let osRelease = try String(contentsOfFile: "/etc/os-release", encoding: .utf8)
        let suite = try #require(dockerfile.argumentDefaults["DEBIAN_SUITE"])
        #expect(osRelease.contains("VERSION_CODENAME=\(suite)\n"))
        #expect(dockerfile.expanded(dockerfile.stages.first?.base ?? "") == "swift:\(version)-\(suite)")
        #expect(dockerfile.expanded(dockerfile.stage("runtime")?.base ?? "") == "debian:\(suite)-slim")
        let build = try #require(dockerfile.stage("build"))
        #expect(
            build.arguments(of: "RUN").contains { $0.hasPrefix("bash scripts/build-image-binaries.sh ") },
            "the image's binaries are built as make test builds .build-static/image"
        )
        #expect(dockerfile.installedPackages(in: "build").contains("libnghttp2-dev"))
    }

    /// The default target is the gateway: a numeric non-root user, the data and admin ports,
    /// `portico serve` on /etc/portico/Gateway.yaml, SIGTERM to stop, OCI labels; and the
    /// demo backend is a second target.
    @Test func theGatewayImageIsTheDefaultTarget() throws {
        let dockerfile = try Dockerfile()
        let portico = try #require(dockerfile.stages.last)
        #expect(portico.name == "portico")
        #expect(portico.base == "runtime")
        let runtime = try #require(dockerfile.stage("runtime"))
        let user = try #require((runtime.arguments(of: "USER") + portico.arguments(of: "USER")).last)
        #expect(
            user.split(separator: ":").allSatisfy { UInt32($0) != nil && $0 != "0" },
            "numeric and not root: \(user)"
        )
        #expect(portico.arguments(of: "EXPOSE") == ["8080 9901"])
        #expect(
            portico.arguments(of: "ENTRYPOINT") == [#"["portico", "serve", "--config", "/etc/portico/Gateway.yaml"]"#]
        )
        #expect(runtime.arguments(of: "STOPSIGNAL") == ["SIGTERM"])
        let labels = (runtime.arguments(of: "LABEL") + portico.arguments(of: "LABEL")).joined(separator: " ")
        for key in ["title", "description", "version", "revision"] {
            #expect(labels.contains("org.opencontainers.image.\(key)="), "\(key)")
        }
        #expect(dockerfile.argumentDefaults["PORTICO_VERSION"] == PorticoVersion.current)
        #expect(
            portico.arguments(of: "HEALTHCHECK").first?.contains(#""portico", "probe", "http://127.0.0.1:9901/readyz""#)
                == true
        )
        let demo = try #require(dockerfile.stage("demo-backend"))
        #expect(demo.base == "runtime")
        #expect(demo.arguments(of: "ENTRYPOINT").first?.hasPrefix(#"["demo-backend", "--host", "0.0.0.0""#) == true)
    }

    /// The image's default configuration (deploy/docker/Gateway.yaml, with the descriptor set
    /// beside it as in /etc/portico) passes `portico check` and serves the repository's routes.
    @Test func theImagesDefaultConfigurationPassesPorticoCheck() async throws {
        let executable = try #require(ServeCommandTests.executable, "portico is not built")
        let dockerfile = try Dockerfile()
        let copies = try #require(dockerfile.stages.last).arguments(of: "COPY").filter { !$0.hasPrefix("--from") }
        let etc = NSTemporaryDirectory() + "portico-image-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: etc) }
        for copy in copies {
            let parts = copy.split(separator: " ").map(String.init)
            let target = etc + (try #require(parts.last))
            try FileManager.default.createDirectory(
                atPath: (target as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true
            )
            try FileManager.default.copyItem(atPath: "\(repositoryRoot)/\(parts[0])", toPath: target)
        }
        let config = etc + "/etc/portico/Gateway.yaml"
        let check = try await runTool(executable, ["check", "--config", config])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(
            try await routeTable(ofConfig: config) == (try await routeTable(ofConfig: "\(repositoryRoot)/Gateway.yaml"))
        )
    }
}
