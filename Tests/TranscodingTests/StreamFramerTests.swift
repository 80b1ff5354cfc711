import Foundation
import NIOCore
import ProtoSchema
import Testing
import Transcoding

/// Frames `messages` (JSON texts), optionally followed by an error status, into one body.
private func frame(
    _ framing: StreamFraming,
    envelope: Bool = false,
    _ messages: [String],
    error status: String? = nil
) throws -> String {
    var framer = StreamFramer(framing: framing, envelope: envelope)
    var out = ByteBuffer()
    framer.writePrologue(into: &out)
    for message in messages {
        try framer.writeMessage(into: &out) { (body: inout ByteBuffer) throws(TranscodingError) in
            body.writeString(message)
        }
    }
    if let status { framer.writeError(into: &out) { $0.writeString(status) } }
    framer.writeEpilogue(into: &out)
    return String(buffer: out)
}

private let status = #"{"code":13,"message":"boom"}"#

@Suite struct StreamFramerTests {
    @Test func contentTypes() {
        #expect(StreamFramer(framing: .ndjson, envelope: false).contentType == "application/x-ndjson")
        #expect(StreamFramer(framing: .serverSentEvents, envelope: true).contentType == "text/event-stream")
        #expect(StreamFramer(framing: .jsonArray, envelope: false).contentType == "application/json")
    }

    @Test func ndjson() throws {
        #expect(try frame(.ndjson, []) == "")
        #expect(try frame(.ndjson, [#"{"a":1}"#]) == "{\"a\":1}\n")
        #expect(try frame(.ndjson, [#"{"a":1}"#, "{}"]) == "{\"a\":1}\n{}\n")
        #expect(try frame(.ndjson, [#"{"a":1}"#], error: status) == "{\"a\":1}\n{\"error\":\(status)}\n")
        #expect(try frame(.ndjson, envelope: true, ["{}", "2"]) == "{\"result\":{}}\n{\"result\":2}\n")
    }

