import FuzzSupport
import NIOCore
import Transcoding

/// What a splitter made of a body: its values, or the error that ended it.
enum Split: Equatable {
    /// Every value, in order.
    case values([[UInt8]])
    /// The error that ended the body.
    case failed(code: String, message: String)

    /// Feeds `chunks` then finishes.
    init(_ chunks: [ArraySlice<UInt8>], maxValueBytes: Int) {
        var splitter = JSONSequenceSplitter(maxValueBytes: maxValueBytes)
        var values: [[UInt8]] = []
        do {
            for chunk in chunks {
                values += try splitter.append(ByteBuffer(bytes: chunk)).map { Array($0.readableBytesView) }
            }
            values += try splitter.finish().map { Array($0.readableBytesView) }
            self = .values(values)
        } catch {
            self = .failed(code: "\(error.code)", message: error.message)
        }
    }
}

/// The NDJSON / concatenated-JSON / JSON-array splitter of streamed request bodies (fuzz target f).
///
/// Input: two bytes giving the value size limit (1 to 65536), then the body.
///
/// Invariant: the values (or the error) do not depend on where the body is cut: the body in one
/// chunk, in two chunks at every split point, and one byte per chunk all give the same answer.
/// Every value is one JSON value without surrounding whitespace, within the limit.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONSequence(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let maxValueBytes = input.uint16() + 1
    let body = input.rest()[...]
    let whole = Split([body], maxValueBytes: maxValueBytes)
    if case .values(let values) = whole {
        for value in values {
            fuzzCheck(!value.isEmpty && value.count <= maxValueBytes, "value of \(value.count) bytes")
            fuzzCheck(!isJSONWhitespace(value.first!) && !isJSONWhitespace(value.last!), "value with blanks")
        }
    }
    for cut in body.indices.dropFirst() {
        let split = Split([body[..<cut], body[cut...]], maxValueBytes: maxValueBytes)
        fuzzCheck(split == whole, "cut at \(cut): \(split) != whole \(whole)")
    }
    let bytewise = Split(body.indices.map { body[$0...$0] }, maxValueBytes: maxValueBytes)
    fuzzCheck(bytewise == whole, "byte by byte: \(bytewise) != whole \(whole)")
    return 0
}

private func isJSONWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
}

/// The executable's entry point (see ``runLibFuzzer(_:_:_:)``).
@_cdecl("FuzzJSONSequence_main")
public func fuzzJSONSequenceMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzJSONSequence)
}
