import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Answers that come before the request is over: a bidi response that ends while the client is
/// still sending, a refusal to a client that waits for `100 Continue`, and what a 405 carries.
@Suite("Answers before the request ends")
struct EarlyAnswerTests {
    @Test func aBidiResponseThatEndsFirstLetsTheClientFinishAndKeepsTheConnection() async throws {
        try await withGateway { harness in
            let client = try await RawTCPClient.connect(port: harness.gatewayPort)
            defer { Task { await client.close() } }
            try await client.send("POST /v1/chat HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n")
            try await client.send(Self.chunk("{\"message\":\"/quit\"}\n"))
            // The backend says bye and ends its stream while the request body is still open.
            try await client.waitFor("0\r\n\r\n")
            #expect(client.text.contains("{\"message\":\"bye\"}"))
            #expect(client.text.contains("HTTP/1.1 200 OK"))
            #expect(!client.text.lowercased().contains("connection: close"))
            // The client finishes sending; the rest of its body is read and dropped.
            try await client.send(Self.chunk("{\"message\":\"still typing\"}\n"))
            try await client.send("0\r\n\r\n")
            try await client.send("GET /v1/users/1 HTTP/1.1\r\nHost: gw\r\n\r\n")
            try await client.waitFor("Ada Lovelace")
            #expect(!client.isClosed)
        }
    }

    /// The symptom users saw: curl streaming a body to a chat that ends first exited with 55
    /// ("failed sending data") because the gateway closed the connection under it.
    @Test func curlStreamingToAChatThatEndsFirstExitsCleanly() async throws {
        try await withGateway { harness in
            let script = """
                (printf '{"message":"/quit"}\\n'; sleep 0.3; printf '{"message":"late"}\\n') \
                | curl -sN -T - -X POST http://127.0.0.1:\(harness.gatewayPort)/v1/chat
                """
            let (status, output) = try await Self.shell(script)
            #expect(status == 0, "curl exit status \(status)")
            #expect(output == "{\"message\":\"bye\"}\n")
        }
    }

    @Test func aRequestWaitingFor100ContinueWithoutARouteIsAnsweredAtOnce() async throws {
        try await withGateway { harness in
            let client = try await RawTCPClient.connect(port: harness.gatewayPort)
            defer { Task { await client.close() } }
            // The body is never sent: the answer must not wait for it.
            try await client.send(
                "POST /v1/nothing HTTP/1.1\r\nHost: gw\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n"
            )
            try await client.waitFor("}")
            #expect(client.text.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
            #expect(!client.text.contains("100 Continue"))
            #expect(client.text.lowercased().contains("connection: close"))
            try await client.closed.get()
        }
    }

    @Test func aRequestWaitingFor100ContinueWithAWrongVerbGets405AtOnce() async throws {
        try await withGateway { harness in
            let client = try await RawTCPClient.connect(port: harness.gatewayPort)
            defer { Task { await client.close() } }
            try await client.send(
                "PUT /v1/users/1 HTTP/1.1\r\nHost: gw\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n"
            )
            try await client.waitFor("}")
            #expect(client.text.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"))
            #expect(client.text.contains("Allow: GET, HEAD\r\n"))
        }
    }

    @Test func aMatchedRequestWaitingFor100ContinueGetsIt() async throws {
        try await withGateway { harness in
            let client = try await RawTCPClient.connect(port: harness.gatewayPort)
            defer { Task { await client.close() } }
            let body = "{\"fString\":\"hi\"}"
            try await client.send(
                "POST /v1/echo HTTP/1.1\r\nHost: gw\r\nContent-Length: \(body.utf8.count)\r\nExpect: 100-continue\r\n\r\n"
            )
            try await client.waitFor("100 Continue\r\n\r\n")
            try await client.send(body)
            try await client.waitFor("{\"fString\":\"hi\"}")
            #expect(client.text.contains("HTTP/1.1 200 OK"))
        }
    }

    @Test func every405CarriesAllow() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let delete = try await client.send(.DELETE, "/v1/users/1")
            #expect(delete.status == 405)
            #expect(delete.headers["Allow"] == ["GET, HEAD"])
            let get = try await client.send(.GET, "/v1/echo")
            #expect(get.status == 200)
            let put = try await client.send(.PUT, "/v1/chat")
            #expect(put.status == 405)
            #expect(put.headers["Allow"] == ["POST"])
        }
    }

    static func chunk(_ text: String) -> String {
        "\(String(text.utf8.count, radix: 16))\r\n\(text)\r\n"
    }

    /// Runs `script` with /bin/sh; returns its exit status and standard output.
    static func shell(_ script: String) async throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

extension RawTCPClient {
    /// Waits (up to 5 s) until the server has sent `text`.
    func waitFor(_ text: String) async throws {
        for _ in 0..<500 {
            if self.text.contains(text) { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("never received \(text.debugDescription); got \(self.text.debugDescription)")
        throw CancellationError()
    }
}
