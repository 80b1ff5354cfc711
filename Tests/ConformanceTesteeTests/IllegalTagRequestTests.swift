import Foundation
import SwiftProtobuf
import Testing

@testable import ConformanceTestee

/// The `BadTag_*` and `IllegalZeroFieldNum_*` requests of protobuf's v36 conformance suite, asked
/// the way its runner asks them (binary in, binary and JSON out): each is a parse error.
@Suite("The conformance testee rejects illegal tags")
struct IllegalTagRequestTests {
    let answerer: ConformanceAnswerer

    init() throws {
        answerer = ConformanceAnswerer(pool: try ConformanceTestee.testMessagesPool())
    }

    /// The suite's payloads: the tag bytes, then `optional_int32 = 1234` where it appends one.
    static let payloads: [(name: String, bytes: [UInt8])] = [
        ("BadTag_OverlongVarint", [0x88] + Array(repeating: 0x80, count: 7) + [0x00, 0xD2, 0x09]),
        ("BadTag_VarintMoreThanTenBytes", [0x88] + Array(repeating: 0x80, count: 11) + [0x00, 0xD2, 0x09]),
        ("BadTag_FieldNumberTooHigh", [0x88, 0x80, 0x80, 0x80, 0x80, 0x80, 0x0F, 0xD2, 0x09]),
        ("BadTag_FieldNumberSlightlyTooHigh", [0x88, 0x80, 0x80, 0x80, 0x40, 0xD2, 0x09]),
        ("IllegalZeroFieldNum_Case_0", [0x01] + Array("DEADBEEF".utf8)),
        ("IllegalZeroFieldNum_Case_1", [0x02, 0x01, 0x01]),
        ("IllegalZeroFieldNum_Case_2", [0x03, 0x04]),
        ("IllegalZeroFieldNum_Case_3", [0x05] + Array("DEAD".utf8)),
    ]

    static let messageTypes = [
        "protobuf_test_messages.proto3.TestAllTypesProto3",
        "protobuf_test_messages.proto2.TestAllTypesProto2",
        "protobuf_test_messages.editions.proto3.TestAllTypesProto3",
        "protobuf_test_messages.editions.proto2.TestAllTypesProto2",
        "protobuf_test_messages.editions.TestAllTypesEdition2023",
    ]

    @Test("parse errors for every message type and output format", arguments: payloads)
    func parseErrors(_ name: String, _ bytes: [UInt8]) {
        for type in Self.messageTypes {
            for format in [Conformance_WireFormat.protobuf, .json] {
                let answer = answerer.answer(
                    .with {
                        $0.messageType = type
                        $0.protobufPayload = Data(bytes)
                        $0.requestedOutputFormat = format
                    }
                )
                guard case .parseError = answer.result else {
                    Issue.record("\(name) as \(type) to \(format): \(answer)")
                    continue
                }
            }
        }
    }
}
