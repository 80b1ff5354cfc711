import FuzzSupport
import NIOCore
import ProtoSchema

@testable import Transcoding

/// What one encoding path made of a document: wire bytes, or the error it threw.
enum Outcome: Equatable {
    /// The wire bytes written.
    case bytes([UInt8])
    /// The error thrown.
    case error(code: String, path: String, message: String)

    /// Runs `body` on an empty buffer.
    init(_ body: (inout ByteBuffer) throws(TranscodingError) -> Void) {
        var out = ByteBuffer()
        do {
            try body(&out)
            self = .bytes(Array(out.readableBytesView))
        } catch {
            self = .error(code: "\(error.code)", path: error.fieldPath, message: error.message)
        }
    }
}

/// JSON → protobuf request transcoding (fuzz target a).
///
/// Input: a byte choosing the message (`FuzzFixtures.messages`), a byte of options (five bits:
/// `FuzzFixtures.options`; bit 7 encodes the body as one top-level field, chosen by the next
/// byte, as HttpRule `body: "field"` does), then the JSON document.
///
/// Invariants: the public entry point answers exactly what jansson's tree path answers; whatever
/// the streaming encoder finishes, the tree path writes byte for byte; the bytes written are valid
/// wire data for the message; and a message's JSON is a fixed point (bytes → JSON → bytes → JSON
/// gives the same JSON).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let (pool, type, options, field) = FuzzFixtures.selection(&input)
    let json = ByteBuffer(bytes: input.rest())
    let transcoder = RequestTranscoder(pool: pool, options: options)

    if let field {
        let answered = Outcome { (out) throws(TranscodingError) in
            try transcoder.encode(json: json, asField: field, into: &out)
        }
        let tree = Outcome { (out) throws(TranscodingError) in
            try transcoder.encodeFromTree(json: json, asField: field, into: &out)
        }
        fuzzCheck(answered == tree, "field \(field.name): \(answered) != tree \(tree)")
        return 0
    }

    let answered = Outcome { (out) throws(TranscodingError) in
        try transcoder.encode(json: json, as: type, into: &out)
    }
    let tree = Outcome { (out) throws(TranscodingError) in
        try transcoder.encodeFromTree(json: json, as: type, into: &out)
    }
    fuzzCheck(answered == tree, "\(pool[type].fullName): \(answered) != tree \(tree)")
    var streamed = ByteBuffer(bytes: [0xAA])
    if StreamingJSONEncoder.encode(json, as: type, transcoder: transcoder, into: &streamed) {
        fuzzCheck(tree == .bytes(Array(streamed.readableBytesView.dropFirst())), "streamed != tree")
    } else {
        fuzzCheck(Array(streamed.readableBytesView) == [0xAA], "a declined document left output behind")
    }
    guard case .bytes(let wire) = answered else { return 0 }

    // What was written reads back, and its JSON is a fixed point.
    let writer = ResponseTranscoder(pool: pool, options: options)
    var first = ByteBuffer()
    do {
        try writer.write(protobuf: ByteBuffer(bytes: wire), as: type, into: &first)
    } catch {
        fuzzCheck(error.code != .malformedProtobuf, "the request encoder wrote malformed wire bytes: \(error)")
        return 0
    }
    var again = ByteBuffer()
    do {
        try transcoder.encode(json: first, as: type, into: &again)
    } catch {
        fuzzCheck(false, "the response JSON \(String(buffer: first)) does not encode: \(error)")
    }
    var second = ByteBuffer()
    do {
        try writer.write(protobuf: again, as: type, into: &second)
    } catch {
        fuzzCheck(false, "re-encoded bytes do not write: \(error)")
    }
    fuzzCheck(first == second, "JSON is not a fixed point: \(String(buffer: first)) then \(String(buffer: second))")
    return 0
}

/// The executable's entry point (see ``runLibFuzzer(_:_:_:)``).
@_cdecl("FuzzJSONRequest_main")
public func fuzzJSONRequestMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzJSONRequest)
}
