import Foundation
import NIOCore
import ProtoSchema
import SwiftProtobuf
import Transcoding

/// Turns one `ConformanceRequest` into its `ConformanceResponse` with Portico's codec.
///
/// JSON input is transcoded to binary by ``RequestTranscoder`` (unknown fields ignored only for
/// `JSON_IGNORE_UNKNOWN_PARSING_TEST`); JSON output is written from binary by
/// ``ResponseTranscoder``. Binary input asked back as binary is validated by decoding it (the same
/// walk the gateway does on every backend response, so parse errors are the gateway's) and then
/// re-encoded by ``CanonicalBinary`` into the bytes C++ would write back, which the runner's
/// byte-exact tests compare with. Text format and JSPB are skipped.
struct ConformanceAnswerer {
    /// The descriptor pool with the test messages.
    let pool: DescriptorPool
    /// Re-encodes binary output as C++ would write it.
    private let canonical: CanonicalBinary

    /// An answerer for the message types in `pool`.
    init(pool: DescriptorPool) {
        self.pool = pool
        self.canonical = CanonicalBinary(pool: pool)
    }

    /// The response to one request.
    func answer(_ request: Conformance_ConformanceRequest) -> Conformance_ConformanceResponse {
        if request.messageType == "conformance.FailureSet" {
            // The runner's opening question: which tests we expect to fail. None are listed.
            return .with { $0.protobufPayload = Data() }
        }
        guard let type = pool.messageID(named: request.messageType) else {
            return .with { $0.skipped = "no descriptor for \(request.messageType)" }
        }
        let binary: ByteBuffer
        let inputIsBinary: Bool
        switch request.payload {
        case .protobufPayload(let bytes):
            binary = ByteBuffer(bytes: bytes)
            inputIsBinary = true
        case .jsonPayload(let json):
            var options = JSONCodecOptions()
            options.ignoreUnknownFields = request.testCategory == .jsonIgnoreUnknownParsingTest
            var out = ByteBuffer()
            do {
                try RequestTranscoder(pool: pool, options: options).encode(
                    json: ByteBuffer(string: json),
                    as: type,
                    into: &out
                )
            } catch {
                return .with { $0.parseError = error.description }
            }
            binary = out
            inputIsBinary = false
        case .jspbPayload, .textPayload:
            return .with { $0.skipped = "JSPB and text format are not Portico formats" }
        case nil:
            return .with { $0.runtimeError = "request has no payload" }
        }

        switch request.requestedOutputFormat {
        case .protobuf:
            if inputIsBinary {
                var discarded = ByteBuffer()
                do {
                    try ResponseTranscoder(pool: pool, options: JSONCodecOptions()).write(
                        protobuf: binary,
                        as: type,
                        into: &discarded
                    )
                } catch  where error.code == .malformedProtobuf {
                    return .with { $0.parseError = error.description }
                } catch {
                    // Valid wire bytes whose values have no JSON form (a Timestamp out of range):
                    // the binary round trip does not need one.
                }
                do {
                    let bytes = try canonical.reencode(binary, as: type)
                    return .with { $0.protobufPayload = Data(bytes) }
                } catch {
                    return .with { $0.parseError = error.description }
                }
            }
            return .with { $0.protobufPayload = Data(binary.readableBytesView) }
        case .json:
            var out = ByteBuffer()
            do {
                try ResponseTranscoder(pool: pool, options: JSONCodecOptions()).write(
                    protobuf: binary,
                    as: type,
                    into: &out
                )
            } catch  where inputIsBinary && error.code == .malformedProtobuf {
                return .with { $0.parseError = error.description }
            } catch {
                return .with { $0.serializeError = error.description }
            }
            return .with { $0.jsonPayload = String(buffer: out) }
        case .jspb, .textFormat:
            return .with { $0.skipped = "JSPB and text format are not Portico formats" }
        case .unspecified, .UNRECOGNIZED:
            return .with { $0.runtimeError = "no output format requested" }
        }
    }
}
