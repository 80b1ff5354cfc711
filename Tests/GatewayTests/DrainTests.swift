import DemoServices
import Foundation
import Gateway
import NIOHTTP1
import Testing

/// Graceful drain (``GatewayServer/drain(gracePeriod:)``, what SIGTERM runs): readiness 503 at
/// once, no new connections, idle connections closed, calls in flight finished with
/// `Connection: close`; after the grace period what is left ends with `UNAVAILABLE`.
@Suite("Drain")
struct DrainTests {
    /// An upload the demo backend takes `messages` × 50 ms to read (`slow-` names), as one
    /// request body.
    static func slowUpload(messages: Int) -> String {
        let content = Data("chunk".utf8).base64EncodedString()
        var body = "{\"name\":\"slow-drain.bin\",\"content\":\"\(content)\"}\n"
        for _ in 1..<messages { body += "{\"content\":\"\(content)\"}\n" }
        return body
    }

    @Test func aCallInFlightFinishesWhileNewConnectionsAreRefused() async throws {
        try await withGateway(extraConfig: "admin: { listen: 127.0.0.1:0 }") { harness in
            let admin = try await harness.adminClient()
            let idle = try await harness.client()
            #expect(try await idle.send(.GET, "/v1/users/1").status == 200)
            let uploader = try await harness.client()
            let upload = Task {
                try await uploader.send(.POST, "/v1/uploads", body: Self.slowUpload(messages: 20))
            }
            #expect(try await eventually { harness.observer.calls(method: "UpLoad") == 1 })
            let drain = Task { await harness.gateway.drain(gracePeriod: .seconds(10)) }
            #expect(try await eventually { harness.gateway.isDraining })
            let ready = try await admin.send(.GET, "/readyz")
            #expect(ready.status == 503)
            #expect(try ready.jsonObject()["draining"] as? Bool == true)
            #expect(try await eventually { !idle.isActive }, "an idle keep-alive connection is closed")
            #expect(try await eventually { (try? await harness.client()) == nil }, "new connections are refused")

            let response = try await upload.value
            #expect(response.status == 200, "\(response.text)")
            #expect(response.headers.first(name: "connection") == "close")
            #expect(response.text == #"{"state":"success"}"#)
            let outcome = await drain.value
            #expect(outcome.cancelledConnections == 0)
            #expect(await harness.gateway.openConnections() == 0)
            await uploader.close()
            await admin.close()
        }
    }

    @Test func whatIsLeftAfterTheGracePeriodEndsWithAnError() async throws {
        try await withGateway { harness in
            let chat = try await ChatSession.open(port: harness.gatewayPort)
            try await chat.say("hello")
            #expect(await chat.waitForLines(1, within: .seconds(5)))
            let unaryClient = try await harness.client()
            let outcome = await harness.gateway.drain(gracePeriod: .milliseconds(300))
            #expect(outcome.cancelledConnections == 1)
            #expect(await chat.waitForLines(2, within: .seconds(5)))
            let last = try #require(chat.lines.last)
            #expect(last.contains("\"error\""), "\(last)")
            #expect(last.contains("\"code\":14"), "\(last)")
            #expect(last.contains("the gateway is shutting down"), "\(last)")
            #expect(await chat.waitForEnd(within: .seconds(5)) == 200)
            #expect(!unaryClient.isActive, "the idle connection closed at once")
            await chat.close()
        }
    }

    @Test func aWebSocketSessionIsClosedWithGoingAway() async throws {
        try await withGateway { harness in
            let session = try await WebSocketTestClient.connect(port: harness.gatewayPort, path: "/v1/chat")
            var events = session.events.makeAsyncIterator()
            try await session.send(text: #"{"message":"hello"}"#)
            #expect(await WebSocketTests.next(&events) == .text(#"{"message":"you said: hello"}"#))
            let outcome = await harness.gateway.drain(gracePeriod: .milliseconds(200))
            #expect(outcome.cancelledConnections == 1)
            #expect(
                await WebSocketTests.rest(&events) == [
                    .close(code: 1001, reason: "the gateway is shutting down"), .closed,
                ]
            )
            await session.close()
        }
    }
}
