import Foundation
import SwiftProtobuf
import Testing

@testable import ConformanceTestee

/// Newer conformance runners also send requests for the Editions test messages; the testee must
/// answer them (not skip them), the twins exactly as their proto3 and proto2 originals.
@Suite("The conformance testee answers Editions requests")
struct EditionsRequestTests {
    let answerer: ConformanceAnswerer

    init() throws {
        answerer = ConformanceAnswerer(pool: try ConformanceTestee.testMessagesPool())
    }

    static let twins: [(editions: String, original: String)] = [
        (
            "protobuf_test_messages.editions.proto3.TestAllTypesProto3",
            "protobuf_test_messages.proto3.TestAllTypesProto3"
        ),
        (
            "protobuf_test_messages.editions.proto2.TestAllTypesProto2",
            "protobuf_test_messages.proto2.TestAllTypesProto2"
        ),
    ]

    /// Payloads every twin shares: JSON in (valid, invalid, with an unknown member) and wire bytes
    /// in (optional_int32 = 0, a string, repeated int32 both packed and not, a nested message,
    /// a group; a truncated varint).
    static let requests: [Conformance_ConformanceRequest] = {
        var requests: [Conformance_ConformanceRequest] = []
        let json = [
            #"{"optionalInt32": 0, "optionalString": "é", "repeatedInt32": [1, -2], "optionalNestedEnum": "BAZ"}"#,
            #"{"optionalNestedMessage": {"a": 5}, "oneofUint32": 7, "mapStringString": {"k": "v"}}"#,
            #"{"optionalInt32": "abc"}"#, #"{"optionalNestedEnum": 7}"#, #"{"noSuchField": 1}"#,
        ]
        let wire: [[UInt8]] = [
            [0x08, 0x00, 0x72, 0x02, 0xC3, 0xA9],
            [0xF8, 0x01, 0x01, 0xF8, 0x01, 0x02, 0xFA, 0x01, 0x02, 0x03, 0x04],
            [0x92, 0x01, 0x02, 0x08, 0x05, 0xA8, 0x01, 0x07],
            [0xCB, 0x0C, 0xD0, 0x0C, 0x05, 0xCC, 0x0C],
            [0x08, 0x80],
        ]
        for format in [Conformance_WireFormat.json, .protobuf] {
            for text in json {
                for category in [Conformance_TestCategory.jsonTest, .jsonIgnoreUnknownParsingTest] {
                    requests.append(
                        .with {
                            $0.jsonPayload = text
                            $0.requestedOutputFormat = format
                            $0.testCategory = category
                        }
                    )
                }
            }
            for bytes in wire {
                requests.append(
                    .with {
                        $0.protobufPayload = Data(bytes)
                        $0.requestedOutputFormat = format
                        $0.testCategory = .binaryTest
                    }
                )
            }
        }
        return requests
    }()

    @Test("each twin's answers are its original's", arguments: [0, 1])
    func twinsAnswerAsOriginals(_ twin: Int) throws {
        let (editions, original) = Self.twins[twin]
        for var request in Self.requests {
            request.messageType = original
            let expected = answerer.answer(request)
            request.messageType = editions
            let answer = answerer.answer(request)
            if case .skipped(let reason) = answer.result {
                Issue.record("skipped: \(reason)")
            }
            // Error messages name the message type, so they name the twin's package.
            var renamed = answer
            switch answer.result {
            case .parseError(let text):
                renamed.parseError = text.replacingOccurrences(of: "editions.", with: "")
            case .serializeError(let text):
                renamed.serializeError = text.replacingOccurrences(of: "editions.", with: "")
            default: break
            }
            #expect(renamed == expected, "\(request)")
        }
    }

    @Test("TestAllTypesEdition2023: answered, groups for its DELIMITED fields, explicit presence")
    func edition2023() throws {
        let type = "protobuf_test_messages.editions.TestAllTypesEdition2023"
        // optional_int32 = 0 (kept: explicit presence), then groupliketype (201) as a group.
        let bytes: [UInt8] = [0x08, 0x00, 0xCB, 0x0C, 0xD0, 0x0C, 0x05, 0xCC, 0x0C]
        let fromJSON = answerer.answer(
            .with {
                $0.messageType = type
                $0.jsonPayload = #"{"optionalInt32": 0, "groupliketype": {"groupInt32": 5}}"#
                $0.requestedOutputFormat = .protobuf
            }
        )
        #expect(fromJSON.result == .protobufPayload(Data(bytes)))
        let toJSON = answerer.answer(
            .with {
                $0.messageType = type
                $0.protobufPayload = Data(bytes)
                $0.requestedOutputFormat = .json
            }
        )
        #expect(toJSON.result == .jsonPayload(#"{"optionalInt32":0,"groupliketype":{"groupInt32":5}}"#))
        let binary = answerer.answer(
            .with {
                $0.messageType = type
                $0.protobufPayload = Data(bytes)
                $0.requestedOutputFormat = .protobuf
            }
        )
        #expect(binary.result == .protobufPayload(Data(bytes)))
    }

    @Test("utf8_validation: NONE (proto2 twin) passes invalid UTF-8 through binary; VERIFY (proto3 twin) rejects it")
    func utf8() throws {
        // optional_string (14) = 0xC3 0x28, not UTF-8.
        let bytes = Data([0x72, 0x02, 0xC3, 0x28])
        func answer(_ type: String, _ format: Conformance_WireFormat) -> Conformance_ConformanceResponse.OneOf_Result? {
            answerer.answer(
                .with {
                    $0.messageType = type
                    $0.protobufPayload = bytes
                    $0.requestedOutputFormat = format
                }
            ).result
        }
        #expect(answer(Self.twins[1].editions, .protobuf) == .protobufPayload(bytes))
        guard case .serializeError = answer(Self.twins[1].editions, .json) else {
            Issue.record("JSON of a non-UTF-8 proto2 string is not a serialize error")
            return
        }
        guard case .parseError = answer(Self.twins[0].editions, .protobuf) else {
            Issue.record("invalid UTF-8 in a proto3 string is not a parse error")
            return
        }
    }

    @Test("a message type the descriptor sets lack is still skipped")
    func unknownTypeSkipped() {
        let answer = answerer.answer(
            .with {
                $0.messageType = "protobuf_test_messages.editions.NoSuchMessage"
                $0.jsonPayload = "{}"
                $0.requestedOutputFormat = .json
            }
        )
        guard case .skipped = answer.result else {
            Issue.record("answered \(answer)")
            return
        }
    }
}
