import Foundation
import NIOCore
import ProtoSchema
import SwiftProtobuf
import Transcoding

/// JSON→binary and binary→JSON for the small, medium and large messages: Portico's
/// descriptor-driven codec against swift-protobuf's generated code on the same messages.
///
/// "JSON→binary" is a whole request transcoding for both: parse the JSON, produce wire bytes
/// (swift-protobuf decodes into its generated struct, then serializes it). "binary→JSON" is the
/// reverse. Throughput is the JSON text's size over the time, in both directions.
struct JSONBenchmark {
    let pool: DescriptorPool
    let type: MessageID

    init(descriptorSet: String) throws {
        pool = try DescriptorPool(serializedSets: [Array(try Data(contentsOf: URL(fileURLWithPath: descriptorSet)))])
        guard let type = pool.messageID(named: "protobuf_test_messages.proto3.TestAllTypesProto3") else {
            throw BenchmarkError("TestAllTypesProto3 is not in \(descriptorSet)")
        }
        self.type = type
    }

    /// One row per message size and direction.
    func run() throws -> [[String]] {
        var rows: [[String]] = []
        for (name, message) in [
            ("small", JSONMessages.small), ("medium", JSONMessages.medium), ("large", JSONMessages.large),
        ] {
            let json: [UInt8] = try message.jsonUTF8Bytes()
            let binary: [UInt8] = try message.serializedBytes()
            try check(message, json: json, binary: binary)
            let size = "\(json.count) B JSON, \(binary.count) B binary"

            let jsonBuffer = ByteBuffer(bytes: json)
            let binaryBuffer = ByteBuffer(bytes: binary)
            let request = RequestTranscoder(pool: pool, options: JSONCodecOptions())
            let response = ResponseTranscoder(pool: pool, options: JSONCodecOptions())
            var out = ByteBuffer()
            out.reserveCapacity(json.count * 2)

            let oursIn = try measure {
                out.clear()
                try request.encode(json: jsonBuffer, as: type, into: &out)
            }
            let theirsIn = try measure {
                let decoded = try T3(jsonUTF8Bytes: json)
                let bytes: [UInt8] = try decoded.serializedBytes()
                precondition(!bytes.isEmpty)
            }
            rows.append(row(name, size, "JSON→binary", json.count, oursIn, theirsIn))

            let oursOut = try measure {
                out.clear()
                try response.write(protobuf: binaryBuffer, as: type, into: &out)
            }
            let theirsOut = try measure {
                let decoded = try T3(serializedBytes: binary)
                let text: [UInt8] = try decoded.jsonUTF8Bytes()
                precondition(!text.isEmpty)
            }
            rows.append(row(name, size, "binary→JSON", json.count, oursOut, theirsOut))
        }
        return rows
    }

    /// Runs each direction `iterations` times on the small and medium messages, untimed.
    func profile(iterations: Int) throws {
        for message in [JSONMessages.small, JSONMessages.medium] {
            let json = ByteBuffer(bytes: try message.jsonUTF8Bytes() as [UInt8])
            let binary = ByteBuffer(bytes: try message.serializedBytes() as [UInt8])
            let request = RequestTranscoder(pool: pool, options: JSONCodecOptions())
            let response = ResponseTranscoder(pool: pool, options: JSONCodecOptions())
            var out = ByteBuffer()
            for _ in 0..<iterations {
                out.clear()
                try request.encode(json: json, as: type, into: &out)
                out.clear()
                try response.write(protobuf: binary, as: type, into: &out)
            }
        }
    }

    /// The codec whose JSON→binary ``profileDecoding(with:iterations:)`` runs.
    enum ProfiledCodec {
        case portico, swiftProtobuf
    }

    /// Runs JSON→binary `iterations` times on each of `messages` with one codec, untimed
    /// (`json-profile-decode`, `json-profile-decode-swift-protobuf`).
    func profileDecoding(with codec: ProfiledCodec, messages: [T3], iterations: Int) throws {
        for message in messages {
            let json: [UInt8] = try message.jsonUTF8Bytes()
            let buffer = ByteBuffer(bytes: json)
            let request = RequestTranscoder(pool: pool, options: JSONCodecOptions())
            var out = ByteBuffer()
            for _ in 0..<iterations {
                switch codec {
                case .portico:
                    out.clear()
                    try request.encode(json: buffer, as: type, into: &out)
                case .swiftProtobuf:
                    let bytes: [UInt8] = try T3(jsonUTF8Bytes: json).serializedBytes()
                    precondition(!bytes.isEmpty)
                }
            }
        }
    }

    /// Refuses to time a codec whose output is wrong: both directions must give back the message.
    private func check(_ message: T3, json: [UInt8], binary: [UInt8]) throws {
        var out = ByteBuffer()
        try RequestTranscoder(pool: pool, options: JSONCodecOptions()).encode(
            json: ByteBuffer(bytes: json),
            as: type,
            into: &out
        )
        guard try T3(serializedBytes: Array(out.readableBytesView)) == message else {
            throw BenchmarkError("JSON→binary does not give back the message")
        }
        out.clear()
        try ResponseTranscoder(pool: pool, options: JSONCodecOptions()).write(
            protobuf: ByteBuffer(bytes: binary),
            as: type,
            into: &out
        )
        guard try T3(jsonUTF8Bytes: Array(out.readableBytesView)) == message else {
            throw BenchmarkError("binary→JSON does not give back the message")
        }
    }

    private func row(
        _ name: String,
        _ size: String,
        _ direction: String,
        _ jsonBytes: Int,
        _ ours: Measurement,
        _ theirs: Measurement
    ) -> [String] {
        [
            "\(name) (\(size))", direction,
            format(ours), String(format: "%.1f", ours.megabytesPerSecond(bytes: jsonBytes)),
            format(theirs), String(format: "%.1f", theirs.megabytesPerSecond(bytes: jsonBytes)),
            String(format: "%.2f×", theirs.median / ours.median),
        ]
    }

    /// Header of the table ``run()`` fills.
    static let header = [
        "message", "direction", "Portico ns/msg (min–max)", "Portico MB/s",
        "swift-protobuf ns/msg (min–max)", "swift-protobuf MB/s", "speed-up",
    ]
}

/// `median (min–max)` in nanoseconds, with thousands separators.
func format(_ measurement: Measurement) -> String {
    "\(grouped(measurement.median)) (\(grouped(measurement.min))–\(grouped(measurement.max)))"
}

func grouped(_ value: Double) -> String {
    let digits = String(Int(value.rounded()))
    var result = ""
    for (i, character) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { result.append(",") }
        result.append(character)
    }
    return result
}

/// A benchmark that cannot run.
struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
