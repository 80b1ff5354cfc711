import Foundation
import NIOCore
import ProtoSchema
import SwiftProtobuf
import Testing

@testable import Transcoding

/// The streaming JSON encoder against the tree path (jansson, then the descriptor walk) it
/// stands in for: whatever the streaming path finishes must be what the tree path writes, and
/// whatever it declines is answered by the tree path.
@Suite("Streaming JSON→binary agrees with the jansson tree path")
struct StreamingPathTests {
    /// What one path made of a document: bytes, or the error's code, path and message.
    enum Outcome: Equatable, CustomStringConvertible {
        case bytes([UInt8])
        case error(String, String, String)

        var description: String {
            switch self {
            case .bytes(let bytes): "bytes \(bytes)"
            case .error(let code, let path, let message): "\(code) at \(path): \(message)"
            }
        }
    }

    static func outcome(_ body: (inout ByteBuffer) throws(TranscodingError) -> Void) -> Outcome {
        var out = ByteBuffer()
        do {
            try body(&out)
            return .bytes(Array(out.readableBytesView))
        } catch {
            return .error("\(error.code)", error.fieldPath, error.message)
        }
    }

    /// The streaming path's bytes, or nil when it declined (then `out` must be untouched).
    static func streamed(_ json: [UInt8], _ type: MessageID, _ transcoder: RequestTranscoder) -> [UInt8]? {
        var out = ByteBuffer(bytes: [0xAA])
        guard StreamingJSONEncoder.encode(ByteBuffer(bytes: json), as: type, transcoder: transcoder, into: &out) else {
            #expect(Array(out.readableBytesView) == [0xAA], "a declined document left output behind")
            return nil
        }
        return Array(out.readableBytesView.dropFirst())
    }

    /// Checks the contract on one document and returns whether the streaming path took it.
    @discardableResult
    static func check(_ json: [UInt8], as type: MessageID, _ transcoder: RequestTranscoder) -> Bool {
        let tree = outcome { (out) throws(TranscodingError) in
            try transcoder.encodeFromTree(json: ByteBuffer(bytes: json), as: type, into: &out)
        }
        let answered = outcome { (out) throws(TranscodingError) in
            try transcoder.encode(json: ByteBuffer(bytes: json), as: type, into: &out)
        }
        let text = String(decoding: json.prefix(200), as: UTF8.self)
        #expect(answered == tree, "\(text)")
        guard let streamed = streamed(json, type, transcoder) else { return false }
        #expect(tree == .bytes(streamed), "the streaming path accepted what the tree path answers differently: \(text)")
        return true
    }

    static let demo = RequestTranscoder(pool: Fixtures.demoPool, options: JSONCodecOptions())
    static let demoIgnoring = RequestTranscoder(
        pool: Fixtures.demoPool,
        options: JSONCodecOptions(ignoreUnknownFields: true)
    )
    static let conformance = RequestTranscoder(pool: Fixtures.conformancePool, options: JSONCodecOptions())

    @Test(
        "valid documents take the streaming path and write the tree path's bytes",
        arguments: [
            #"{}"#, #" { "fInt32" : -12 , "fString" : "a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00\u0000" } "#,
            #"{"fDouble": -0, "fFloat": -0.0, "fInt64": "-9223372036854775808", "fUint64": 18446744073709551}"#,
            #"{"fDouble": 1e-400, "fFloat": 3.4028234663852886e38, "fSint64": -9223372036854775808}"#,
            #"{"fDouble": 0.30000000000000004, "doubles": [1e22, 1e23, 9007199254740993, 2.2250738585072014e-308, 5e-324]}"#,
            #"{"fInt32": 1e2, "fUint32": 4.0E+0, "fFixed64": "18446744073709551615", "fBool": false, "fBytes": "-_8"}"#,
            #"{"color": "BLUE", "colors": ["RED", 2, "COLOR_UNSPECIFIED"], "numbers": [], "tags": ["x", ""]}"#,
            #"{"nested": {"label": "é€😀", "child": {"value": 1, "child": {}}}, "items": [{}, {"value": -1}]}"#,
            #"{"counts": {"a": 1, "b": -1}, "byId": {"-5": {"label": "x"}}, "flags": {"true": "t", "false": ""}}"#,
            #"{"choiceText": "x", "maybe": 0, "customName": "r", "fString": null}"#,
            #"{"f_int32": 1, "f_string": "proto names", "choice_number": null, "choiceNested": {"value": 2}}"#,
            #"{"at": "2024-02-29T23:59:59.123456789+01:30", "ttl": "-1.5s", "mask": "a,fooBar.baz", "big": "0"}"#,
            #"{"big": 7, "meta": {"a": null, "b": [1, "x", true, {"c": {}}], "d": 1.5}, "anything": [null, [], {}]}"#,
            #"{"anything": null, "nested": null, "items": [], "counts": {}}"#,
            "{\"fString\": \"\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}\u{10FFFF}\"}",
        ]
    )
    func validDocuments(_ json: String) {
        #expect(Self.check(Array(json.utf8), as: Fixtures.everything, Self.demo), "declined: \(json)")
    }

