import Foundation
import Gateway
import Testing

/// `deploy/systemd/portico.service`: `systemd-analyze verify` accepts it (in a root holding the
/// release binary where the unit expects it), its offline security exposure stays low, and
/// it reloads by SIGHUP, waits out the drain, and runs hardened.
@Suite("systemd unit")
struct SystemdUnitTests {
    static let path = "deploy/systemd/portico.service"

    @Test func systemdAnalyzeVerifiesTheUnit() async throws {
        let executable = try #require(ServeCommandTests.executable, "portico is not built")
        let root = NSTemporaryDirectory() + "portico-systemd-\(UUID().uuidString)"
        let manager = FileManager.default
        defer { try? manager.removeItem(atPath: root) }
        for folder in ["usr/local/bin", "usr/bin", "etc/systemd/system", "usr/lib"] {
            try manager.createDirectory(atPath: "\(root)/\(folder)", withIntermediateDirectories: true)
        }
        // The unit's commands must exist as it names them; systemd's own units for its targets.
        try manager.copyItem(atPath: executable, toPath: "\(root)/usr/local/bin/portico")
        try manager.copyItem(atPath: "/bin/kill", toPath: "\(root)/usr/bin/kill")
        try manager.createSymbolicLink(atPath: "\(root)/bin", withDestinationPath: "usr/bin")
        try manager.copyItem(atPath: "/usr/lib/systemd", toPath: "\(root)/usr/lib/systemd")
        let unit = "\(root)/etc/systemd/system/portico.service"
        try manager.copyItem(atPath: "\(repositoryRoot)/\(Self.path)", toPath: unit)
        let verify = try await TestTool.run("systemd-analyze", ["verify", "--root=\(root)", unit])
        #expect(verify.status == 0, "\(verify.text)\(verify.stderr)")
        #expect(verify.stderr.isEmpty, "\(verify.stderr)")
    }

    /// systemd's own score of the sandbox (0 = fully locked down, 10 = none): 2 or less.
    @Test func securityExposureIsLow() async throws {
        let result = try await TestTool.run(
            "systemd-analyze",
            ["security", "--offline=yes", "--threshold=20", "--no-pager", "\(repositoryRoot)/\(Self.path)"]
        )
        #expect(result.status == 0, "\(result.text)\(result.stderr)")
        #expect(result.text.contains("Overall exposure level for portico.service"), "\(result.text)")
    }

    @Test func reloadsDrainsAndRunsHardened() throws {
        let unit = try DeployFile.text(Self.path)
        let settings = unit.split(separator: "\n").filter { !$0.hasPrefix("#") && $0.contains("=") }.map { line in
            let equals = line.firstIndex(of: "=")!
            return (key: String(line[..<equals]), value: String(line[line.index(after: equals)...]))
        }
        func value(_ key: String) -> String? { settings.last { $0.key == key }?.value }
        #expect(value("ExecStart") == "/usr/local/bin/portico serve --config /etc/portico/Gateway.yaml")
        #expect(value("ExecReload") == "/bin/kill -HUP $MAINPID")
        #expect(value("KillSignal") == "SIGTERM")
        let drain = Double(GatewayConfig.ShutdownSettings().gracePeriodMilliseconds) / 1000
        #expect(try gatewayDurationSeconds(try #require(value("TimeoutStopSec"))) > drain, "the default drain fits")
        #expect(value("DynamicUser") == "yes")
        #expect(value("ProtectSystem") == "strict")
        #expect(value("NoNewPrivileges") == "yes")
        #expect(value("CapabilityBoundingSet") == "", "no capability: ports ≥ 1024")
        #expect((Int(value("LimitNOFILE") ?? "") ?? 0) >= 10_000)
    }
}
