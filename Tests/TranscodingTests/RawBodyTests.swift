import Foundation
import NIOCore
import ProtoSchema
import SwiftProtobuf
import Testing
import Transcoding

/// The demo set plus a test file whose message holds raw fields of every kind:
/// `message RawHolder { google.api.HttpBody body = 1; bytes blob = 2; repeated bytes many = 3;
/// string name = 4; optional bytes maybe = 5; }`.
private let rawPool: DescriptorPool = {
    let url = Fixtures.repositoryRoot.appendingPathComponent("Protos/demo.binpb")
    var files = try! Google_Protobuf_FileDescriptorSet(serializedBytes: Array(try! Data(contentsOf: url))).file
    var file = Google_Protobuf_FileDescriptorProto()
    file.name = "portico/test/raw.proto"
    file.package = "portico.test"
    file.syntax = "proto3"
    file.dependency = ["google/api/httpbody.proto"]
    var message = Google_Protobuf_DescriptorProto()
    message.name = "RawHolder"
    func field(
        _ name: String,
        _ number: Int32,
        _ type: Google_Protobuf_FieldDescriptorProto.TypeEnum,
        repeated: Bool = false,
        typeName: String? = nil
    ) -> Google_Protobuf_FieldDescriptorProto {
        var field = Google_Protobuf_FieldDescriptorProto()
        field.name = name
        field.jsonName = name
        field.number = number
        field.type = type
        field.label = repeated ? .repeated : .optional
        if let typeName { field.typeName = typeName }
        return field
    }
    var maybe = field("maybe", 5, .bytes)
    maybe.proto3Optional = true
    maybe.oneofIndex = 0
    message.field = [
        field("body", 1, .message, typeName: ".google.api.HttpBody"),
        field("blob", 2, .bytes),
        field("many", 3, .bytes, repeated: true),
        field("name", 4, .string),
        maybe,
    ]
    var oneof = Google_Protobuf_OneofDescriptorProto()
    oneof.name = "_maybe"
    message.oneofDecl = [oneof]
    file.messageType = [message]
    files.append(file)
    return try! DescriptorPool(files: files)
}()

private let holder = rawPool.messageID(named: "portico.test.RawHolder")!
private let httpBody = rawPool.messageID(named: "google.api.HttpBody")!
private let upFileRequest = rawPool.messageID(named: "demo.upfile.v1.UpFileRequest")!
private let fileResponse = rawPool.messageID(named: "demo.file.v1.FileResponse")!

private let request = RequestTranscoder(pool: rawPool, options: JSONCodecOptions())
private let response = ResponseTranscoder(pool: rawPool, options: JSONCodecOptions())

private func field(_ name: String, of type: MessageID) -> FieldDescriptor { rawPool[type].field(named: name)! }

/// Wire bytes -> JSON text with the descriptor-driven decoder, the oracle for the raw encoders.
private func json(_ message: ByteBuffer, as type: MessageID) throws -> String {
    var out = ByteBuffer()
    try response.write(protobuf: message, as: type, into: &out)
    return String(buffer: out)
}

/// JSON text -> wire bytes with the descriptor-driven encoder, the oracle for the raw decoders.
private func wire(_ json: String, as type: MessageID) throws -> ByteBuffer {
    var out = ByteBuffer()
    try request.encode(json: ByteBuffer(string: json), as: type, into: &out)
    return out
}

@Suite struct RawBodyTests {
    @Test func recognisesHttpBodyAndRawFields() {
        #expect(RawBody.isHttpBody(httpBody, in: rawPool))
        #expect(!RawBody.isHttpBody(upFileRequest, in: rawPool))
        #expect(RawBody.isRawField(field("content", of: upFileRequest), in: rawPool))
        #expect(RawBody.isRawField(field("body", of: holder), in: rawPool))
        #expect(!RawBody.isRawField(field("many", of: holder), in: rawPool))
        #expect(!RawBody.isRawField(field("name", of: holder), in: rawPool))
    }

    @Test func uploadChunksBecomeTheBytesField() throws {
        var message = ByteBuffer()
        try request.encode(
            bindings: [FieldBinding(fieldPath: [field("name", of: upFileRequest)], value: "a.txt")],
            into: &message
        )
        try request.encodeRawBytes(
            ByteBuffer(string: "hello"),
            asField: field("content", of: upFileRequest),
            into: &message
        )
        #expect(
            jsonObject(try json(message, as: upFileRequest)) == jsonObject(#"{"name":"a.txt","content":"aGVsbG8="}"#)
        )
        #expect(Array(message.readableBytesView.suffix(7)) == [0x12, 5] + Array("hello".utf8))
    }

