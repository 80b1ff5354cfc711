/// A `google.api.HttpRule`: how one REST route maps onto a gRPC method.
///
/// Built from the `google.api.http` method option or from a `Gateway.yaml` `http.rules` entry;
/// the two sources produce the same value so that ``Routing`` treats them alike.
public struct HttpRule: Hashable, Sendable {
    /// The method this rule applies to (`package.Service.Method`); empty inside annotations.
    public var selector: String
    /// The HTTP verb in upper case (`GET`, `POST`, ... or a `custom` kind such as `HEAD` or `*`).
    public var verb: String
    /// The URL path template (`/v1/users/{id}`).
    public var path: String
    /// `"*"`, a top-level request field name, or empty for no body.
    public var body: String
    /// A top-level response field to use as the HTTP body, or empty for the whole message.
    public var responseBody: String
    /// Further bindings of the same method (one level deep).
    public var additionalBindings: [HttpRule]

    /// Creates a rule.
    public init(
        selector: String = "",
        verb: String,
        path: String,
        body: String = "",
        responseBody: String = "",
        additionalBindings: [HttpRule] = []
    ) {
        self.selector = selector
        self.verb = verb
        self.path = path
        self.body = body
        self.responseBody = responseBody
        self.additionalBindings = additionalBindings
    }
}

extension HttpRule {
    /// Field number of the `google.api.http` extension of `google.protobuf.MethodOptions`.
    static let extensionFieldNumber: UInt64 = 72_295_728

    /// Decodes a serialized `google.api.HttpRule`.
    ///
    /// The rule is decoded by hand because the annotation arrives as an unknown extension of
    /// `MethodOptions`: the pool is built before any generated `google.api` types could register.
    /// - Throws: ``WireFormatError`` when the bytes are not a valid `HttpRule`.
    init(serialized bytes: ArraySlice<UInt8>) throws(WireFormatError) {
        var reader = WireReader(bytes)
        var rule = HttpRule(verb: "", path: "")
        while let (number, wireType) = try reader.nextTag() {
            switch (number, wireType) {
            case (1, .lengthDelimited): rule.selector = try reader.readString()
            case (2, .lengthDelimited): (rule.verb, rule.path) = ("GET", try reader.readString())
            case (3, .lengthDelimited): (rule.verb, rule.path) = ("PUT", try reader.readString())
            case (4, .lengthDelimited): (rule.verb, rule.path) = ("POST", try reader.readString())
            case (5, .lengthDelimited): (rule.verb, rule.path) = ("DELETE", try reader.readString())
            case (6, .lengthDelimited): (rule.verb, rule.path) = ("PATCH", try reader.readString())
            case (7, .lengthDelimited): rule.body = try reader.readString()
            case (8, .lengthDelimited):
                var custom = WireReader(try reader.readLengthDelimited())
                while let (customNumber, customWireType) = try custom.nextTag() {
                    switch (customNumber, customWireType) {
                    case (1, .lengthDelimited): rule.verb = try custom.readString().uppercased()
                    case (2, .lengthDelimited): rule.path = try custom.readString()
                    default: try custom.skip(customWireType)
                    }
                }
            case (11, .lengthDelimited):
                rule.additionalBindings.append(try HttpRule(serialized: try reader.readLengthDelimited()))
            case (12, .lengthDelimited): rule.responseBody = try reader.readString()
            default: try reader.skip(wireType)
            }
        }
        self = rule
    }

    /// Finds and decodes the `google.api.http` extension in serialized unknown fields of
    /// `MethodOptions`. Returns nil when the option is absent.
    static func fromMethodOptionsUnknownFields(_ bytes: [UInt8]) throws(WireFormatError) -> HttpRule? {
        var reader = WireReader(bytes[...])
        var found: HttpRule?
        while let (number, wireType) = try reader.nextTag() {
            if number == extensionFieldNumber, wireType == .lengthDelimited {
                found = try HttpRule(serialized: try reader.readLengthDelimited())
            } else {
                try reader.skip(wireType)
            }
        }
        return found
    }
}
