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
/// `ResponseTranscoder` (binary → JSON) over the descriptors of `test_messages_proto3.proto`,
/// `test_messages_proto2.proto` and their Editions variants (`test_messages_proto3_editions.proto`,
/// `test_messages_proto2_editions.proto`, `test_messages_edition2023.proto`); swift-protobuf is
/// used only for the protocol's own envelope.
@main
struct ConformanceTestee {
    static func main() {
        let pool: DescriptorPool
        do {
            pool = try testMessagesPool()
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

    /// The pool of every conformance test message: the proto2/proto3 descriptor set and the
    /// Editions one, merged (they share the well-known types' files, which are identical).
    static func testMessagesPool() throws(SchemaError) -> DescriptorPool {
        let sets = [testMessagesDescriptorSetBase64, testMessagesEditionsDescriptorSetBase64].map {
            Array(Data(base64Encoded: $0, options: .ignoreUnknownCharacters)!)
        }
        return try DescriptorPool(serializedSets: sets)
    }
}