    @Test func serverSentEvents() throws {
        #expect(try frame(.serverSentEvents, []) == "")
        #expect(try frame(.serverSentEvents, [#"{"a":1}"#]) == "data: {\"a\":1}\n\n")
        #expect(try frame(.serverSentEvents, ["{}", "{}"]) == "data: {}\n\ndata: {}\n\n")
        #expect(
            try frame(.serverSentEvents, ["{}"], error: status) == "data: {}\n\nevent: error\ndata: \(status)\n\n"
        )
        #expect(try frame(.serverSentEvents, envelope: true, ["{}"]) == "data: {\"result\":{}}\n\n")
    }

    @Test func jsonArray() throws {
        #expect(try frame(.jsonArray, []) == "[]")
        #expect(try frame(.jsonArray, [#"{"a":1}"#]) == "[{\"a\":1}]")
        #expect(try frame(.jsonArray, ["{}", "{}"]) == "[{},{}]")
        #expect(try frame(.jsonArray, ["{}"], error: status) == "[{},{\"error\":\(status)}]")
        #expect(try frame(.jsonArray, [], error: status) == "[{\"error\":\(status)}]")
        #expect(try frame(.jsonArray, envelope: true, ["1", "2"]) == "[{\"result\":1},{\"result\":2}]")
    }

    @Test func messagePerFrameWritesBareValues() throws {
        #expect(try frame(.messagePerFrame, [#"{"a":1}"#]) == #"{"a":1}"#)
        #expect(try frame(.messagePerFrame, envelope: true, ["2"]) == #"{"result":2}"#)
        #expect(try frame(.messagePerFrame, []) == "")
    }

    @Test(arguments: [StreamFraming.ndjson, .serverSentEvents, .jsonArray], [false, true])
    func framedBodiesParseBackToTheMessages(_ framing: StreamFraming, envelope: Bool) throws {
        let messages = [#"{"text":"line\nbreak \"q\""}"#, #"{"n":"1"}"#]
        let body = try frame(framing, envelope: envelope, messages, error: status)
        var values: [String]
        switch framing {
        case .ndjson:
            values = body.split(separator: "\n").map(String.init)
        case .serverSentEvents:
            values = body.split(separator: "\n\n").map { event in
                String(event.split(separator: "\n").last!.dropFirst("data: ".count))
            }
        case .jsonArray:
            let array = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [Any] ?? []
            values = array.map { String(decoding: try! JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }
        case .messagePerFrame:
            Issue.record("not an HTTP body framing")
            return
        }
        let expected = messages.map { envelope ? "{\"result\":\($0)}" : $0 } + ["{\"error\":\(status)}"]
        #expect(values.count == 3)
        for (value, want) in zip(values.prefix(2), expected) { #expect(jsonObject(value) == jsonObject(want)) }
        // SSE carries the bare status in an `event: error` event.
        #expect(jsonObject(values[2]) == jsonObject(framing == .serverSentEvents ? status : expected[2]))
        #expect(jsonObject(values[2]) != nil)
    }

    @Test func failedMessageLeavesNoPartialOutput() throws {
        for framing in [StreamFraming.ndjson, .serverSentEvents, .jsonArray] {
            var framer = StreamFramer(framing: framing, envelope: true)
            var out = ByteBuffer()
            framer.writePrologue(into: &out)
            try framer.writeMessage(into: &out) { (body: inout ByteBuffer) throws(TranscodingError) in
                body.writeString("1")
            }
            let before = String(buffer: out)
            let error = transcodingError { () throws(TranscodingError) in
                try framer.writeMessage(into: &out) { (body: inout ByteBuffer) throws(TranscodingError) in
                    body.writeString("{\"partial\":")
                    throw TranscodingError(code: .malformedProtobuf, message: "bad")
                }
            }
            #expect(error?.code == .malformedProtobuf)
            #expect(String(buffer: out) == before)
            #expect(framer.elementCount == 1)
        }
    }

    @Test func transcoderWritesInsideTheFrame() throws {
        let pool = Fixtures.demoPool
        let type = pool.messageID(named: "demo.file.v1.FileResponse")!
        var message = ByteBuffer()
        try RequestTranscoder(pool: pool, options: JSONCodecOptions()).encode(
            json: ByteBuffer(string: #"{"name":"f","content":"aGk="}"#),
            as: type,
            into: &message
        )
        let transcoder = ResponseTranscoder(pool: pool, options: JSONCodecOptions())
        var framer = StreamFramer(framing: .ndjson, envelope: true)
        var out = ByteBuffer()
        for _ in 0..<2 {
            try framer.writeMessage(into: &out) { (body: inout ByteBuffer) throws(TranscodingError) in
                try transcoder.write(protobuf: message, as: type, into: &body)
            }
        }
        let line = #"{"result":{"name":"f","content":"aGk="}}"#
        #expect(String(buffer: out) == line + "\n" + line + "\n")
    }
}

@Suite struct StreamFramingNegotiationTests {
    @Test(
        arguments: [
            (nil, StreamFraming.ndjson),
            ("", .ndjson),
            ("*/*", .ndjson),
            ("application/*", .ndjson),
            ("text/html", .ndjson),
            ("application/x-ndjson", .ndjson),
            ("text/event-stream", .serverSentEvents),
            ("Text/Event-Stream", .serverSentEvents),
            ("application/json", .jsonArray),
            ("application/json; charset=utf-8", .jsonArray),
            ("application/json, text/event-stream", .jsonArray),  // tie: first listed
            ("text/event-stream, application/json", .serverSentEvents),
            ("application/json;q=0.5, text/event-stream;q=0.9", .serverSentEvents),
            ("application/json;q=0.9 , application/x-ndjson;q=0.5", .jsonArray),
            ("application/x-ndjson;q=0.1, application/json;q=0.2", .jsonArray),
            ("text/event-stream;q=0", .ndjson),
            ("application/json;q=0, */*", .ndjson),
            ("application/json; q=1.0, text/event-stream; q=0.999", .jsonArray),
            ("application/json;q=bogus, text/event-stream;q=0.1", .serverSentEvents),
            ("application/json;q=2", .ndjson),
            ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", .ndjson),
            ("  text/event-stream  ;  q=0.5  ", .serverSentEvents),
        ] as [(String?, StreamFraming)]
    )
    func acceptHeader(_ accept: String?, _ expected: StreamFraming) {
        #expect(StreamFraming.negotiate(accept: accept) == expected)
    }
}
