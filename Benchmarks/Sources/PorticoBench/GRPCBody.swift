import Foundation
import NIOCore
import ProtoSchema
import Transcoding

/// The gRPC request body for the JSON in `jsonFile`: a 5-byte prefix (uncompressed, big-endian
/// length), then the message's protobuf bytes as Portico's request transcoder writes them.
func grpcBody(descriptorSet: String, type name: String, jsonFile: String) throws -> [UInt8] {
    let pool = try DescriptorPool(serializedSets: [Array(try Data(contentsOf: URL(fileURLWithPath: descriptorSet)))])
    guard let type = pool.messageID(named: name) else { throw BenchmarkError("\(name) is not in \(descriptorSet)") }
    let json = try Data(contentsOf: URL(fileURLWithPath: jsonFile))
    var message = ByteBuffer()
    try RequestTranscoder(pool: pool, options: JSONCodecOptions()).encode(
        json: ByteBuffer(bytes: json),
        as: type,
        into: &message
    )
    var body: [UInt8] = [0]
    body += withUnsafeBytes(of: UInt32(message.readableBytes).bigEndian) { Array($0) }
    body += message.readableBytesView
    return body
}
