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
/// with `JSON_REJECT_DUPLICATES`); a written message that the request encoder takes back (unknown
/// fields rejected) gives the same JSON again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProtobufResponse(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let (pool, type) = FuzzFixtures.messages[input.choice(FuzzFixtures.messages.count)]
    let bits = input.byte()
    let options = FuzzFixtures.options(bits)
    let fields = pool[type].fields
    let field = bits & 0x80 != 0 && !fields.isEmpty ? fields[input.choice(fields.count)] : nil
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
        fuzzCheck(false, "the response writer wrote invalid JSON \(String(buffer: json)): \(error)")
    }
    // With ignoreUnknownFields the request side drops what it cannot take back (a closed enum's
    // unknown number, which the writer writes as a number: Fuzz/RESULTS.md, finding 2).
    guard field == nil, !options.ignoreUnknownFields else { return 0 }

    var again = ByteBuffer()
    do {
        try RequestTranscoder(pool: pool, options: options).encode(json: json, as: type, into: &again)
    } catch {
        // Values the request side refuses by design (for example a proto2 closed enum's unknown
        // number, written as a number) end the check here.
        return 0
    }
    var second = ByteBuffer()
    do {
        try writer.write(protobuf: again, as: type, into: &second)
    } catch {
        fuzzCheck(false, "re-encoded bytes do not write: \(error)")
    }
    fuzzCheck(json == second, "JSON is not a fixed point: \(String(buffer: json)) then \(String(buffer: second))")
    return 0
}

/// The executable's entry point (see ``runLibFuzzer(_:_:_:)``).
@_cdecl("FuzzProtobufResponse_main")
public func fuzzProtobufResponseMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt
{
    runLibFuzzer(argc, argv, fuzzProtobufResponse)
}
