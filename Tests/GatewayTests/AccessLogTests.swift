import Foundation
import Gateway
import NIOHTTP1
import Prometheus
import Testing

/// One access-log line per request, written when it ends: unary calls, server streams, errors
/// and WebSocket sessions, in JSON and in text.
@Suite("Access log end to end")
struct AccessLogTests {
    static let jsonLogging = "logging:\n  access: true\n  format: json"

    @Test func oneJSONLinePerUnaryCallWithEveryField() async throws {
        let sink = CollectingSink()
        try await withGateway(extraConfig: Self.jsonLogging, accessLog: sink) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let ok = try await client.send(.GET, "/v1/users/1", headers: [("User-Agent", "tests/1.0")])
            let missing = try await client.send(.GET, "/v1/users/9")
            let lines = try await sink.jsonLines(2)
            try #require(lines.count == 2, "\(sink.lines)")
            for line in lines {
                #expect(Set(line.keys) == Set(AccessLogTests.fields), "\(line.keys.sorted())")
            }
            let first = lines[0]
            #expect(first["method"] as? String == "GET")
            #expect(first["path"] as? String == "/v1/users/1")
            #expect(first["route"] as? String == "/v1/users/{id}")
            #expect(first["status"] as? Int == 200)
            #expect(first["grpc_method"] as? String == "demo.user.v1.UserService/GetUser")
            #expect(first["grpc_status"] as? String == "OK")
            #expect(first["backend"] as? String == "demo")
            #expect(first["endpoint"] as? String == "127.0.0.1:\(harness.ports[0])")
            #expect(first["remote"] as? String == "127.0.0.1")
            #expect(first["request_bytes"] as? Int == 0)
            #expect(first["response_bytes"] as? Int == ok.body.count)
            #expect((first["duration_ms"] as? Double ?? -1) >= (first["upstream_ms"] as? Double ?? .infinity))
            #expect((first["upstream_ms"] as? Double ?? -1) > 0)
            #expect(first["request_id"] as? String == ok.headers.first(name: "x-request-id"))
            #expect(first["user_agent"] as? String == "tests/1.0")
            let time = first["time"] as? String ?? ""
            #expect(time.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "\(time)")
            let stamp = ISO8601DateFormatter.withMilliseconds.date(from: time) ?? .distantPast
            #expect(abs(stamp.timeIntervalSinceNow) < 60)

            let second = lines[1]
            #expect(second["status"] as? Int == 404)
            #expect(second["grpc_status"] as? String == "NOT_FOUND")
            #expect(second["response_bytes"] as? Int == missing.body.count)
        }
    }

    @Test func unmatchedRequestsAndPostBodiesAreLogged() async throws {
        let sink = CollectingSink()
        try await withGateway(extraConfig: Self.jsonLogging, accessLog: sink) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            _ = try await client.send(.GET, "/v1/nowhere?token=secret")
            let body = #"{"fString":"hello \"log\""}"#
            _ = try await client.send(.POST, "/v1/echo", headers: [("Content-Type", "application/json")], body: body)
            let lines = try await sink.jsonLines(2)
            try #require(lines.count == 2, "\(sink.lines)")
            #expect(lines[0]["status"] as? Int == 404)
            #expect(lines[0]["path"] as? String == "/v1/nowhere", "the query stays out of the log")
            #expect(lines[0]["route"] is NSNull)
            #expect(lines[0]["grpc_status"] is NSNull)
            #expect(lines[0]["upstream_ms"] is NSNull)
            #expect(lines[1]["route"] as? String == "/v1/echo")
            #expect(lines[1]["request_bytes"] as? Int == body.utf8.count)
        }
    }

    @Test func aServerStreamIsOneLineAtItsEnd() async throws {
        let sink = CollectingSink()
        try await withGateway(extraConfig: Self.jsonLogging, accessLog: sink) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(.GET, "/v1/files/zeros-3000:chunks")
            #expect(response.status == 200)
            let lines = try await sink.jsonLines(1)
            try #require(lines.count == 1, "\(sink.lines)")
            #expect(lines[0]["route"] as? String == "/v1/files/{name}:chunks")
            #expect(lines[0]["grpc_method"] as? String == "demo.file.v1.FileService/DownLoad")
            #expect(lines[0]["grpc_status"] as? String == "OK")
            #expect(lines[0]["status"] as? Int == 200)
            #expect(lines[0]["response_bytes"] as? Int == response.body.count)
            #expect(lines[0]["request_id"] as? String == response.headers.first(name: "x-request-id"))
        }
    }

    @Test func aWebSocketSessionIsOneLineAtItsEnd() async throws {
        let sink = CollectingSink()
        try await withGateway(extraConfig: Self.jsonLogging, accessLog: sink) { harness in
            let session = try await WebSocketTestClient.connect(
                port: harness.gatewayPort,
                path: "/v1/chat",
                headers: [("X-Request-Id", "chat-42")]
            )
            var events = session.events.makeAsyncIterator()
            try await session.send(text: #"{"message":"hello"}"#)
            _ = await events.next()
            #expect(sink.lines.isEmpty, "written at the session's end, not before")
            try await session.sendClose()
            while await events.next() != nil {}
            let lines = try await sink.jsonLines(1)
            try #require(lines.count == 1, "\(sink.lines)")
            #expect(lines[0]["status"] as? Int == 101)
            #expect(lines[0]["route"] as? String == "/v1/chat")
            #expect(lines[0]["grpc_method"] as? String == "demo.chat.v1.ChatService/TextChat")
            #expect(lines[0]["grpc_status"] as? String == "OK")
            #expect(lines[0]["request_id"] as? String == "chat-42")
            #expect(lines[0]["request_bytes"] as? Int == #"{"message":"hello"}"#.utf8.count)
            #expect((lines[0]["response_bytes"] as? Int ?? 0) > 0)
        }
    }

    @Test func textFormatIsOneReadableLineWithTheSameFields() async throws {
        let sink = CollectingSink()
        try await withGateway(extraConfig: "logging:\n  access: true\n  format: text", accessLog: sink) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            _ = try await client.send(.GET, "/v1/users/1", headers: [("X-Request-Id", "abc-1")])
            let lines = try await sink.waitForLines(1)
            try #require(lines.count == 1)
            let line = lines[0]
            for field in AccessLogTests.fields { #expect(line.contains("\(field)="), "\(field) in \(line)") }
            #expect(line.contains(#"route="/v1/users/{id}""#))
            #expect(line.contains("status=200"))
            #expect(line.contains(#"request_id="abc-1""#))
            #expect(line.contains(#"grpc_status="OK""#))
        }
    }

    @Test func noLinesWhenTheAccessLogIsOff() async throws {
        let sink = CollectingSink()
        try await withGateway(accessLog: sink) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(.GET, "/v1/users/1")
            #expect(response.headers.first(name: "x-request-id") == nil)
            try await Task.sleep(for: .milliseconds(100))
            #expect(sink.lines.isEmpty)
        }
    }

    static let fields = [
        "time", "remote", "method", "path", "route", "status", "grpc_method", "grpc_status", "backend", "endpoint",
        "request_bytes", "response_bytes", "duration_ms", "upstream_ms", "request_id", "user_agent",
    ]
}

extension ISO8601DateFormatter {
    /// RFC 3339 with milliseconds.
    nonisolated(unsafe) static let withMilliseconds: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()
}
