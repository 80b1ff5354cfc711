import Foundation
import NIOCore
import ProtoSchema
import SwiftProtobuf
import Transcoding

/// Answers protobuf's conformance protocol with Portico's descriptor-driven codec.
///
/// The runner (`conformance_test_runner <this binary>`) writes, for each test, a 4-byte
/// little-endian length and a serialized `conformance.ConformanceRequest` to stdin and reads the
/// same framing of a `conformance.ConformanceResponse` from stdout, until EOF. Every JSON
/// conversion goes through the gateway's own `RequestTranscoder` (JSON → binary) and
/// `ResponseTranscoder` (binary → JSON) over the descriptors of `test_messages_proto3.proto` and
/// `test_messages_proto2.proto`; swift-protobuf is used only for the protocol's own envelope.
@main
struct ConformanceTestee {
    static func main() {
        let pool: DescriptorPool
        do {
            let set = Data(base64Encoded: testMessagesDescriptorSetBase64, options: .ignoreUnknownCharacters)!
            pool = try DescriptorPool(serializedSets: [Array(set)])
        } catch {
            FileHandle.standardError.write(Data("conformance-testee: bad descriptor set: \(error)\n".utf8))
            exit(1)
        }
        let answerer = ConformanceAnswerer(pool: pool)
        var io = ConformancePipe()
        while let frame = io.readFrame() {
            let response: Conformance_ConformanceResponse
            do {
                response = answerer.answer(try Conformance_ConformanceRequest(serializedBytes: frame))
            } catch {
                response = .with { $0.runtimeError = "unreadable ConformanceRequest: \(error)" }
            }
            // A response always serializes (it has no required fields).
            io.writeFrame(try! response.serializedBytes())
        }
    }
}
