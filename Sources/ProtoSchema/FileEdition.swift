import SwiftProtobuf

/// The syntax or edition of a descriptor file, which decides where its elements' features come
/// from: the syntax's fixed defaults and what its keywords imply (proto2, proto3), or the
/// edition's defaults and the `features` options (Editions).
enum FileEdition: Hashable, Sendable {
    /// `syntax = "proto2"` (or no syntax): `EDITION_LEGACY`.
    case proto2
    /// `syntax = "proto3"`: `EDITION_PROTO3`.
    case proto3
    /// `edition = "2023"`.
    case edition2023
    /// `edition = "2024"`.
    case edition2024

    /// The edition of `file`.
    /// - Throws: ``SchemaError`` `unsupportedEdition` for a syntax or edition Portico does not
    ///   know (its features could have defaults other than the ones below).
    init(_ file: Google_Protobuf_FileDescriptorProto) throws(SchemaError) {
        switch file.syntax {
        case "", "proto2": self = .proto2
        case "proto3": self = .proto3
        case "editions":
            switch file.edition {
            case .edition2023: self = .edition2023
            case .edition2024: self = .edition2024
            default:
                throw SchemaError(
                    code: .unsupportedEdition,
                    message: "\(file.name): edition \(file.edition) is not supported (2023 and 2024 are)"
                )
            }
        default:
            throw SchemaError(
                code: .unsupportedEdition,
                message: "\(file.name): syntax \"\(file.syntax)\" is not supported (proto2, proto3 and editions are)"
            )
        }
    }

    /// proto2 and proto3, which state no features: their syntax implies them.
    var isLegacy: Bool { self == .proto2 || self == .proto3 }

    /// The features of a file of this edition before its own `features` option.
    var defaults: ProtoFeatures {
        switch self {
        case .proto2: .proto2
        case .proto3: .proto3
        // EDITION_2024 changes only features outside these six (naming style, symbol visibility).
        case .edition2023, .edition2024: .edition2023
        }
    }
}

extension ProtoFeatures {
    /// The features of an element whose parent has these and whose `features` option is `set`.
    ///
    /// proto2 and proto3 elements inherit unchanged: `features` is an Editions option (protoc
    /// rejects it elsewhere), so a stray one is ignored rather than half-applied.
    func child(_ set: Google_Protobuf_FeatureSet, in edition: FileEdition) -> ProtoFeatures {
        edition.isLegacy ? self : merging(set)
    }

    /// The features of `field`, whose parent has `parent`: in an Editions file, its `features`
    /// option applied; in a proto2 or proto3 file, what its declaration implies, as protoc infers
    /// it (`required`, `group`, `[packed = true]`, and in proto3 `[packed = false]`).
    static func field(
        _ field: Google_Protobuf_FieldDescriptorProto,
        parent: ProtoFeatures,
        in edition: FileEdition
    ) -> ProtoFeatures {
        guard edition.isLegacy else { return parent.merging(field.options.features) }
        var features = parent
        if field.label == .required { features.fieldPresence = .legacyRequired }
        if field.type == .group { features.messageEncoding = .delimited }
        if field.options.packed { features.repeatedFieldEncoding = .packed }
        if edition == .proto3, field.options.hasPacked, !field.options.packed {
            features.repeatedFieldEncoding = .expanded
        }
        return features
    }
}
