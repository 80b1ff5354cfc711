import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Testing
import Upstream

@testable import Gateway

/// `backends.<name>.dns`: each address of a host name is an endpoint, and the list follows the
/// answers as they change (a Kubernetes headless Service). The backends are real demo servers
/// bound to 127.0.0.1, 127.0.0.2 and 127.0.0.3 on one port, like pods behind one name; the
/// answers come from a scripted resolver, since a test cannot change what DNS says.
@Suite("DNS discovery of backend endpoints")
struct DNSDiscoveryTests {
    static let pods = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]

    @Test func everyAddressIsAnEndpointAndTheListFollowsTheAnswers() async throws {
        let resolver = ScriptedResolver(["pods.test": .success(["127.0.0.1", "127.0.0.2"])])
        try await withBackends(
            hosts: Self.pods,
            endpoints: "[pods.test:PORT]",
            resolver: resolver,
            backendExtra: "dns: { refreshInterval: 50ms }"
        ) { harness in
            try await resolver.waitForLookups(2)
            let client = try await harness.client()
            defer { Task { await client.close() } }

            var before = harness.getUserCounts
            for _ in 0..<60 { #expect(try await client.send(.GET, "/v1/users/1").status == 200) }
            #expect(zip(harness.getUserCounts, before).map { $0 - $1 } == [30, 30, 0])

            // A pod goes, another comes.
            resolver.answer("pods.test", .success(["127.0.0.2", "127.0.0.3"]))
            try await resolver.waitForLookups(resolver.lookups + 2)
            before = harness.getUserCounts
            for _ in 0..<60 { #expect(try await client.send(.GET, "/v1/users/1").status == 200) }
            #expect(zip(harness.getUserCounts, before).map { $0 - $1 } == [0, 30, 30])

            // A failed lookup keeps the last good answer.
            resolver.answer("pods.test", .failure("SERVFAIL"))
            try await resolver.waitForLookups(resolver.lookups + 2)
            before = harness.getUserCounts
            for _ in 0..<60 { #expect(try await client.send(.GET, "/v1/users/1").status == 200) }
            #expect(zip(harness.getUserCounts, before).map { $0 - $1 } == [0, 30, 30])
        }
    }

    @Test func anEndpointThatLeavesTheAnswerFinishesItsCallsFirst() async throws {
        let resolver = ScriptedResolver(["pods.test": .success(["127.0.0.1"])])
        try await withBackends(
            hosts: Array(Self.pods.prefix(2)),
            endpoints: "[pods.test:PORT]",
            resolver: resolver,
            backendExtra: "dns: { refreshInterval: 50ms }"
        ) { harness in
            try await resolver.waitForLookups(2)
            let chat = try await ChatSession.open(port: harness.gatewayPort)
            try await chat.say("before")
            #expect(await chat.waitForLines(1, within: .seconds(5)))

            resolver.answer("pods.test", .success(["127.0.0.2"]))
            try await resolver.waitForLookups(resolver.lookups + 2)
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let before = harness.getUserCounts
            for _ in 0..<10 { #expect(try await client.send(.GET, "/v1/users/1").status == 200) }
            #expect(zip(harness.getUserCounts, before).map { $0 - $1 } == [0, 10])

            // The chat that began on the departed pod carries on until it ends.
            try await chat.say("after")
            #expect(await chat.waitForLines(2, within: .seconds(5)))
            #expect(chat.lines.last == #"{"message":"you said: after"}"#)
            try await chat.end()
            await chat.close()
        }
    }

    @Test func theSystemResolverServesDNSBackends() async throws {
        try await withBackends(endpoints: "[localhost:PORT]", backendExtra: "dns: true") { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            for _ in 0..<10 { #expect(try await client.send(.GET, "/v1/users/1").status == 200) }
            #expect(harness.getUserCounts == [10])
        }
        let localhost = try SystemHostResolver.lookUp("localhost", port: 80)
        #expect(localhost.contains { $0.ipAddress == "127.0.0.1" && $0.port == 80 })
        #expect(throws: HostResolutionError.self) { try SystemHostResolver.lookUp("no-such-host.invalid", port: 80) }
    }
}

/// A resolver whose answers the test sets, counting lookups and the event loops they were made
/// for.
final class ScriptedResolver: HostResolver {
    private let state:
        NIOLockedValueBox<
            (answers: [String: Result<[String], ScriptedFailure>], lookups: Int, loops: Set<ObjectIdentifier>)
        >

    init(_ answers: [String: Result<[String], ScriptedFailure>]) {
        self.state = NIOLockedValueBox((answers, 0, []))
    }

    /// Lookups made so far.
    var lookups: Int { state.withLockedValue { $0.lookups } }
    /// The number of distinct event loops lookups were made for.
    var loops: Int { state.withLockedValue { $0.loops.count } }

    /// Sets what `host` resolves to from now on.
    func answer(_ host: String, _ answer: Result<[String], ScriptedFailure>) {
        state.withLockedValue { $0.answers[host] = answer }
    }

    /// Waits (up to 5 s) until `count` lookups have been made.
    func waitForLookups(_ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while lookups < count {
            guard ContinuousClock.now < deadline else { throw ScriptedFailure("only \(lookups) of \(count) lookups") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func addresses(of host: String, port: Int, on eventLoop: any EventLoop) -> EventLoopFuture<[SocketAddress]> {
        let answer = state.withLockedValue { state in
            state.lookups += 1
            state.loops.insert(ObjectIdentifier(eventLoop))
            return state.answers[host] ?? .failure(ScriptedFailure("NXDOMAIN"))
        }
        let addresses: Result<[SocketAddress], any Error> = answer.mapError { $0 }.flatMap { ips in
            Result { try ips.map { try SocketAddress(ipAddress: $0, port: port) } }
        }
        return eventLoop.makeCompletedFuture(addresses)
    }
}

/// A scripted resolver failure.
struct ScriptedFailure: Error, ExpressibleByStringLiteral, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
    init(stringLiteral value: String) { self.description = value }
}
