import FuzzSupport
import NIOCore
import ProtoSchema

@testable import Transcoding

/// Protobuf → JSON response writing (fuzz target b): arbitrary bytes as a backend's answer.
///
/// Input: a byte choosing the message (`FuzzFixtures.messages`), a byte of options (five bits:
/// `FuzzFixtures.options`; bit 7 writes one top-level field, chosen by the next byte, as HttpRule
/// `response_body` does), then the wire bytes.
///
/// Invariants: whatever is written is one JSON value with no duplicate member (jansson parses it
/// with `JSON_REJECT_DUPLICATES`); a written message encodes back and gives the same JSON again
/// (JSON with a `null` in it: from the second round, see below).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProtobufResponse(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let (pool, type, options, field) = FuzzFixtures.selection(&input)
    let wire = ByteBuffer(bytes: input.rest())
    let writer = ResponseTranscoder(pool: pool, options: options)

    var json = ByteBuffer()
    do {
        if let field {
            try writer.write(protobuf: wire, field: field, of: type, into: &json)
        } else {
            try writer.write(protobuf: wire, as: type, into: &json)
        }
    } catch {
        return 0
    }
    do {
        _ = try JanssonDocument(parsing: json)
    } catch {
        // Valid JSON jansson refuses, which the request side cannot take back either (README,
        // Known limits): U+0000 in an object key (a map<string, _> key may hold one), and a bare
        // integer beyond Int64 (uint64 with int64AsNumbers) in a document where a string starts
        // with the two U+0000 that mark such integers for jansson (BareBigIntegers).
        if error.message.contains("NUL byte in object key") { return 0 }
        if BareBigIntegers.isTooBigInteger(error.message) {
            guard let rewritten = BareBigIntegers.rewrite(json) else { return 0 }
            fuzzCheck((try? JanssonDocument(parsing: rewritten)) != nil, "invalid JSON \(String(buffer: json))")
        } else {
            fuzzCheck(false, "the response writer wrote invalid JSON \(String(buffer: json)): \(error)")
        }
    }
    guard field == nil else { return 0 }

    var again = ByteBuffer()
    do {
        try RequestTranscoder(pool: pool, options: options).encode(json: json, as: type, into: &again)
    } catch {
        fuzzCheck(false, "the response JSON \(String(buffer: json)) does not encode: \(error)")
    }
    var second = ByteBuffer()
    do {
        try writer.write(protobuf: again, as: type, into: &second)
    } catch {
        fuzzCheck(false, "re-encoded bytes do not write: \(error)")
    }
    if json == second { return 0 }
    // google.protobuf.NullValue writes every number as null, which reads back as 0 (C++ writes it
    // so too): JSON holding a null reaches its fixed point one round later.
    fuzzCheck(
        String(buffer: json).contains("null"),
        "JSON is not a fixed point: \(String(buffer: json)) then \(String(buffer: second))"
    )
    var third = ByteBuffer()
    do {
        var bytes = ByteBuffer()
        try RequestTranscoder(pool: pool, options: options).encode(json: second, as: type, into: &bytes)
        try writer.write(protobuf: bytes, as: type, into: &third)
    } catch {
        fuzzCheck(false, "the second JSON \(String(buffer: second)) does not go round: \(error)")
    }
    fuzzCheck(second == third, "JSON is not a fixed point: \(String(buffer: second)) then \(String(buffer: third))")
    return 0
}

/// The executable's entry point (see ``runLibFuzzer(_:_:_:)``).
@_cdecl("FuzzProtobufResponse_main")
public func fuzzProtobufResponseMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt
{
    runLibFuzzer(argc, argv, fuzzProtobufResponse)
}