    @Test(
        "documents left to the tree path still get its answer",
        arguments: [
            // Valid, but not streamed: Any, an escaped key, a bare integer beyond Int64.
            #"{"payload": {"@type": "type.googleapis.com/demo.echo.v1.Everything.Nested", "value": 3}}"#,
            #"{"f\u0049nt32": 1}"#, #"{"fUint64": 18446744073709551615}"#, #"{"fDouble": -99999999999999999999}"#,
            // Refused by jansson.
            "", " ", "{", "{}}", "{} x", #"{"fInt32": 1,}"#, #"{"fInt32" 1}"#, #"{,}"#, #"{"fInt32": 01}"#,
            #"{"fInt32": -}"#, #"{"fInt32": 1.}"#, #"{"fInt32": 1e}"#, #"{"fInt32": +1}"#, #"{"fDouble": 1e400}"#,
            #"{"fDouble": -1e400}"#, #"{"fBool": tru}"#, #"{"fBool": truex}"#, #"{"fString": "\x"}"#,
            #"{"fString": "\u12"}"#, #"{"fString": "\ud800"}"#, #"{"fString": "\udc00"}"#,
            #"{"fString": "\ud800\u0041"}"#, "{\"fString\": \"\t\"}", "{\"fInt32\":\u{0C}1}", "\u{FEFF}{}",
            #"{"fInt32": 1, "fInt32": 2}"#, #"{"counts": {"a": 1, "a": 2}}"#, #"{"meta": {"a": 1, "a": 2}}"#,
            #"{"fInt32": NaN}"#, #"{"fInt32": 'a'}"#, #"{"\u0000": 1}"#,
            // Refused by the transcoding rules.
            "null", "[]", "1", #"{"unknown": 1}"#, #"{"fInt32": 1.5}"#, #"{"fInt32": "1e400"}"#,
            #"{"fInt32": 2147483648}"#,
            #"{"fString": 1}"#, #"{"fBytes": "a"}"#, #"{"color": "PURPLE"}"#,
            #"{"choiceText": "a", "choiceNumber": 1}"#,
            #"{"fInt32": 1, "f_int32": 2}"#, #"{"numbers": [null]}"#, #"{"numbers": 1}"#, #"{"counts": {"a": null}}"#,
            #"{"byId": {"x": {}}}"#, #"{"flags": {"yes": "t"}}"#, #"{"at": "2024-02-30T00:00:00Z"}"#, #"{"ttl": 1}"#,
            #"{"big": {}}"#, #"{"meta": []}"#, #"{"items": [null]}"#, #"{"nested": {"child": {"label": []}}}"#,
            #"{"nested": {"value": 1, "nested": 2}}"#,
        ]
    )
    func declinedDocuments(_ json: String) {
        #expect(!Self.check(Array(json.utf8), as: Fixtures.everything, Self.demo), "streamed: \(json)")
    }

