import ProtoSchema
import SwiftProtobuf
import Testing

/// Feature resolution: edition defaults, then file, message, oneof and field (or enum) options,
/// each overriding what it inherits.
@Suite("Editions features resolve by inheritance")
struct EditionFeaturesTests {
    @Test("test_messages_edition2023.proto: file-level DELIMITED, field overrides, map entries, extensions")
    func edition2023Fixture() throws {
        let pool = try ConformanceSets.pool()
        let id = try #require(pool.messageID(named: "protobuf_test_messages.editions.TestAllTypesEdition2023"))
        let message = pool[id]
        #expect(message.features == ProtoFeatures.edition2023.with { $0.messageEncoding = .delimited })
        #expect(!message.isProto3)
        // Group-like (named after its type, declared beside it) and not group-like, both delimited.
        let groupLike = try #require(message.field(named: "groupliketype"))
        let delimited = try #require(message.field(named: "delimited_field"))
        #expect(isGroup(groupLike.type) && isGroup(delimited.type))
        #expect(message.field(named: "GroupLikeType")?.number == 201)
        // Overridden back to LENGTH_PREFIXED.
        for name in ["optional_nested_message", "recursive_message", "repeated_nested_message", "oneof_nested_message"]
        {
            #expect(isMessage(message.field(named: name)?.type), "\(name)")
        }
        // Map entries are length-prefixed whatever the file says, and so are their values.
        for name in ["map_recursive", "map_string_nested_message"] {
            let map = try #require(message.field(named: name))
            #expect(isMessage(map.type) && map.isMap, "\(name)")
            #expect(isMessage(pool[try #require(map.mapEntry)].field(number: 2)?.type), "\(name) value")
        }
        // Edition 2023 defaults: explicit presence, packed, verified UTF-8, open enums.
        #expect(message.field(named: "optional_int32")?.hasPresence == true)
        #expect(message.field(named: "optional_string")?.validatesUTF8 == true)
        #expect(message.field(named: "optional_bytes")?.validatesUTF8 == false)
        #expect(message.field(named: "repeated_int32")?.isPacked == true)
        #expect(message.field(named: "packed_int32")?.isPacked == true)
        #expect(message.field(named: "unpacked_int32")?.isPacked == false)
        #expect(message.field(named: "repeated_string")?.isPacked == false)
        guard case .enumeration(let nestedEnum) = message.field(named: "optional_nested_enum")?.type else {
            Issue.record("optional_nested_enum is not an enum")
            return
        }
        #expect(!pool[nestedEnum].isClosed)
        // The nested message inherits DELIMITED from the file; its own field overrides it.
        let nested = pool[try #require(pool.messageID(named: message.fullName + ".NestedMessage"))]
        #expect(isMessage(nested.field(named: "corecursive")?.type))
        #expect(nested.field(named: "a")?.hasPresence == true)
        // Extensions take the features of their scope (here the file): delimited messages.
        let extensionPrefix = "[protobuf_test_messages.editions."
        #expect(isGroup(message.field(named: extensionPrefix + "groupliketype]")?.type))
        #expect(isGroup(message.field(named: extensionPrefix + "delimited_ext]")?.type))
        #expect(message.field(named: extensionPrefix + "extension_int32]")?.hasPresence == true)
    }

    @Test("file → message → oneof → field, and file → message → enum")
    func inheritanceChain() throws {
        let pool = try DescriptorPool(files: [Self.layeredFile()])
        let outer = pool[try #require(pool.messageID(named: "layers.Outer"))]
        #expect(outer.features.fieldPresence == .explicit && outer.features.utf8Validation == .none)
        #expect(outer.features.jsonFormat == .legacyBestEffort)
        #expect(outer.field(named: "plain")?.hasPresence == true)
        #expect(outer.field(named: "text")?.validatesUTF8 == false)
        #expect(outer.field(named: "checked")?.validatesUTF8 == true)
        // A oneof member: the oneof's VERIFY over the message's NONE.
        #expect(outer.field(named: "choice_text")?.validatesUTF8 == true)
        #expect(outer.field(named: "numbers")?.isPacked == false)
        #expect(outer.field(named: "packed_numbers")?.isPacked == true)
        let inner = pool[try #require(pool.messageID(named: "layers.Outer.Inner"))]
        #expect(inner.field(named: "value")?.hasPresence == true)
        #expect(inner.field(named: "value")?.features.utf8Validation == ProtoFeatures.UTF8Validation.none)
        let other = pool[try #require(pool.messageID(named: "layers.Other"))]
        #expect(other.field(named: "value")?.hasPresence == false)
        #expect(other.field(named: "value")?.features.fieldPresence == .implicit)
        #expect(other.field(named: "forced")?.hasPresence == true)
        #expect(other.features.jsonFormat == .allow)
        #expect(pool[try #require(pool.enumID(named: "layers.Outer.Closed"))].isClosed)
        #expect(!pool[try #require(pool.enumID(named: "layers.Open"))].isClosed)
    }

    @Test("edition 2024 resolves these features as 2023 does")
    func edition2024() throws {
        var file = Self.layeredFile()
        file.edition = .edition2024
        let pool = try DescriptorPool(files: [file])
        let other = pool[try #require(pool.messageID(named: "layers.Other"))]
        #expect(other.field(named: "value")?.hasPresence == false)
        #expect(other.field(named: "forced")?.hasPresence == true)
    }

    @Test(
        "unknown editions and syntaxes are rejected with the file's name",
        arguments: [
            ("editions", Google_Protobuf_Edition.edition2026), ("editions", .edition99999TestOnly),
            ("editions", .proto3), ("proto4", .unknown),
        ]
    )
    func unsupported(_ syntax: String, _ edition: Google_Protobuf_Edition) {
        var file = Self.layeredFile()
        file.syntax = syntax
        file.edition = edition
        do {
            _ = try DescriptorPool(files: [file])
            Issue.record("accepted \(syntax) \(edition)")
        } catch {
            #expect(error.code == .unsupportedEdition)
            #expect(error.message.hasPrefix("layers.proto: "))
        }
    }

    @Test("features options in a proto3 file are ignored: only editions files state features")
    func legacyFilesIgnoreFeatures() throws {
        var file = Self.layeredFile()
        file.syntax = "proto3"
        file.clearEdition()
        let pool = try DescriptorPool(files: [file])
        let outer = pool[try #require(pool.messageID(named: "layers.Outer"))]
        #expect(outer.features == .proto3)
        #expect(outer.field(named: "plain")?.hasPresence == false)
        #expect(outer.field(named: "numbers")?.isPacked == true)
        #expect(!pool[try #require(pool.enumID(named: "layers.Outer.Closed"))].isClosed)
    }

    /// `layers.proto` (edition 2023): implicit presence and expanded repeated fields for the file;
    /// `Outer` back to explicit presence, no UTF-8 checks, legacy JSON; its oneof verifies UTF-8
    /// again; its enum `Closed` is closed; `Other` inherits the file's features.
    static func layeredFile() -> Google_Protobuf_FileDescriptorProto {
        func field(
            _ name: String,
            _ number: Int32,
            _ type: Google_Protobuf_FieldDescriptorProto.TypeEnum,
            repeated: Bool = false,
            _ features: (inout Google_Protobuf_FeatureSet) -> Void = { _ in }
        ) -> Google_Protobuf_FieldDescriptorProto {
            .with {
                $0.name = name
                $0.number = number
                $0.type = type
                $0.label = repeated ? .repeated : .optional
                features(&$0.options.features)
            }
        }
        return .with {
            $0.name = "layers.proto"
            $0.package = "layers"
            $0.syntax = "editions"
            $0.edition = .edition2023
            $0.options.features.fieldPresence = .implicit
            $0.options.features.repeatedFieldEncoding = .expanded
            $0.messageType = [
                .with {
                    $0.name = "Outer"
                    $0.options.features.fieldPresence = .explicit
                    $0.options.features.utf8Validation = .none
                    $0.options.features.jsonFormat = .legacyBestEffort
                    $0.field = [
                        field("plain", 1, .int32),
                        field("text", 2, .string),
                        field("checked", 3, .string) { $0.utf8Validation = .verify },
                        .with {
                            $0.name = "choice_text"
                            $0.number = 4
                            $0.type = .string
                            $0.oneofIndex = 0
                        },
                        field("numbers", 5, .int32, repeated: true),
                        field("packed_numbers", 6, .int32, repeated: true) { $0.repeatedFieldEncoding = .packed },
                    ]
                    $0.oneofDecl = [
                        .with {
                            $0.name = "choice"
                            $0.options.features.utf8Validation = .verify
                        }
                    ]
                    $0.nestedType = [
                        .with {
                            $0.name = "Inner"
                            $0.field = [field("value", 1, .string)]
                        }
                    ]
                    $0.enumType = [
                        .with {
                            $0.name = "Closed"
                            $0.options.features.enumType = .closed
                            $0.value = [
                                .with {
                                    $0.name = "ZERO"
                                    $0.number = 0
                                }
                            ]
                        }
                    ]
                },
                .with {
                    $0.name = "Other"
                    $0.field = [field("value", 1, .int32), field("forced", 2, .int32) { $0.fieldPresence = .explicit }]
                },
            ]
            $0.enumType = [
                .with {
                    $0.name = "Open"
                    $0.value = [
                        .with {
                            $0.name = "ZERO"
                            $0.number = 0
                        }
                    ]
                }
            ]
        }
    }

    private func isGroup(_ type: ProtoSchema.FieldType?) -> Bool {
        if case .group = type { return true }
        return false
    }

    private func isMessage(_ type: ProtoSchema.FieldType?) -> Bool {
        if case .message = type { return true }
        return false
    }
}

extension ProtoFeatures {
    /// A copy with `change` applied.
    func with(_ change: (inout ProtoFeatures) -> Void) -> ProtoFeatures {
        var copy = self
        change(&copy)
        return copy
    }
}
