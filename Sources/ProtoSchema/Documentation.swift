import SwiftProtobuf

/// What descriptor files say about their elements for people: the leading comment of each
/// message, field, enum, service and method (when the set was built with
/// `protoc --include_source_info`) and which of them are marked `deprecated`, by full name
/// (`pkg.Message`, `pkg.Message.field_name`, `pkg.Service.Method`). Read by the OpenAPI
/// document; never on the request path.
public struct Documentation: Sendable {
    /// Leading comments, trimmed, by full name.
    public let comments: [String: String]
    /// Full names of deprecated messages, fields, enums, services and methods.
    public let deprecated: Set<String>

    /// Collects the documentation of `files`.
    init(files: [Google_Protobuf_FileDescriptorProto]) {
        var collector = Collector()
        for file in files {
            collector.locations = [:]
            for location in file.sourceCodeInfo.location where location.hasLeadingComments {
                collector.locations[location.path] = location.leadingComments
            }
            let scope = file.package
            for (i, message) in file.messageType.enumerated() {
                collector.message(message, scope: scope, path: [4, Int32(i)])
            }
            for (i, enumeration) in file.enumType.enumerated() {
                collector.note(
                    qualified(enumeration.name, scope),
                    path: [5, Int32(i)],
                    deprecated: enumeration.options.deprecated
                )
            }
            for (i, service) in file.service.enumerated() {
                let name = qualified(service.name, scope)
                collector.note(name, path: [6, Int32(i)], deprecated: service.options.deprecated)
                for (j, method) in service.method.enumerated() {
                    collector.note(
                        "\(name).\(method.name)",
                        path: [6, Int32(i), 2, Int32(j)],
                        deprecated: method.options.deprecated
                    )
                }
            }
        }
        comments = collector.comments
        deprecated = collector.deprecated
    }

    /// The leading comment of the element named `fullName`, if it has one.
    public func comment(_ fullName: String) -> String? { comments[fullName] }

    private struct Collector {
        var locations: [[Int32]: String] = [:]
        var comments: [String: String] = [:]
        var deprecated: Set<String> = []

        mutating func note(_ name: String, path: [Int32], deprecated isDeprecated: Bool) {
            if let text = locations[path] {
                let trimmed = text.split(separator: "\n", omittingEmptySubsequences: false)
                    .map { $0.trimmingPrefix(" ") }
                    .joined(separator: "\n")
                    .trimmingCharacters(in: "\n ")
                if !trimmed.isEmpty { comments[name] = trimmed }
            }
            if isDeprecated { deprecated.insert(name) }
        }

        /// A message, its fields, nested messages and nested enums (field 2, 3 and 4 of
        /// `DescriptorProto`).
        mutating func message(_ message: Google_Protobuf_DescriptorProto, scope: String, path: [Int32]) {
            let name = qualified(message.name, scope)
            note(name, path: path, deprecated: message.options.deprecated)
            for (i, field) in message.field.enumerated() {
                note("\(name).\(field.name)", path: path + [2, Int32(i)], deprecated: field.options.deprecated)
            }
            for (i, nested) in message.nestedType.enumerated() {
                self.message(nested, scope: name, path: path + [3, Int32(i)])
            }
            for (i, enumeration) in message.enumType.enumerated() {
                note(
                    qualified(enumeration.name, name),
                    path: path + [4, Int32(i)],
                    deprecated: enumeration.options.deprecated
                )
            }
        }
    }
}

private func qualified(_ name: String, _ scope: String) -> String {
    scope.isEmpty ? name : "\(scope).\(name)"
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
}
