import DemoServices
import Foundation
import Gateway
import NIOHTTP1
import Testing

/// Reloading the configuration file every 100 ms while 50 connections send 10,000 requests:
/// no request fails, and once the load has ended the process holds no more file descriptors
/// and no more upstream connections than before it (each reload replaces the backend's
/// cluster, whose old connections must close once their calls finish).
@Suite("Reload under load")
struct ReloadUnderLoadTests {
    /// Open file descriptors of this process (the gateway runs in it).
    static func openFileDescriptors() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
    }

    @Test func reloadingEvery100MillisecondsFailsNoRequestAndLeaksNothing() async throws {
        let file = try ReloadTests.ConfigFile()
        defer { file.remove() }
        try await withFileGateway(path: file.path, template: ReloadTests.yaml(port: "PORT")) { harness in
            let reloader = try #require(harness.gateway.reloader)
            let port = harness.backend.port
            // Warm up: one upstream connection per event loop, then the baseline.
            let warm = try await harness.client()
            for _ in 0..<8 { #expect(try await warm.send(.GET, "/v1/users/1").status == 200) }
            await warm.close()
            let connectionsBefore = try await harness.gateway.upstreamConnectionCounts().reduce(0, +)
            let descriptorsBefore = try Self.openFileDescriptors()

            let reloads = ReloadCounter()
            let reloading = Task {
                var timeout = 5
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(100))
                    timeout = timeout == 5 ? 6 : 5
                    try? file.write(ReloadTests.yaml(port: port, timeout: "\(timeout)s"))
                    do {
                        _ = try await reloader.reload(trigger: "test")
                        reloads.succeeded()
                    } catch {
                        reloads.failed("\(error)")
                    }
                }
            }
            let failures = try await harness.sendMixedLoad()
            reloading.cancel()
            await reloading.value

            #expect(failures.isEmpty, "\(failures.count) of 10,000 requests failed: \(failures.prefix(5))")
            #expect(reloads.problems.isEmpty, "reloads failed: \(reloads.problems.prefix(3))")
            #expect(reloads.count >= 5, "the load ended after \(reloads.count) reloads")
            // Retired clusters close their connections once their calls are done, and the
            // clients' sockets are closed: back to the baseline.
            var descriptorsAfter = 0
            let settled = try await eventually(within: .seconds(15)) {
                descriptorsAfter = try Self.openFileDescriptors()
                return descriptorsAfter <= descriptorsBefore
            }
            #expect(settled, "file descriptors: \(descriptorsBefore) before, \(descriptorsAfter) after")
            // The current cluster: at most one connection per event loop (two loops; 25 calls
            // each stay far below the backend's stream limit), however many clusters came before.
            let connectionsAfter = try await harness.gateway.upstreamConnectionCounts()
            #expect(
                connectionsAfter.allSatisfy { $0 <= 1 },
                "upstream connections per loop: \(connectionsBefore) before, \(connectionsAfter) after"
            )
        }
    }
}

/// Reloads made and the problems of those that failed, shared with the reloading task.
private final class ReloadCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var made = 0
    private var failures: [String] = []

    func succeeded() { lock.withLock { made += 1 } }
    func failed(_ problem: String) { lock.withLock { failures.append(problem) } }
    var count: Int { lock.withLock { made } }
    var problems: [String] { lock.withLock { failures } }
}

/// Reloads asked for at the same moment (a watched change, a SIGHUP, a `POST /reload`) run one
/// after the other: of several reloads of a file that adds a route, exactly one reports the route
/// added, and every later one compares against the snapshot it installed.
@Suite("Concurrent reloads")
struct ConcurrentReloadTests {
    @Test func reloadsAskedTogetherRunOneAfterTheOther() async throws {
        let file = try ReloadTests.ConfigFile()
        defer { file.remove() }
        try await withFileGateway(path: file.path, template: ReloadTests.yaml(port: "PORT")) { harness in
            let reloader = try #require(harness.gateway.reloader)
            try file.write(ReloadTests.yaml(port: harness.backend.port, extra: ReloadTests.peopleRule))
            let added = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<8 {
                    group.addTask { try await reloader.reload(trigger: "test").routesAdded }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(added == ["GET /v1/people/{id} -> demo.user.v1.UserService/GetUser"])
        }
    }
}