    @Test func largeChunkGetsAMultiByteLength() throws {
        let data = ByteBuffer(bytes: (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        var message = ByteBuffer()
        try request.encodeRawBytes(data, asField: field("content", of: upFileRequest), into: &message)
        #expect(Array(message.readableBytesView.prefix(4)) == [0x12, 0xF0, 0xA2, 0x04])  // 70000 = 0x11170
        let back = try response.rawBody(
            protobuf: message,
            field: field("content", of: upFileRequest),
            of: upFileRequest
        )
        #expect(back.data == data)
        #expect(back.contentType == nil)
    }

    @Test func emptyChunkIsOmittedUnlessTheFieldHasPresence() throws {
        var implicit = ByteBuffer()
        try request.encodeRawBytes(ByteBuffer(), asField: field("content", of: upFileRequest), into: &implicit)
        #expect(implicit.readableBytes == 0)
        var explicit = ByteBuffer()
        try request.encodeRawBytes(ByteBuffer(), asField: field("maybe", of: holder), into: &explicit)
        #expect(Array(explicit.readableBytesView) == [0x2A, 0])
        #expect(try json(explicit, as: holder) == #"{"maybe":""}"#)
    }

    @Test func httpBodyFieldIsNested() throws {
        var message = ByteBuffer()
        try request.encodeRawBytes(
            ByteBuffer(string: "<p>hi</p>"),
            contentType: "text/html",
            asField: field("body", of: holder),
            into: &message
        )
        #expect(
            jsonObject(try json(message, as: holder))
                == jsonObject(#"{"body":{"contentType":"text/html","data":"PHA+aGk8L3A+"}}"#)
        )
    }

    @Test func wholeHttpBodyRequest() throws {
        var message = ByteBuffer()
        request.encodeHttpBody(
            contentType: "application/octet-stream",
            data: ByteBuffer(bytes: [0, 1, 0xFF]),
            into: &message
        )
        #expect(
            jsonObject(try json(message, as: httpBody))
                == jsonObject(#"{"contentType":"application/octet-stream","data":"AAH/"}"#)
        )
        var empty = ByteBuffer()
        request.encodeHttpBody(contentType: nil, data: ByteBuffer(), into: &empty)
        #expect(empty.readableBytes == 0)
    }

    @Test func otherFieldKindsAreRefused() {
        for name in ["many", "name"] {
            let error = transcodingError { () throws(TranscodingError) in
                var out = ByteBuffer()
                try request.encodeRawBytes(ByteBuffer(string: "x"), asField: field(name, of: holder), into: &out)
                return out
            }
            #expect(error?.code == .unsupported)
            let readError = transcodingError { () throws(TranscodingError) in
                try response.rawBody(protobuf: ByteBuffer(), field: field(name, of: holder), of: holder)
            }
            #expect(readError?.code == .unsupported)
        }
        let notHttpBody = transcodingError { () throws(TranscodingError) in
            try response.rawBody(protobuf: ByteBuffer(), field: nil, of: holder)
        }
        #expect(notHttpBody?.code == .unsupported)
    }

    @Test func downloadChunkIsTheBytesField() throws {
        let message = try wire(#"{"name":"f.bin","content":"AAECAwQ="}"#, as: fileResponse)
        let raw = try response.rawBody(protobuf: message, field: field("content", of: fileResponse), of: fileResponse)
        #expect(Array(raw.data.readableBytesView) == [0, 1, 2, 3, 4])
        #expect(raw.contentType == nil)
        // Absent: empty data.
        let absent = try wire(#"{"name":"f.bin"}"#, as: fileResponse)
        #expect(
            try response.rawBody(protobuf: absent, field: field("content", of: fileResponse), of: fileResponse).data
                .readableBytes == 0
        )
    }

    @Test func lastOccurrenceOfABytesFieldWins() throws {
        var message = try wire(#"{"content":"Zmlyc3Q=","name":"x"}"#, as: fileResponse)
        var second = try wire(#"{"content":"c2Vjb25k"}"#, as: fileResponse)
        message.writeBuffer(&second)
        // A varint with the field's number is skipped as unknown, as a parser would.
        message.writeBytes([0x10, 0x01])
        let raw = try response.rawBody(protobuf: message, field: field("content", of: fileResponse), of: fileResponse)
        #expect(String(buffer: raw.data) == "second")
    }

    @Test func httpBodyResponseAndField() throws {
        var message = ByteBuffer(bytes: [0xFF, 0xFF])
        message.moveReaderIndex(forwardBy: 2)  // slices must honour the reader index
        var body = try wire(#"{"contentType":"image/png","data":"iVBORw=="}"#, as: httpBody)
        message.writeBuffer(&body)
        let whole = try response.rawBody(protobuf: message, field: nil, of: httpBody)
        #expect(whole.contentType == "image/png")
        #expect(Array(whole.data.readableBytesView) == [0x89, 0x50, 0x4E, 0x47])

        // Occurrences of a message field merge: the content type of the first stays, the data of
        // the second wins.
        var merged = try wire(#"{"body":{"contentType":"text/plain","data":"b25l"},"name":"n"}"#, as: holder)
        var again = try wire(#"{"body":{"data":"dHdv"}}"#, as: holder)
        merged.writeBuffer(&again)
        let raw = try response.rawBody(protobuf: merged, field: field("body", of: holder), of: holder)
        #expect(raw.contentType == "text/plain")
        #expect(String(buffer: raw.data) == "two")

        let empty = try response.rawBody(protobuf: ByteBuffer(), field: nil, of: httpBody)
        #expect(empty.contentType == nil && empty.data.readableBytes == 0)
    }

    @Test func roundTripThroughTheRawHelpers() throws {
        for size in [0, 1, 127, 128, 16_384, 1 << 20] {
            let data = ByteBuffer(bytes: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ size) })
            var message = ByteBuffer()
            try request.encodeRawBytes(
                data,
                contentType: "application/x-test",
                asField: field("body", of: holder),
                into: &message
            )
            let raw = try response.rawBody(protobuf: message, field: field("body", of: holder), of: holder)
            #expect(raw.data == data, "size \(size)")
            #expect(raw.contentType == "application/x-test")
        }
    }

    @Test func truncatedOrInvalidWireBytesAreErrors() throws {
        let truncated = ByteBuffer(bytes: [0x12, 5, 0x61])
        let error = transcodingError { () throws(TranscodingError) in
            try response.rawBody(protobuf: truncated, field: field("content", of: fileResponse), of: fileResponse)
        }
        #expect(error?.code == .malformedProtobuf)
        let badContentType = ByteBuffer(bytes: [0x0A, 2, 0xC3, 0x28])
        let utf8Error = transcodingError { () throws(TranscodingError) in
            try response.rawBody(protobuf: badContentType, field: nil, of: httpBody)
        }
        #expect(utf8Error?.code == .malformedProtobuf)
    }
}
