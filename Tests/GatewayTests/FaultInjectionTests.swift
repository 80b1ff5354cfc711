import DemoServices
import Foundation
import Gateway
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

/// Backends that fail in every way a network can: the client gets the right JSON error quickly,
/// nothing hangs past its deadline, other routes keep working, and nothing leaks.
@Suite("Fault injection")
struct FaultInjectionTests {
    /// The demo backend for the user service and `bad` (on `badPort`) for the echo service.
    static func withTwoBackends(badPort: Int, _ body: (GatewayHarness) async throws -> Void) async throws {
        let extra = """
            backends:
              demo:
                endpoints: [127.0.0.1:PORT]
              bad:
                endpoints: [127.0.0.1:\(badPort)]
                timeout: 300ms
            services:
              demo.user.v1.*: demo
              demo.file.v1.*: demo
              demo.echo.v1.*: bad
            """
        try await withGateway(replacingBackends: extra, body)
    }

    @Test func aBackendThatNeverAnswersIsA504AtTheDeadlineAndOthersKeepServing() async throws {
        let silent = try await MisbehavingBackend.start(.silent)
        defer { Task { await silent.stop() } }
        try await Self.withTwoBackends(badPort: silent.port) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            for (headers, limit) in [
                ([("Grpc-Timeout", "200m")], Duration.milliseconds(1_500)), ([], .milliseconds(1_500)),
            ] {
                let start = ContinuousClock.now
                let response = try await client.send(.GET, "/v1/echo?fString=a", headers: headers)
                let elapsed = ContinuousClock.now - start
                #expect(response.status == 504, "\(response.text)")
                #expect(try response.jsonObject()["code"] as? Int == 4)
                #expect(elapsed >= .milliseconds(180) && elapsed < limit, "\(elapsed)")
            }
            let user = try await client.send(.GET, "/v1/users/1")
            #expect(user.status == 200)
        }
    }

    @Test func aBackendSpeakingGarbageIsAnErrorNotAHang() async throws {
        let garbage = try await MisbehavingBackend.start(
            .garbage(Array("HTTP/1.1 400 Bad Request\r\n\r\nnot h2 at all".utf8))
        )
        defer { Task { await garbage.stop() } }
        try await Self.withTwoBackends(badPort: garbage.port) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let start = ContinuousClock.now
            let response = try await client.send(.GET, "/v1/echo?fString=a")
            #expect([502, 503].contains(response.status), "\(response.status) \(response.text)")
            #expect(ContinuousClock.now - start < .seconds(1))
            #expect(try await client.send(.GET, "/v1/users/1").status == 200)
        }
    }

    @Test func tenThousandFailingCallsLeakNoDescriptorsOrMemory() async throws {
        // A port nobody listens on: every call's connect is refused.
        let closed = try await MisbehavingBackend.start(.silent)
        let deadPort = closed.port
        await closed.stop()
        try await Self.withTwoBackends(badPort: deadPort) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            func fail(_ count: Int) async throws {
                for _ in 0..<count {
                    let response = try await client.send(.GET, "/v1/echo?fString=a")
                    #expect(response.status == 503)
                }
            }
            try await fail(1_000)
            let fdsBefore = Self.openDescriptors()
            let rssBefore = Self.residentBytes()
            try await fail(10_000)
            let fdsAfter = Self.openDescriptors()
            let rssAfter = Self.residentBytes()
            print(
                "10,000 failing calls: descriptors \(fdsBefore) → \(fdsAfter), RSS \(rssBefore >> 10) KiB → \(rssAfter >> 10) KiB"
            )
            #expect(fdsAfter - fdsBefore <= 4, "descriptors \(fdsBefore) → \(fdsAfter)")
            #expect(rssAfter - rssBefore < 16 << 20, "RSS \(rssBefore >> 20) MiB → \(rssAfter >> 20) MiB")
            #expect(try await client.send(.GET, "/v1/users/1").status == 200)
        }
    }

    static func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }

    static func residentBytes() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = statm.split(separator: " ")
        return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
