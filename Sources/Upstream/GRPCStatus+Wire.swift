// How statuses are read off the wire: trailers, HTTP status codes, HTTP/2 error codes.
import TextCoding

extension GRPCStatus {
    /// Reads the status from a trailer block (or a trailers-only response's single header block).
    ///
    /// A missing or non-numeric `grpc-status` yields `UNKNOWN`; `grpc-message` is percent-decoded
    /// and `grpc-status-details-bin` base64-decoded (padding optional) as the gRPC spec requires.
    /// - Parameter trailers: The header fields, names in lower case.
    init(trailers: [(name: String, value: String)]) {
        var code: Code?
        var message = ""
        var details: [UInt8]?
        for (name, value) in trailers {
            switch name {
            case "grpc-status":
                code = Int(value).map(Code.init(rawValue:)) ?? .unknown
            case "grpc-message":
                message = PercentEncoding.grpcMessageDecoded(value)
            case "grpc-status-details-bin":
                details = Base64.decode(value)
            default:
                continue
            }
        }
        if let code {
            self.init(code: code, message: message, details: details)
        } else {
            self.init(code: .unknown, message: message.isEmpty ? "response is missing grpc-status" : message)
        }
    }
}

extension GRPCStatus.Code {
    /// Maps a non-200 HTTP `:status` to a gRPC code per gRPC's `http-grpc-status-mapping.md`.
    /// - Parameter httpStatus: The response's `:status`.
    init(httpStatus: Int) {
        switch httpStatus {
        case 400: self = .internalError
        case 401: self = .unauthenticated
        case 403: self = .permissionDenied
        case 404: self = .unimplemented
        case 429, 502, 503, 504: self = .unavailable
        default: self = .unknown
        }
    }

    /// Maps an HTTP/2 `RST_STREAM`/`GOAWAY` error code to a gRPC code per gRPC's `PROTOCOL-HTTP2.md`.
    /// - Parameter http2ErrorCode: The HTTP/2 error code (RFC 9113 §7).
    init(http2ErrorCode: UInt32) {
        switch http2ErrorCode {
        case 0x7: self = .unavailable  // REFUSED_STREAM: not processed, safe to retry
        case 0x8: self = .cancelled  // CANCEL
        case 0xb: self = .resourceExhausted  // ENHANCE_YOUR_CALM
        case 0xc: self = .permissionDenied  // INADEQUATE_SECURITY
        default: self = .internalError  // NO_ERROR before trailers, PROTOCOL_ERROR, INTERNAL_ERROR, ...
        }
    }
}
