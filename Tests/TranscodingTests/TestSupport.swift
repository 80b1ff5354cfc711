import Foundation
import NIOCore
import ProtoSchema
import Testing
import Transcoding

/// Descriptor pools loaded once from files next to the tests (no SwiftPM resources needed).
enum Fixtures {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let repositoryRoot = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()

    /// protobuf_test_messages.proto3/proto2 (conformance messages) and their Editions variants
    /// (protobuf_test_messages.editions.*), with their imports: the two descriptor sets merged.
    static let conformancePool: DescriptorPool = load(
        testsDirectory.appendingPathComponent("Fixtures/test_messages.binpb"),
        testsDirectory.appendingPathComponent("Fixtures/test_messages_editions.binpb")
    )
    /// The demo services' descriptor set (demo.echo.v1.Everything).
    static let demoPool: DescriptorPool = load(repositoryRoot.appendingPathComponent("Protos/demo.binpb"))

    static let everything = demoPool.messageID(named: "demo.echo.v1.Everything")!
    static let nested = demoPool.messageID(named: "demo.echo.v1.Everything.Nested")!
    static let proto3 = conformancePool.messageID(named: "protobuf_test_messages.proto3.TestAllTypesProto3")!
    static let proto2 = conformancePool.messageID(named: "protobuf_test_messages.proto2.TestAllTypesProto2")!
    static let editionsProto3 = conformancePool.messageID(
        named: "protobuf_test_messages.editions.proto3.TestAllTypesProto3"
    )!
    static let editionsProto2 = conformancePool.messageID(
        named: "protobuf_test_messages.editions.proto2.TestAllTypesProto2"
    )!
    static let edition2023 = conformancePool.messageID(
        named: "protobuf_test_messages.editions.TestAllTypesEdition2023"
    )!

    private static func load(_ urls: URL...) -> DescriptorPool {
        try! DescriptorPool(serializedSets: urls.map { Array(try! Data(contentsOf: $0)) })
    }
}

/// Small wrappers that keep the tests about values rather than buffers.
struct Codec {
    var pool: DescriptorPool = Fixtures.demoPool
    var options = JSONCodecOptions()

    /// JSON text -> wire bytes.
    func encode(_ json: String, as type: MessageID = Fixtures.everything) throws(TranscodingError) -> [UInt8] {
        var out = ByteBuffer()
        try RequestTranscoder(pool: pool, options: options).encode(json: ByteBuffer(string: json), as: type, into: &out)
        return Array(out.readableBytesView)
    }

    /// Wire bytes -> JSON text.
    func decode(_ bytes: [UInt8], as type: MessageID = Fixtures.everything) throws(TranscodingError) -> String {
        var out = ByteBuffer()
        try ResponseTranscoder(pool: pool, options: options).write(
            protobuf: ByteBuffer(bytes: bytes),
            as: type,
            into: &out
        )
        return String(buffer: out)
    }

    /// JSON text -> wire bytes -> JSON text.
    func roundTrip(_ json: String, as type: MessageID = Fixtures.everything) throws(TranscodingError) -> String {
        try decode(try encode(json, as: type), as: type)
    }

    /// The field of `type` with this name.
    func field(_ name: String, of type: MessageID = Fixtures.everything) -> FieldDescriptor {
        pool[type].field(named: name)!
    }

    /// Path/query bindings -> wire bytes, appended to `body`.
    func bind(
        _ pairs: [(String, String)],
        after body: [UInt8] = [],
        as type: MessageID = Fixtures.everything
    )
        throws(TranscodingError) -> [UInt8]
    {
        var out = ByteBuffer(bytes: body)
        let bindings = pairs.map { FieldBinding(fieldPath: pool.resolveFieldPath($0.0, from: type)!, value: $0.1) }
        try RequestTranscoder(pool: pool, options: options).encode(bindings: bindings, into: &out)
        return Array(out.readableBytesView)
    }
}

/// Runs `body` and returns the TranscodingError it throws (recording an issue if none).
func transcodingError(
    _ body: () throws(TranscodingError) -> Any,
    sourceLocation: SourceLocation = #_sourceLocation
)
    -> TranscodingError?
{
    do {
        _ = try body()
        Issue.record("expected a TranscodingError", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}
