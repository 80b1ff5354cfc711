import NIOCore
import NIOHTTP1
import Testing

@testable import Gateway

/// A complete response's bytes as Portico writes them past NIO's encoder.
@Suite struct CompleteResponseTests {
    static func request(_ method: HTTPMethod = .GET, version: HTTPVersion = .http1_1) -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: method, uri: "/v1/users/1")
    }

    static func text(
        _ response: inout CompleteResponse,
        request: HTTPRequestHead = request(),
        keepAlive: Bool = true
    ) -> String {
        var scratch = ByteBuffer()
        return String(buffer: response.bytes(for: request, keepAlive: keepAlive, scratch: &scratch))
    }

    @Test func theHeadGoesIntoTheBodysHeadroom() {
        var body = ByteBufferAllocator().responseBodyBuffer(capacity: 32)
        body.writeString(#"{"id":1}"#)
        var response = CompleteResponse(status: .ok, contentType: "application/json", body: body)
        response.add(name: "Grpc-Metadata-x", value: "1")
        var scratch = ByteBuffer()
        let bytes = response.bytes(for: Self.request(), keepAlive: true, scratch: &scratch)
        #expect(
            String(buffer: bytes)
                == "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 8\r\nGrpc-Metadata-x: 1\r\n\r\n{\"id\":1}"
        )
        #expect(bytes.readerIndex > 0, "written in place, behind the body's headroom")
    }

    @Test func aBodyWithoutHeadroomIsJoinedToItsHead() {
        var response = CompleteResponse(
            status: .notFound,
            contentType: "application/json",
            body: ByteBuffer(string: "{}")
        )
        #expect(
            Self.text(&response, keepAlive: false)
                == "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
        )
    }

    @Test func aHeadRequestGetsTheLengthButNoBody() {
        var response = CompleteResponse(status: .ok, contentType: "text/plain", body: ByteBuffer(string: "hello"))
        #expect(
            Self.text(&response, request: Self.request(.HEAD))
                == "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n"
        )
    }

    @Test func anHTTP10ClientIsToldTheConnectionStays() {
        var response = CompleteResponse(status: .ok, contentType: "text/plain", body: ByteBuffer(string: "x"))
        #expect(
            Self.text(&response, request: Self.request(version: .http1_0))
                == "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\nx"
        )
    }

    @Test func aHeadLargerThanTheHeadroomStillComesFirst() {
        var body = ByteBufferAllocator().responseBodyBuffer(capacity: 4)
        body.writeString("ok")
        var response = CompleteResponse(status: .ok, contentType: "text/plain", body: body)
        let long = String(repeating: "v", count: 300)
        response.add(name: "Grpc-Metadata-long", value: long)
        #expect(Self.text(&response).hasSuffix("Grpc-Metadata-long: \(long)\r\n\r\nok"))
    }
}
