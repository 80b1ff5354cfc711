public import SwiftProtobuf

extension DescriptorPool {
    /// Builds a pool from descriptor sets plus whichever files of `fallbackSets` they lack.
    ///
    /// A fallback file is added only when no file of `serializedSets` has its name and none
    /// defines any of its types, so a user's own copy (even another version, or under another
    /// file name) always wins and never collides. Fallback sets list files in dependency order,
    /// as `protoc --include_imports` writes them.
    /// - Throws: ``SchemaError`` as ``init(serializedSets:)`` does.
    public convenience init(serializedSets: [[UInt8]], fallbackSets: [[UInt8]]) throws(SchemaError) {
        var files = try Self.files(in: serializedSets)
        var fileNames = Set(files.map(\.name))
        var typeNames = Set(files.flatMap(Self.typeNames(in:)))
        for fallback in try Self.files(in: fallbackSets) where !fileNames.contains(fallback.name) {
            let defined = Self.typeNames(in: fallback)
            guard typeNames.isDisjoint(with: defined) else { continue }
            files.append(fallback)
            fileNames.insert(fallback.name)
            typeNames.formUnion(defined)
        }
        try self.init(files: files)
    }

    /// The files of serialized `FileDescriptorSet`s, in order.
    static func files(in serializedSets: [[UInt8]]) throws(SchemaError) -> [Google_Protobuf_FileDescriptorProto] {
        var files: [Google_Protobuf_FileDescriptorProto] = []
        for bytes in serializedSets {
            do {
                files.append(contentsOf: try Google_Protobuf_FileDescriptorSet(serializedBytes: bytes).file)
            } catch {
                throw SchemaError(
                    code: .malformedDescriptorSet,
                    message: "not a serialized google.protobuf.FileDescriptorSet",
                    cause: error
                )
            }
        }
        return files
    }

    /// Fully qualified names of every message and enum a file defines, nested ones included.
    private static func typeNames(in file: Google_Protobuf_FileDescriptorProto) -> [String] {
        var names: [String] = []
        func qualified(_ name: String, _ scope: String) -> String { scope.isEmpty ? name : "\(scope).\(name)" }
        func visit(_ message: Google_Protobuf_DescriptorProto, scope: String) {
            let name = qualified(message.name, scope)
            names.append(name)
            names.append(contentsOf: message.enumType.map { qualified($0.name, name) })
            for nested in message.nestedType { visit(nested, scope: name) }
        }
        for message in file.messageType { visit(message, scope: file.package) }
        names.append(contentsOf: file.enumType.map { qualified($0.name, file.package) })
        return names
    }
}
