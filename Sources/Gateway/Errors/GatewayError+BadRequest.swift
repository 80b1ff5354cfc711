import NIOCore
import Routing
import Transcoding
import Upstream

extension GatewayError {
    /// The `google.rpc.BadRequest` detail type URL.
    static let badRequestTypeURL = "type.googleapis.com/google.rpc.BadRequest"

    /// The field a client's bad input concerns, as a `google.rpc.BadRequest.FieldViolation`: the
    /// JSON path of a transcoding error (`nested.tags[2]`, `counts["k"]`) or the name of a bad
    /// query parameter. Nil for other errors.
    var fieldViolation: (field: String, description: String)? {
        guard code == .invalidArgument else { return nil }
        if let error = cause as? TranscodingError, !error.fieldPath.isEmpty {
            return (error.fieldPath, error.message)
        }
        if let error = cause as? RoutingError, let parameter = error.parameter {
            return (parameter, error.message)
        }
        return nil
    }

    /// Writes the `details` list holding one `google.rpc.BadRequest` with `violation`, in the
    /// Any JSON form (`fieldViolations`, or `field_violations` with proto names).
    func writeBadRequestDetails(
        _ violation: (field: String, description: String),
        protoNames: Bool,
        into buffer: inout ByteBuffer
    ) {
        buffer.writeStaticString("[{\"@type\":")
        JSONWriter.writeString(Self.badRequestTypeURL, into: &buffer)
        buffer.writeString(protoNames ? ",\"field_violations\":[{\"field\":" : ",\"fieldViolations\":[{\"field\":")
        JSONWriter.writeString(violation.field, into: &buffer)
        buffer.writeStaticString(",\"description\":")
        JSONWriter.writeString(violation.description, into: &buffer)
        buffer.writeStaticString("}]}]")
    }
}
