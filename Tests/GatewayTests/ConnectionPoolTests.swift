import Foundation
import Gateway
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Testing

/// More connections to one endpoint when its `SETTINGS_MAX_CONCURRENT_STREAMS` is reached, up to
/// `maxConnectionsPerEndpoint`, with real backends advertising a small stream limit.
@Suite("Connection pools per endpoint")
struct ConnectionPoolTests {
    @Test func chatsBeyondTheBackendsStreamLimitOpenMoreConnections() async throws {
        try await withBackends(maxConcurrentStreams: 2) { harness in
            // Five chats stay open at once; the backend takes two streams per connection.
            var chats: [ChatSession] = []
            for index in 0..<5 {
                let chat = try await ChatSession.open(port: harness.gatewayPort)
                chats.append(chat)
                try await chat.say("hello \(index)")
            }
            for (index, chat) in chats.enumerated() {
                let answered = await chat.waitForLines(1, within: .seconds(5))
                #expect(answered, "chat \(index) got no reply")
                #expect(chat.lines.first == #"{"message":"you said: hello \#(index)"}"#)
            }
            #expect(try await harness.gateway.upstreamConnectionCounts() == [3])
            // Each chat still answers on its own connection.
            for (index, chat) in chats.enumerated() {
                try await chat.say("again \(index)")
                #expect(await chat.waitForLines(2, within: .seconds(5)), "chat \(index) stopped answering")
                try await chat.end()
            }
            for chat in chats { await chat.close() }
        }
    }

    @Test func theConnectionCapHoldsFurtherCallsUntilAStreamFrees() async throws {
        try await withBackends(maxConcurrentStreams: 2, backendExtra: "maxConnectionsPerEndpoint: 1") { harness in
            var chats: [ChatSession] = []
            for index in 0..<3 {
                let chat = try await ChatSession.open(port: harness.gatewayPort)
                chats.append(chat)
                try await chat.say("hello \(index)")
            }
            #expect(await chats[0].waitForLines(1, within: .seconds(5)))
            #expect(await chats[1].waitForLines(1, within: .seconds(5)))
            // The third call waits for a stream on the one allowed connection...
            #expect(await chats[2].waitForLines(1, within: .milliseconds(500)) == false)
            // ...and starts as soon as the first chat ends.
            try await chats[0].end()
            #expect(await chats[2].waitForLines(1, within: .seconds(5)))
            #expect(try await harness.gateway.upstreamConnectionCounts() == [1])
            for chat in chats.dropFirst() { try await chat.end() }
            for chat in chats { await chat.close() }
        }
    }

    @Test func unaryBurstsBeyondTheStreamLimitAllSucceed() async throws {
        try await withBackends(maxConcurrentStreams: 1) { harness in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<40 {
                    group.addTask {
                        let client = try await harness.client()
                        let response = try await client.send(.GET, "/v1/users/1")
                        await client.close()
                        return response.status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
            #expect(harness.getUserCounts == [40])
            let connections = try await harness.gateway.upstreamConnectionCounts()
            #expect(connections[0] >= 1 && connections[0] <= 16)
        }
    }
}

/// One chat (`POST /v1/chat`, NDJSON both ways) whose reply lines are collected in the background,
/// so a test can wait for them with a time limit.
final class ChatSession: Sendable {
    private let client: StreamingTestClient
    private let received = NIOLockedValueBox<(lines: [String], partial: [UInt8])>(([], []))
    /// The response's status once its head arrived, and whether its end arrived.
    private let outcome = NIOLockedValueBox<(status: Int?, ended: Bool)>((nil, false))

    private init(client: StreamingTestClient) {
        self.client = client
    }

    /// Opens a chat through the gateway at `port`.
    static func open(port: Int) async throws -> ChatSession {
        let client = try await StreamingTestClient.start(port: port, method: .POST, uri: "/v1/chat")
        let session = ChatSession(client: client)
        Task {
            for await event in client.events {
                if case .head(let head) = event {
                    session.outcome.withLockedValue { $0.status = Int(head.status.code) }
                }
                if case .end = event { session.outcome.withLockedValue { $0.ended = true } }
                guard case .body(let bytes) = event else { continue }
                session.received.withLockedValue { state in
                    state.partial += bytes
                    while let newline = state.partial.firstIndex(of: UInt8(ascii: "\n")) {
                        state.lines.append(String(decoding: state.partial[..<newline], as: UTF8.self))
                        state.partial.removeSubrange(...newline)
                    }
                }
            }
        }
        return session
    }

    /// Complete reply lines so far.
    var lines: [String] { received.withLockedValue { $0.lines } }

    /// Sends one chat message.
    func say(_ text: String) async throws {
        try await client.send("{\"message\":\"\(text)\"}\n")
    }

    /// Whether `count` reply lines arrive within `limit`.
    func waitForLines(_ count: Int, within limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if lines.count >= count { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return lines.count >= count
    }

    /// The response's status once it has ended within `limit` (nil if it has not).
    func waitForEnd(within limit: Duration) async -> Int? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let (status, ended) = outcome.withLockedValue { $0 }
            if ended { return status }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// Ends the request body (the chat's half-close).
    func end() async throws {
        try await client.end()
    }

    /// Closes the connection.
    func close() async {
        await client.close()
    }
}
