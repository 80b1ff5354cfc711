import Foundation
public import ProtoSchema
public import Transcoding

/// The schemas the targets fuzz against, read once from the repository (the targets run from
/// their build folder, so paths are found from this file's location, not the working directory).
public enum FuzzFixtures {
    /// The repository's root folder.
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // FuzzSupport
        .deletingLastPathComponent()  // Sources
        .deletingLastPathComponent()  // Fuzz
        .deletingLastPathComponent()

    /// `Protos/demo.binpb`: the demo's services and messages.
    public static let demoDescriptorSet = read("Protos/demo.binpb")
    /// `Fuzz/Fixtures/fuzz.binpb` (from `fuzz.proto`, by `make protos`): a small schema for the
    /// targets that build a pool or a snapshot for each input.
    public static let fuzzDescriptorSet = read("Fuzz/Fixtures/fuzz.binpb")
    /// The conformance messages (`TestAllTypesProto3`, `TestAllTypesProto2`, their Editions twins).
    public static let conformanceDescriptorSets = [
        read("Tests/TranscodingTests/Fixtures/test_messages.binpb"),
        read("Tests/TranscodingTests/Fixtures/test_messages_editions.binpb"),
    ]

    /// The demo's pool.
    public static let demoPool = pool([demoDescriptorSet])
    /// The conformance messages' pool.
    public static let conformancePool = pool(conformanceDescriptorSets)

    /// Every message a request or response can be fuzzed as: the conformance messages first,
    /// then every message of the demo (well-known types included).
    public static let messages: [(pool: DescriptorPool, type: MessageID)] = {
        let conformance = [
            "protobuf_test_messages.proto3.TestAllTypesProto3",
            "protobuf_test_messages.proto2.TestAllTypesProto2",
            "protobuf_test_messages.editions.proto3.TestAllTypesProto3",
            "protobuf_test_messages.editions.proto2.TestAllTypesProto2",
            "protobuf_test_messages.editions.TestAllTypesEdition2023",
        ].map { (conformancePool, conformancePool.messageID(named: $0)!) }
        let demo = demoPool.methods.flatMap { [$0.input, $0.output] }
        var seen = Set<MessageID>()
        return conformance + demo.filter { seen.insert($0).inserted }.map { (demoPool, $0) }
    }()

    /// What the transcoding targets read first: a byte choosing the message (``messages``), a byte
    /// of options (five bits, ``options(_:)``) whose bit 7 picks one top-level field, chosen by the
    /// next byte (HttpRule `body: "field"` / `response_body`).
    public static func selection(
        _ input: inout FuzzInput
    ) -> (pool: DescriptorPool, type: MessageID, options: JSONCodecOptions, field: FieldDescriptor?) {
        let (pool, type) = messages[input.choice(messages.count)]
        let bits = input.byte()
        let fields = pool[type].fields
        let field = bits & 0x80 != 0 && !fields.isEmpty ? fields[input.choice(fields.count)] : nil
        return (pool, type, options(bits), field)
    }

    /// The JSON options of byte `bits`: each of its five low bits turns one option on.
    public static func options(_ bits: UInt8) -> JSONCodecOptions {
        JSONCodecOptions(
            emitUnpopulated: bits & 1 != 0,
            useProtoNames: bits & 2 != 0,
            enumsAsInts: bits & 4 != 0,
            ignoreUnknownFields: bits & 8 != 0,
            int64AsNumbers: bits & 16 != 0
        )
    }

    /// A file of the repository.
    public static func read(_ path: String) -> [UInt8] {
        let url = repositoryRoot.appendingPathComponent(path)
        guard let data = try? Data(contentsOf: url) else { fatalError("cannot read \(url.path)") }
        return Array(data)
    }

    private static func pool(_ sets: [[UInt8]]) -> DescriptorPool {
        do {
            return try DescriptorPool(serializedSets: sets)
        } catch {
            fatalError("bad descriptor set: \(error)")
        }
    }
}
