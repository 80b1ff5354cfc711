/// Response header names and values as Strings, without allocating for the long ones every gRPC
/// backend sends on every response: a String longer than 15 bytes is a heap allocation, and
/// `application/grpc` or `grpc-accept-encoding` would be one per call.
enum ResponseHeaderText {
    /// Long texts seen on (nearly) every gRPC response, made once.
    private static let common: [String] = [
        "application/grpc", "application/grpc+proto", "grpc-accept-encoding", "identity,deflate,gzip",
        "grpc-status-details-bin", "identity,gzip,deflate", "access-control-allow-origin",
    ]
    private static let commonBytes: [[UInt8]] = common.map { Array($0.utf8) }

    /// `bytes` as a String: one of the common texts when it is one, else a new String.
    static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        if bytes.count > 15 {
            for (index, candidate) in commonBytes.enumerated()
            where candidate.count == bytes.count && candidate.elementsEqual(bytes) {
                return common[index]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
