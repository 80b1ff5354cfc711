import ProtoSchema
import Testing
import Transcoding

/// Tags and varints as protobuf's parsers read them (upb's `upb_WireReader_ReadTag`, C++'s
/// `ReadTag`): a tag is a 32-bit varint of at most five bytes with a field number from 1 to
/// 2^29 - 1; any other varint is at most ten bytes. The rejected inputs are protobuf's
/// conformance cases (`IllegalZeroFieldNum_*`, `BadTag_*`) and their neighbours; every one goes
/// through the decoder that reads backend responses.
@Suite("Wire tags and varints are read as strictly as protobuf reads them")
struct WireTagStrictnessTests {
    static let messages = [Fixtures.proto3, Fixtures.proto2]

    /// `optional_int32 = 1234` after the given tag bytes: the value conformance's `BadTag_*` cases
    /// append.
    static func with1234(_ tag: [UInt8]) -> [UInt8] { tag + [0xD2, 0x09] }

    static let rejected: [(name: String, bytes: [UInt8])] = [
        ("BadTag_OverlongVarint", with1234([0x88] + Array(repeating: 0x80, count: 7) + [0x00])),
        ("BadTag_VarintMoreThanTenBytes", with1234([0x88] + Array(repeating: 0x80, count: 11) + [0x00])),
        ("BadTag_FieldNumberTooHigh", with1234([0x88, 0x80, 0x80, 0x80, 0x80, 0x80, 0x0F])),
        ("BadTag_FieldNumberSlightlyTooHigh", with1234([0x88, 0x80, 0x80, 0x80, 0x40])),
        ("a six-byte tag of field 1", with1234([0x88, 0x80, 0x80, 0x80, 0x80, 0x00])),
        ("field number 2^29 (tag 2^32)", [0x80, 0x80, 0x80, 0x80, 0x10, 0x00]),
        ("field number 2^29 + 5 as a 6-byte tag", [0xA8, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00]),
        ("IllegalZeroFieldNum_Case_0", [0x01] + Array("DEADBEEF".utf8)),
        ("IllegalZeroFieldNum_Case_1", [0x02, 0x01, 0x01]),
        ("IllegalZeroFieldNum_Case_2", [0x03, 0x04]),
        ("IllegalZeroFieldNum_Case_3", [0x05] + Array("DEAD".utf8)),
        ("tag value 0", [0x00, 0x01]),
        ("tag value 0 as a 5-byte varint", [0x80, 0x80, 0x80, 0x80, 0x00, 0x01]),
        ("wire type 6", [0x0E, 0x01]),
        ("wire type 7", [0x0F, 0x01]),
        ("a truncated tag", [0x88]),
        ("a 10-byte varint value with bits past 64", [0x08] + Array(repeating: 0xFF, count: 9) + [0x7F]),
        ("a 10-byte varint value whose last byte is 0x02", [0x08] + Array(repeating: 0x80, count: 9) + [0x02]),
        ("an 11-byte varint value", [0x08] + Array(repeating: 0x80, count: 10) + [0x00]),
    ]

    @Test("rejected as malformed protobuf", arguments: rejected)
    func rejects(_ name: String, _ bytes: [UInt8]) {
        for type in Self.messages {
            let error = transcodingError { () throws(TranscodingError) in
                _ = try Codec(pool: Fixtures.conformancePool).decode(bytes, as: type)
            }
            #expect(error?.code == .malformedProtobuf, "\(name) as \(Fixtures.conformancePool[type].fullName)")
        }
    }

    /// Inputs read as values: the JSON written for proto3, then for proto2 (which keeps an
    /// explicit zero).
    static let accepted: [(name: String, bytes: [UInt8], proto3: String, proto2: String)] = [
        ("a canonical tag", with1234([0x08]), #"{"optionalInt32":1234}"#, #"{"optionalInt32":1234}"#),
        (
            "a five-byte tag of field 1", with1234([0x88, 0x80, 0x80, 0x80, 0x00]), #"{"optionalInt32":1234}"#,
            #"{"optionalInt32":1234}"#
        ),
        // The largest field number: an unknown field, skipped.
        ("field number 2^29 - 1", [0xF8, 0xFF, 0xFF, 0xFF, 0x0F, 0x01], "{}", "{}"),
        (
            "a 10-byte varint value of 2^64 - 1", [0x08] + Array(repeating: 0xFF, count: 9) + [0x01],
            #"{"optionalInt32":-1}"#, #"{"optionalInt32":-1}"#
        ),
        (
            "a 10-byte overlong zero", [0x08] + Array(repeating: 0x80, count: 9) + [0x00], "{}",
            #"{"optionalInt32":0}"#
        ),
    ]

    @Test("accepted, with the value protobuf reads", arguments: accepted)
    func accepts(_ name: String, _ bytes: [UInt8], _ proto3: String, _ proto2: String) throws {
        let codec = Codec(pool: Fixtures.conformancePool)
        #expect(try codec.decode(bytes, as: Fixtures.proto3) == proto3, "\(name)")
        #expect(try codec.decode(bytes, as: Fixtures.proto2) == proto2, "\(name)")
    }
}
