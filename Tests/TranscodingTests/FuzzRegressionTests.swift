import Foundation
import NIOCore
import ProtoSchema
import Testing

@testable import Transcoding

/// The inputs libFuzzer found (`Fuzz/Regressions/<target>/`), fed through the path their target
/// checks.
@Suite("Fuzzer findings in Transcoding stay fixed")
struct FuzzRegressionTests {
    static let messages = [
        Fixtures.proto3, Fixtures.proto2, Fixtures.editionsProto3, Fixtures.editionsProto2, Fixtures.edition2023,
    ]

    /// The regression inputs of one target, by file name.
    static func inputs(_ target: String) -> [String] {
        let folder = Fixtures.repositoryRoot.appendingPathComponent("Fuzz/Regressions/\(target)")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().map { "\(target)/\($0)" }
    }

    static func bytes(_ input: String) throws -> [UInt8] {
        Array(try Data(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("Fuzz/Regressions/\(input)")))
    }

    /// The JSON options of a fuzz input's options byte: each of its five low bits turns one on
    /// (as `FuzzFixtures.options` reads it).
    static func options(_ bits: UInt8) -> JSONCodecOptions {
        JSONCodecOptions(
            emitUnpopulated: bits & 1 != 0,
            useProtoNames: bits & 2 != 0,
            enumsAsInts: bits & 4 != 0,
            ignoreUnknownFields: bits & 8 != 0,
            int64AsNumbers: bits & 16 != 0
        )
    }

    /// `FuzzProtobufResponse`: a conformance message (the input's first byte, 0 through 4), the
    /// JSON options of its second byte, then a backend's wire bytes. JSON written must encode back
    /// and write the same JSON again.
    @Test("protobuf → JSON inputs write JSON that is a fixed point", arguments: inputs("FuzzProtobufResponse"))
    func replayResponse(_ input: String) throws {
        let bytes = try Self.bytes(input)
        try #require(bytes.count >= 2 && Int(bytes[0]) < Self.messages.count)
        let type = Self.messages[Int(bytes[0])]
        let options = Self.options(bytes[1])
        let writer = ResponseTranscoder(pool: Fixtures.conformancePool, options: options)
        var first = ByteBuffer()
        // Refusing the bytes is an answer too (a FieldMask path JSON cannot carry is refused).
        guard (try? writer.write(protobuf: ByteBuffer(bytes: bytes.dropFirst(2)), as: type, into: &first)) != nil
        else { return }
        var again = ByteBuffer()
        try RequestTranscoder(pool: Fixtures.conformancePool, options: options).encode(
            json: first,
            as: type,
            into: &again
        )
        var second = ByteBuffer()
        try writer.write(protobuf: again, as: type, into: &second)
        #expect(String(buffer: first) == String(buffer: second))
    }

    /// `FuzzJSONRequest`: a conformance message (the input's first byte, 0 through 4), the JSON
    /// options of its second byte, then the document. The public encoder must answer what the tree
    /// path answers, and the message's JSON must be a fixed point.
    @Test("JSON → protobuf inputs keep their invariants", arguments: inputs("FuzzJSONRequest"))
    func replayRequest(_ input: String) throws {
        let bytes = try Self.bytes(input)
        try #require(bytes.count >= 2 && Int(bytes[0]) < Self.messages.count)
        let type = Self.messages[Int(bytes[0])]
        let options = Self.options(bytes[1])
        let json = ByteBuffer(bytes: bytes.dropFirst(2))
        let transcoder = RequestTranscoder(pool: Fixtures.conformancePool, options: options)
        var answered = ByteBuffer()
        try transcoder.encode(json: json, as: type, into: &answered)
        var tree = ByteBuffer()
        try transcoder.encodeFromTree(json: json, as: type, into: &tree)
        #expect(answered == tree)

        let writer = ResponseTranscoder(pool: Fixtures.conformancePool, options: options)
        var first = ByteBuffer()
        try writer.write(protobuf: answered, as: type, into: &first)
        var again = ByteBuffer()
        try transcoder.encode(json: first, as: type, into: &again)
        var second = ByteBuffer()
        try writer.write(protobuf: again, as: type, into: &second)
        #expect(String(buffer: first) == String(buffer: second))
    }

    /// `FuzzJSONSequence`: two bytes of value size limit (little-endian, plus one), then the body.
    /// The body whole, cut at every point, and byte by byte must split alike.
    @Test("JSON sequence inputs split alike wherever they are cut", arguments: inputs("FuzzJSONSequence"))
    func replaySequence(_ input: String) throws {
        let bytes = try Self.bytes(input)
        try #require(bytes.count >= 2)
        let limit = (Int(bytes[0]) | Int(bytes[1]) << 8) + 1
        let body = bytes[2...]
        func split(_ chunks: [ArraySlice<UInt8>]) -> String {
            var splitter = JSONSequenceSplitter(maxValueBytes: limit)
            var values: [String] = []
            do {
                for chunk in chunks {
                    values += try splitter.append(ByteBuffer(bytes: chunk)).map { String(buffer: $0) }
                }
                values += try splitter.finish().map { String(buffer: $0) }
                return "\(values)"
            } catch {
                return "\(error.code): \(error.message)"
            }
        }
        let whole = split([body])
        for cut in body.indices.dropFirst() {
            #expect(split([body[..<cut], body[cut...]]) == whole, "cut at \(cut)")
        }
        #expect(split(body.indices.map { body[$0...$0] }) == whole)
    }

    /// A value that passed the limit before an unbalanced bracket is too large, as a cut body
    /// reports it, not malformed; within the limit, the bracket is malformed.
    @Test("the size limit comes before a later structural error")
    func limitBeforeUnbalanced() {
        #expect(Self.firstChunkError(#"{"abcdef"]"#, limit: 5) == .tooLarge)
        #expect(Self.firstChunkError("{]", limit: 5) == .malformedJSON)
    }

    /// The code of the error a fresh splitter throws for `text` as its first chunk.
    static func firstChunkError(_ text: String, limit: Int) -> TranscodingError.Code? {
        var splitter = JSONSequenceSplitter(maxValueBytes: limit)
        do {
            _ = try splitter.append(ByteBuffer(string: text))
            return nil
        } catch {
            return error.code
        }
    }

    /// `-0` for a floating field is -0.0 (its bits are written in proto3), on both paths and in
    /// `google.protobuf.Value`, as protobuf's parsers read it; integer fields read it as 0.
    @Test("the literal -0 keeps its sign")
    func negativeZero() throws {
        let codec = Codec(pool: Fixtures.conformancePool)
        for json in [
            #"{"optionalDouble": -0, "optionalFloat": -0, "optionalInt32": -0}"#,
            // An escaped key sends the document down the tree path.
            #"{"optionalDoubl\u0065": -0, "optionalFloat": -0, "optionalInt32": -0}"#,
        ] {
            #expect(try codec.roundTrip(json, as: Fixtures.proto3) == #"{"optionalFloat":-0,"optionalDouble":-0}"#)
        }
        #expect(try codec.roundTrip(#"{"optionalValue": -0}"#, as: Fixtures.proto3) == #"{"optionalValue":-0}"#)
        let bytes = try codec.encode(#"{"optionalDouble": -0}"#, as: Fixtures.proto3)
        #expect(bytes == [0x61] + (-0.0 as Double).bitPattern.littleEndianBytes)
    }
}

extension UInt64 {
    /// The eight bytes, least significant first.
    fileprivate var littleEndianBytes: [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: self >> (8 * $0)) } }
}
