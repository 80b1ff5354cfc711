import Foundation
import Gateway
import NIOCore
import NIOHTTP1
import Testing

/// Requests NIO's HTTP/1.1 parser refuses get a google.rpc.Status JSON body like every other bad
/// input (400, or 431 for an oversized header block), after the responses to the requests
/// before them, and the connection closes: the parser cannot find where a next request starts.
@Suite("Malformed HTTP requests get JSON errors")
struct MalformedHTTPTests {
    /// Sends `request` on a fresh connection and waits for the server to close it.
    static func exchange(_ request: String, port: Int) async throws -> String {
        let client = try await RawTCPClient.connect(port: port)
        try await client.send(request)
        let closed = try await HTTPTimeoutTests.closing(client, within: .seconds(3))
        #expect(closed != nil, "the connection stayed open")
        return client.text
    }

    /// The JSON body of the last response in `text`, decoded.
    static func lastJSONBody(_ text: String) throws -> [String: Any] {
        let body = try #require(text.components(separatedBy: "\r\n\r\n").last)
        let object = try JSONSerialization.jsonObject(with: Data(body.utf8))
        return try #require(object as? [String: Any])
    }

    @Test(arguments: [
        ("a space in the request target", "GET /v1/us ers/1 HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("a header name with a space", "GET /v1/users/1 HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n"),
        ("a Content-Length that is not a number", "POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"),
        (
            "a chunk size that is not hex",
            "POST /v1/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
        ),
        ("not HTTP at all", "\u{16}\u{03}\u{01}\u{00}\u{a5}\u{01}\u{00}\u{00}\u{a1}\u{03}\u{03}\r\n\r\n"),
    ])
    func isA400WithAJSONStatus(_ problem: String, _ request: String) async throws {
        try await withGateway { harness in
            let text = try await Self.exchange(request, port: harness.gatewayPort)
            #expect(text.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(problem): \(text)")
            #expect(text.lowercased().contains("content-type: application/json"), "\(problem): \(text)")
            #expect(text.lowercased().contains("connection: close"), "\(problem): \(text)")
            let status = try Self.lastJSONBody(text)
            #expect(status["code"] as? Int == 3, "\(problem): \(text)")
            let message = try #require(status["message"] as? String)
            #expect(message.hasPrefix("malformed HTTP request"), "\(problem): \(message)")
            // The gateway keeps serving.
            let client = try await harness.client()
            let response = try await client.send(.GET, "/v1/users/1")
            await client.close()
            #expect(response.status == 200)
        }
    }

    @Test func anOversizedHeaderBlockIsA431() async throws {
        try await withGateway { harness in
            let request =
                "GET /v1/users/1 HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 100_000))\r\n\r\n"
            let text = try await Self.exchange(request, port: harness.gatewayPort)
            #expect(text.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"), "\(text.prefix(200))")
            let status = try Self.lastJSONBody(text)
            #expect(status["code"] as? Int == 3)
        }
    }

    /// A valid request followed by garbage in one write: the valid one is answered first (200),
    /// then the garbage (400 JSON), then the connection closes.
    @Test func garbageBehindAValidRequestIsAnsweredAfterIt() async throws {
        try await withGateway { harness in
            let text = try await Self.exchange(
                "GET /v1/users/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/us ers/2 HTTP/1.1\r\nHost: x\r\n\r\n",
                port: harness.gatewayPort
            )
            let responses = text.components(separatedBy: "HTTP/1.1 ").filter { !$0.isEmpty }
            #expect(responses.count == 2, "\(text)")
            #expect(responses.first?.hasPrefix("200 OK") == true, "\(text)")
            #expect(responses.first?.contains("Ada Lovelace") == true, "\(text)")
            #expect(responses.last?.hasPrefix("400 Bad Request") == true, "\(text)")
            #expect(try Self.lastJSONBody(text)["code"] as? Int == 3)
        }
    }
}
