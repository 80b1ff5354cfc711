import SwiftProtobuf

/// The language features of one protobuf element (file, message, oneof, field or enum): the six
/// core features of `google.protobuf.FeatureSet`, resolved.
///
/// Editions files (`edition = "2023"`, `"2024"`) state them: each element inherits its parent's
/// features (file → message → oneof → field; file or message → enum; an extension takes its
/// declaring scope's) and its `features` option overrides any of them. proto2 and proto3 files
/// behave as the editions `EDITION_LEGACY` and `EDITION_PROTO3` with what their syntax implies
/// (`required`, groups, `[packed = …]`, proto3 `optional`). The pool resolves them once, when it
/// is built, into the per-field flags the codecs read (``FieldDescriptor/hasPresence``,
/// ``FieldDescriptor/isPacked``, ``FieldType/group(_:)``, ``FieldDescriptor/validatesUTF8``,
/// ``EnumDescriptor/isClosed``); nothing is resolved per message.
public struct ProtoFeatures: Hashable, Sendable {
    /// `field_presence`: whether a singular scalar set to its default is kept.
    public enum FieldPresence: Hashable, Sendable {
        /// Set or not is tracked (proto2, Editions' default).
        case explicit
        /// A default value is not written (proto3).
        case implicit
        /// proto2 `required`.
        case legacyRequired
    }

    /// `enum_type`: whether numbers the enum does not declare are values.
    public enum EnumType: Hashable, Sendable {
        /// Any number is a value (proto3, Editions' default).
        case open
        /// Undeclared numbers are not values (proto2).
        case closed
    }

    /// `repeated_field_encoding` of repeated numeric and enum fields.
    public enum RepeatedFieldEncoding: Hashable, Sendable {
        /// One length-delimited record holds every value (proto3, Editions' default).
        case packed
        /// One record per value (proto2).
        case expanded
    }

    /// `utf8_validation` of `string` fields.
    public enum UTF8Validation: Hashable, Sendable {
        /// Invalid UTF-8 makes the wire bytes malformed (proto3, Editions' default).
        case verify
        /// Any bytes are the field's value (proto2).
        case none
    }

    /// `message_encoding` of message fields.
    public enum MessageEncoding: Hashable, Sendable {
        /// A length prefix and the message (the default everywhere).
        case lengthPrefixed
        /// Start- and end-group tags around the message (proto2 groups).
        case delimited
    }

    /// `json_format`: whether the schema guarantees a well-defined JSON mapping.
    public enum JSONFormat: Hashable, Sendable {
        /// protoc checked that JSON names do not conflict (proto3, Editions' default).
        case allow
        /// No such check (proto2): the codec maps names best-effort, a proto name winning over
        /// another field's JSON name.
        case legacyBestEffort
    }

    /// `field_presence`.
    public var fieldPresence: FieldPresence
    /// `enum_type`.
    public var enumType: EnumType
    /// `repeated_field_encoding`.
    public var repeatedFieldEncoding: RepeatedFieldEncoding
    /// `utf8_validation`.
    public var utf8Validation: UTF8Validation
    /// `message_encoding`.
    public var messageEncoding: MessageEncoding
    /// `json_format`.
    public var jsonFormat: JSONFormat

    /// Creates a feature set.
    public init(
        fieldPresence: FieldPresence,
        enumType: EnumType,
        repeatedFieldEncoding: RepeatedFieldEncoding,
        utf8Validation: UTF8Validation,
        messageEncoding: MessageEncoding,
        jsonFormat: JSONFormat
    ) {
        self.fieldPresence = fieldPresence
        self.enumType = enumType
        self.repeatedFieldEncoding = repeatedFieldEncoding
        self.utf8Validation = utf8Validation
        self.messageEncoding = messageEncoding
        self.jsonFormat = jsonFormat
    }

    /// The defaults of `EDITION_LEGACY`: a proto2 file.
    public static let proto2 = ProtoFeatures(
        fieldPresence: .explicit,
        enumType: .closed,
        repeatedFieldEncoding: .expanded,
        utf8Validation: .none,
        messageEncoding: .lengthPrefixed,
        jsonFormat: .legacyBestEffort
    )

    /// The defaults of `EDITION_PROTO3`: a proto3 file.
    public static let proto3 = ProtoFeatures(
        fieldPresence: .implicit,
        enumType: .open,
        repeatedFieldEncoding: .packed,
        utf8Validation: .verify,
        messageEncoding: .lengthPrefixed,
        jsonFormat: .allow
    )

    /// The defaults of `EDITION_2023`, and of `EDITION_2024` (which changes none of these six).
    public static let edition2023 = ProtoFeatures(
        fieldPresence: .explicit,
        enumType: .open,
        repeatedFieldEncoding: .packed,
        utf8Validation: .verify,
        messageEncoding: .lengthPrefixed,
        jsonFormat: .allow
    )

    /// These features with every feature `set` states replacing the inherited one (an unknown
    /// or unset value inherits).
    func merging(_ set: Google_Protobuf_FeatureSet) -> ProtoFeatures {
        var merged = self
        if set.hasFieldPresence {
            switch set.fieldPresence {
            case .explicit: merged.fieldPresence = .explicit
            case .implicit: merged.fieldPresence = .implicit
            case .legacyRequired: merged.fieldPresence = .legacyRequired
            case .unknown: break
            }
        }
        if set.hasEnumType {
            switch set.enumType {
            case .open: merged.enumType = .open
            case .closed: merged.enumType = .closed
            case .unknown: break
            }
        }
        if set.hasRepeatedFieldEncoding {
            switch set.repeatedFieldEncoding {
            case .packed: merged.repeatedFieldEncoding = .packed
            case .expanded: merged.repeatedFieldEncoding = .expanded
            case .unknown: break
            }
        }
        if set.hasUtf8Validation {
            switch set.utf8Validation {
            case .verify: merged.utf8Validation = .verify
            case .none: merged.utf8Validation = .none
            case .unknown: break
            }
        }
        if set.hasMessageEncoding {
            switch set.messageEncoding {
            case .lengthPrefixed: merged.messageEncoding = .lengthPrefixed
            case .delimited: merged.messageEncoding = .delimited
            case .unknown: break
            }
        }
        if set.hasJsonFormat {
            switch set.jsonFormat {
            case .allow: merged.jsonFormat = .allow
            case .legacyBestEffort: merged.jsonFormat = .legacyBestEffort
            case .unknown: break
            }
        }
        return merged
    }
}
