import NIOCore
import ProtoSchema
import Testing
import Transcoding

/// Feeds `chunks` to a fresh splitter and returns the values as text.
private func split(_ chunks: [[UInt8]], maxValueBytes: Int = 1 << 20) throws(TranscodingError) -> [String] {
    var splitter = JSONSequenceSplitter(maxValueBytes: maxValueBytes)
    var values: [String] = []
    for chunk in chunks {
        for value in try splitter.append(ByteBuffer(bytes: chunk)) { values.append(String(buffer: value)) }
    }
    for value in try splitter.finish() { values.append(String(buffer: value)) }
    return values
}

/// Every way of cutting `body` into 1, 2 (all split points), 3 (all pairs of split points, for
/// short bodies) and one-byte chunks.
private func partitions(_ body: [UInt8]) -> [[[UInt8]]] {
    let n = body.count
    var result: [[[UInt8]]] = [[body], body.map { [$0] }]
    for i in 0...n { result.append([Array(body[..<i]), Array(body[i...])]) }
    if n <= 48 {
        for i in 0...n {
            for j in i...n { result.append([Array(body[..<i]), Array(body[i..<j]), Array(body[j...])]) }
        }
    }
    return result
}

/// Bodies and the values they hold, exactly as they must come out.
private let sequenceCases: [(body: String, values: [String])] = [
    ("", []),
    (" \n\t\r\n ", []),
    ("{\"a\":1}\n{\"b\":[1,2]}\n", ["{\"a\":1}", "{\"b\":[1,2]}"]),
    ("{\"a\":1}{\"b\":2}", ["{\"a\":1}", "{\"b\":2}"]),
    ("{\"a\":1}\r\n{\"a\":2}\r\n", ["{\"a\":1}", "{\"a\":2}"]),
    ("  {\"a\" : { \"b\" : [ {}, [] ] } }  \n\n  { }", ["{\"a\" : { \"b\" : [ {}, [] ] } }", "{ }"]),
    (#"{"s":"}{][\"\\"}{"t":"\\\\"}"#, [#"{"s":"}{][\"\\"}"#, #"{"t":"\\\\"}"#]),
    (#"{"s":"\\"} {"t":"\"{"}"#, [#"{"s":"\\"}"#, #"{"t":"\"{"}"#]),
    (#"{"u":"\u00e9\ud83d\ude00 \u005c"}"#, [#"{"u":"\u00e9\ud83d\ude00 \u005c"}"#]),
    ("{\"u\":\"é😀\"}\n{\"v\":\"ü\"}", ["{\"u\":\"é😀\"}", "{\"v\":\"ü\"}"]),
    ("1 -2.5e+3\n\"x\"\ttrue false null", ["1", "-2.5e+3", "\"x\"", "true", "false", "null"]),
    (#""a""b" "c\"d""#, [#""a""#, #""b""#, #""c\"d""#]),
    ("42", ["42"]),
    ("7{\"a\":1}8", ["7", "{\"a\":1}", "8"]),
    ("{\"a\":1}[1,2]", ["{\"a\":1}", "[1,2]"]),
    // Array form: the first non-whitespace byte is '['.
    ("[]", []),
    (" [ \r\n ] \n", []),
    ("[{\"a\":1}, {\"b\":2}]", ["{\"a\":1}", "{\"b\":2}"]),
    ("  [ \n{\"a\":1} ,\r\n {\"b\":\"]\"}\n]  \n", ["{\"a\":1}", "{\"b\":\"]\"}"]),
    ("[1,\"two\",null,{\"x\":[]},[3],true,-0.5]", ["1", "\"two\"", "null", "{\"x\":[]}", "[3]", "true", "-0.5"]),
    ("[[1],[2]]", ["[1]", "[2]"]),
    ("[ 1 , 2 ]", ["1", "2"]),
]

@Suite struct JSONSequenceSplitterTests {
    @Test(arguments: sequenceCases.indices)
    func wholeBodyYieldsEachValue(_ index: Int) throws {
        let (body, expected) = sequenceCases[index]
        #expect(try split([Array(body.utf8)]) == expected)
    }

    /// grpc-httpjson-transcoding's RunTestForInputPartitions: every cut gives the same values.
    @Test(arguments: sequenceCases.indices)
    func everyPartitionYieldsTheSameValues(_ index: Int) throws {
        let (body, expected) = sequenceCases[index]
        for chunks in partitions(Array(body.utf8)) {
            let values = try split(chunks)
            #expect(values == expected, "chunks: \(chunks.map { String(decoding: $0, as: UTF8.self) })")
            if values != expected { break }
        }
    }

    /// Long strings with a quote or backslash at every offset of an eight-byte word (the string
    /// scan skips eight plain bytes at a time).
    @Test func escapesAtEveryWordOffset() throws {
        var expected: [String] = []
        for k in 0..<20 {
            let a = String(repeating: "a", count: k)
            let b = String(repeating: "b", count: 19 - k)
            expected.append("{\"s\":\"" + a + "\\\"" + b + "\\\\\",\"t\":\"}\"}")
            expected.append("\"" + b + "\\\\\\\"" + a + "\"")
            expected.append("[\"" + a + "]\\\\\",{}]")
        }
        let body = Array(expected.joined(separator: "\n").utf8)
        #expect(try split([body]) == expected)
        #expect(try split(body.map { [$0] }) == expected)
        let head = Array(body.prefix(400))
        let tail = Array(body.dropFirst(400))
        for i in 0...head.count {
            let values = try split([Array(head[..<i]), Array(head[i...]), tail])
            #expect(values == expected)
            if values != expected { break }
        }
    }

    @Test func valuesArriveAsSoonAsTheyAreComplete() throws {
        var splitter = JSONSequenceSplitter(maxValueBytes: 1024)
        #expect(try splitter.append(ByteBuffer(string: "{\"a\":")).isEmpty)
        let first = try splitter.append(ByteBuffer(string: "1}\n{\"b\""))
        #expect(first.map { String(buffer: $0) } == ["{\"a\":1}"])
        let second = try splitter.append(ByteBuffer(string: ":2}"))
        #expect(second.map { String(buffer: $0) } == ["{\"b\":2}"])
        // A bare number is only complete at a delimiter or at the end of the body.
        #expect(try splitter.append(ByteBuffer(string: " 12")).isEmpty)
        #expect(try splitter.append(ByteBuffer(string: "3")).isEmpty)
        #expect(try splitter.finish().map { String(buffer: $0) } == ["123"])
    }

    @Test func valuesWithinOneChunkAreSlicesOfIt() throws {
        var chunk = ByteBuffer(string: "xyz{\"a\":1} {\"b\":2}")
        chunk.moveReaderIndex(forwardBy: 3)
        var splitter = JSONSequenceSplitter(maxValueBytes: 1024)
        let values = try splitter.append(chunk)
        #expect(values.map { String(buffer: $0) } == ["{\"a\":1}", "{\"b\":2}"])
        let chunkBase = chunk.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        let offsets = values.map { value in
            value.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) - chunkBase }
        }
        #expect(offsets == [0, 8])
    }

    @Test func randomNestedValuesSurviveRandomChunking() throws {
        var rng = SplitMix64(seed: 0x5eed)
        // A leading '[' would select the array form.
        var expected = ["{\"first\":[]}"]
        var body = expected[0]
        for _ in 0..<200 {
            let value = randomValue(&rng, depth: 0)
            expected.append(value)
            body += value + [" ", "\n", "\r\n", "", "\t"][Int(rng.next() % 5)]
            // Two bare scalars need whitespace between them.
            if body.last.map({ !$0.isWhitespace }) ?? false { body += " " }
        }
        let bytes = Array(body.utf8)
        for _ in 0..<20 {
            var chunks: [[UInt8]] = []
            var i = 0
            while i < bytes.count {
                let size = Int(rng.next() % 64)
                chunks.append(Array(bytes[i..<min(i + size, bytes.count)]))
                i += size
            }
            #expect(try split(chunks) == expected)
        }
        let arrayBody = Array(("[" + expected.joined(separator: ",\n") + "]").utf8)
        #expect(try split(arrayBody.map { [$0] }) == expected)
    }

    @Test func valueLargerThanTheLimitIsRejected() throws {
        let fits = Array("{\"a\":12}\n{\"b\":34}".utf8)  // 8 bytes each
        let tooBig = Array("{\"a\":12}\n{\"b\":345}".utf8)  // second value has 9
        for chunks in partitions(fits) {
            #expect(try split(chunks, maxValueBytes: 8) == ["{\"a\":12}", "{\"b\":34}"])
        }
        for chunks in partitions(tooBig) {
            let error = transcodingError { () throws(TranscodingError) in try split(chunks, maxValueBytes: 8) }
            #expect(error?.code == .tooLarge)
        }
        // A bare value at the end of the body, and a partial value that never ends.
        let error = transcodingError { () throws(TranscodingError) in
            try split([Array("123456789".utf8)], maxValueBytes: 8)
        }
        #expect(error?.code == .tooLarge)
        var splitter = JSONSequenceSplitter(maxValueBytes: 8)
        _ = try splitter.append(ByteBuffer(string: "{\"a\":"))
        let partial = transcodingError { () throws(TranscodingError) in
            try splitter.append(ByteBuffer(string: "\"long\""))
        }
        #expect(partial?.code == .tooLarge)
    }

    @Test(arguments: [
        "{\"a\":1",  // truncated object
        "\"abc",  // truncated string
        "{\"a\":\"x\\\"}",  // the escaped quote does not close the string
        "[{\"a\":1}",  // array never closed
        "[1",
        "[1,",
        "[",
        "[{\"a\":1},]",  // trailing comma
        "[,1]",
        "[1,,2]",
        "[1 2]",  // missing comma
        "[1]x",  // data after the array
        "[1][2]",
        "{\"a\":1},{\"b\":2}",  // commas only in the array form
        ",",
        "{\"a\":1]",  // mismatched brackets
        "{\"a\":[1}]",
        "}",
        "]",
        ":",
        "{\"a\":1}}",
        "#",
        "1 ; 2",
    ])
    func structuralGarbageIsRejectedWhateverTheChunking(_ body: String) throws {
        for chunks in partitions(Array(body.utf8)) {
            let error = transcodingError { () throws(TranscodingError) in try split(chunks) }
            #expect(error?.code == .malformedJSON, "chunks: \(chunks.map { String(decoding: $0, as: UTF8.self) })")
            if error?.code != .malformedJSON { break }
        }
    }

    @Test func errorsNameTheBodyOffsetAndStick() throws {
        var splitter = JSONSequenceSplitter(maxValueBytes: 64)
        _ = try splitter.append(ByteBuffer(string: "{\"a\":1}\n"))
        let error = transcodingError { () throws(TranscodingError) in try splitter.append(ByteBuffer(string: " ,")) }
        #expect(error?.message.contains("','") == true)
        #expect(error?.message.contains("offset 9") == true)
        let after = transcodingError { () throws(TranscodingError) in try splitter.append(ByteBuffer(string: "{}")) }
        #expect(after?.code == .malformedJSON)
        let finish = transcodingError { () throws(TranscodingError) in try splitter.finish() }
        #expect(finish?.code == .malformedJSON)
    }

    @Test func valuesFeedTheRequestTranscoder() throws {
        // The splitter's output is what RequestTranscoder parses: each value is a whole document.
        var splitter = JSONSequenceSplitter(maxValueBytes: 1024)
        let pool = Fixtures.demoPool
        let type = pool.messageID(named: "demo.upfile.v1.UpFileRequest")!
        let transcoder = RequestTranscoder(pool: pool, options: JSONCodecOptions())
        var messages: [[UInt8]] = []
        for piece in ["[{\"name\":\"a\",\"cont", "ent\":\"aGk=\"},", "{\"name\":\"b\"}]"] {
            for value in try splitter.append(ByteBuffer(string: piece)) {
                var out = ByteBuffer()
                try transcoder.encode(json: value, as: type, into: &out)
                messages.append(Array(out.readableBytesView))
            }
        }
        #expect(try splitter.finish().isEmpty)
        #expect(messages == [[0x0A, 1, 0x61, 0x12, 2, 0x68, 0x69], [0x0A, 1, 0x62]])
    }
}

/// A small deterministic generator for the random tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A random JSON value with strings full of brackets, quotes and escapes.
private func randomValue(_ rng: inout SplitMix64, depth: Int) -> String {
    let pick = depth > 3 ? Int(rng.next() % 4) : Int(rng.next() % 6)
    switch pick {
    case 0: return String(Int64(bitPattern: rng.next()) % 100_000)
    case 1: return ["true", "false", "null", "-1.5e-7"][Int(rng.next() % 4)]
    case 2, 3:
        let pieces = ["{", "}", "[", "]", "\\\"", "\\\\", ",", " ", "\\n", "é", "\\u00e9", "a", ":"]
        var s = "\""
        for _ in 0..<Int(rng.next() % 8) { s += pieces[Int(rng.next() % UInt64(pieces.count))] }
        return s + "\""
    case 4:
        let items = (0..<Int(rng.next() % 4)).map { _ in randomValue(&rng, depth: depth + 1) }
        return "[" + items.joined(separator: ", ") + "]"
    default:
        let members = (0..<Int(rng.next() % 4)).map { i in "\"k\(i)\":" + randomValue(&rng, depth: depth + 1) }
        return "{" + members.joined(separator: ",") + "}"
    }
}