    @Test(
        "invalid UTF-8 is declined wherever it is: values, keys, skipped members",
        arguments: [
            [0xC3, 0x28], [0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
            [0xF5, 0x80, 0x80, 0x80],
            [0xFF], [0x80], [0xE2, 0x82], [0xF0, 0x9F, 0x98],
        ] as [[UInt8]]
    )
    func invalidUTF8(_ bad: [UInt8]) {
        for (prefix, suffix) in [(#"{"fString": ""#, #""}"#), (#"{""#, #"": 1}"#), (#"{"unknown": ["#, #""]}"#)] {
            let json = Array(prefix.utf8) + bad + Array(suffix.utf8)
            #expect(!Self.check(json, as: Fixtures.everything, Self.demoIgnoring))
        }
    }

    @Test("ignored unknown members are skipped, checked as jansson would")
    func ignoredUnknownMembers() {
        let skipped = #"{"u1": {"a": [1, {"b": null}], "c": "\u00e9"}, "fInt32": 3, "u2": [true, false, -1.5e3]}"#
        #expect(Self.check(Array(skipped.utf8), as: Fixtures.everything, Self.demoIgnoring))
        for refused in [
            #"{"u1": 1, "u1": 2}"#, #"{"u1": {"a": 1, "a": 2}}"#, #"{"u1": [1e400]}"#, #"{"u1": [1,]}"#,
            #"{"u1": 1, "fInt32": 1, "u1": 2}"#,
        ] {
            #expect(!Self.check(Array(refused.utf8), as: Fixtures.everything, Self.demoIgnoring), "\(refused)")
        }
        let deep = String(repeating: #"{"u": "#, count: 150) + "1" + String(repeating: "}", count: 150)
        #expect(!Self.check(Array(deep.utf8), as: Fixtures.everything, Self.demoIgnoring))
    }

    @Test("names match as Strings do, by canonical equivalence, on both paths (Kelvin sign, decomposed é)")
    func canonicallyEquivalentNames() throws {
        var file = Google_Protobuf_FileDescriptorProto()
        file.name = "names.proto"
        file.package = "names"
        file.syntax = "proto3"
        var kind = Google_Protobuf_EnumDescriptorProto()
        kind.name = "Kind"
        kind.value = [
            .with {
                $0.name = "KELVIN"
                $0.number = 0
            },
            .with {
                $0.name = "ÉTÉ"
                $0.number = 1
            },
        ]
        var message = Google_Protobuf_DescriptorProto()
        message.name = "M"
        message.field = [
            .with {
                $0.name = "key"
                $0.jsonName = "Ké"
                $0.number = 1
                $0.type = .int32
                $0.label = .optional
            },
            .with {
                $0.name = "kind"
                $0.jsonName = "kind"
                $0.number = 2
                $0.type = .enum
                $0.typeName = ".names.Kind"
                $0.label = .optional
            },
        ]
        file.messageType = [message]
        file.enumType = [kind]
        let pool = try DescriptorPool(files: [file])
        let type = try #require(pool.messageID(named: "names.M"))
        for options in [JSONCodecOptions(), JSONCodecOptions(ignoreUnknownFields: true)] {
            let transcoder = RequestTranscoder(pool: pool, options: options)
            // "K\u0301"-style spellings: U+212A KELVIN SIGN for K, e + U+0301 for é.
            for json in [
                "{\"\u{212A}e\u{0301}\": 5}", "{\"kind\": \"\u{212A}ELVIN\"}", "{\"kind\": \"E\u{0301}TE\u{0301}\"}",
            ] {
                let tree = Self.outcome { (out) throws(TranscodingError) in
                    try transcoder.encodeFromTree(json: ByteBuffer(string: json), as: type, into: &out)
                }
                guard case .bytes(let bytes) = tree, !bytes.isEmpty else {
                    Issue.record("the tree path matched no name in \(json): \(tree)")
                    continue
                }
                Self.check(Array(json.utf8), as: type, transcoder)
            }
        }
    }

    @Test("large maps and Structs find duplicate keys past the linear search")
    func largeObjects() {
        let keys = (0..<200).map { "\"k\($0)\": \($0)" }
        let map = "{\"counts\": {" + keys.joined(separator: ", ") + "}}"
        #expect(Self.check(Array(map.utf8), as: Fixtures.everything, Self.demo))
        let duplicated = "{\"counts\": {" + (keys + ["\"k150\": 1"]).joined(separator: ", ") + "}}"
        #expect(!Self.check(Array(duplicated.utf8), as: Fixtures.everything, Self.demo))
        let nested =
            "{\"meta\": {" + keys.joined(separator: ", ") + ", \"inner\": {" + keys.joined(separator: ", ")
            + "}, \"k7\": 0}}"
        #expect(!Self.check(Array(nested.utf8), as: Fixtures.everything, Self.demo))
    }

    @Test("nesting at the depth limit streams; one level more is the tree path's error")
    func depthLimit() {
        func document(_ depth: Int) -> [UInt8] {
            Array((String(repeating: #"{"child": "#, count: depth) + "{}" + String(repeating: "}", count: depth)).utf8)
        }
        #expect(Self.check(document(99), as: Fixtures.nested, Self.demo))
        #expect(!Self.check(document(100), as: Fixtures.nested, Self.demo))
        #expect(!Self.check(Array(repeating: UInt8(ascii: "["), count: 100_000), as: Fixtures.everything, Self.demo))
    }

    @Test("a body bound to one field streams too")
    func fieldBody() {
        let transcoder = Self.demo
        for (json, name, streams) in [
            (#"{"label": "x"}"#, "nested", true), (#"["a", "b"]"#, "tags", true), (#"{"k": 3}"#, "counts", true),
            (#""-4""#, "f_int64", true), ("null", "nested", true), (#"{"label": 1}"#, "nested", false),
            ("[1,", "tags", false),
        ] {
            let field = Fixtures.demoPool[Fixtures.everything].field(named: name)!
            let json = Array(json.utf8)
            let tree = Self.outcome { (out) throws(TranscodingError) in
                try transcoder.encodeFromTree(json: ByteBuffer(bytes: json), asField: field, into: &out)
            }
            let answered = Self.outcome { (out) throws(TranscodingError) in
                try transcoder.encode(json: ByteBuffer(bytes: json), asField: field, into: &out)
            }
            #expect(answered == tree)
            var out = ByteBuffer()
            let streamed = StreamingJSONEncoder.encode(
                ByteBuffer(bytes: json),
                asField: field,
                transcoder: transcoder,
                into: &out
            )
            #expect(streamed == streams, "\(name)")
            if streamed { #expect(tree == .bytes(Array(out.readableBytesView))) }
        }
    }

    @Test(
        "random messages and 20 mutations of each: the streaming path never disagrees",
        arguments: [(true, 0x57_12EA_11), (false, 0x57_12EA_12)] as [(Bool, UInt64)]
    )
    func randomAndMutatedDocuments(plain: Bool, seed: UInt64) throws {
        var factory = MessageFactory(random: SplitMix64(seed: seed), plain: plain)
        var random = SplitMix64(seed: seed ^ 0xB17_F11E)
        let alphabet = Array(#"{}[]":,0123456789-+.eE \"#.utf8) + [0x00, 0x1F, 0x80, 0xC3, 0xED, 0xF4]
        var streamedCount = 0
        for _ in 0..<500 {
            let message = factory.make()
            guard let json = try? message.jsonUTF8Bytes() as [UInt8] else { continue }
            if Self.check(json, as: Fixtures.proto3, Self.conformance) { streamedCount += 1 }
            for _ in 0..<20 {
                var mutated = json
                for _ in 0...Int.random(in: 0...2, using: &random) where !mutated.isEmpty {
                    let at = Int.random(in: 0..<mutated.count, using: &random)
                    switch Int.random(in: 0..<4, using: &random) {
                    case 0: mutated[at] = alphabet.randomElement(using: &random)!
                    case 1: mutated.insert(alphabet.randomElement(using: &random)!, at: at)
                    case 2: mutated.remove(at: at)
                    default: mutated.insert(contentsOf: mutated[at..<min(at + 12, mutated.count)], at: at)
                    }
                }
                Self.check(mutated, as: Fixtures.proto3, Self.conformance)
            }
        }
        // Plain messages (no Any, no escapes) all stream; the others mostly have a key with an
        // escape (the factory's keys hold quotes and control characters) and go to the tree.
        if plain { #expect(streamedCount == 500) }
    }

    @Test(
        "Editions messages (DELIMITED groups, packed and expanded fields, extensions) stream as the tree encodes them"
    )
    func editionsDocuments() throws {
        var factory = MessageFactory(random: SplitMix64(seed: 0x57_12EA_ED), plain: true)
        var streamedCount = 0
        for _ in 0..<300 {
            // swift-protobuf names group-like fields by their type (`GroupLikeType`), which both
            // paths read as the field.
            let edition2023: [UInt8] = try factory.makeEdition2023().jsonUTF8Bytes()
            if Self.check(edition2023, as: Fixtures.edition2023, Self.conformance) { streamedCount += 1 }
            let proto2 = try factory.makeProto2().jsonString().replacingOccurrences(
                of: "[protobuf_test_messages.proto2.",
                with: "[protobuf_test_messages.editions.proto2."
            )
            if Self.check(Array(proto2.utf8), as: Fixtures.editionsProto2, Self.conformance) { streamedCount += 1 }
        }
        #expect(streamedCount == 600)
    }
}
