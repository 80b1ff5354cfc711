import NIOCore

/// The messages of gRPC server reflection (`Protos/grpc/reflection/v1/reflection.proto`; v1alpha
/// is the same on the wire), encoded and decoded by hand: Portico asks three questions and reads
/// four kinds of answer, which a few lines say exactly, where generated code would bring two
/// copies (v1, v1alpha) of nine message types.
enum ReflectionMessages {
    /// A `ServerReflectionRequest`.
    enum Question: Hashable, Sendable {
        /// `list_services` (7).
        case listServices
        /// `file_by_filename` (3).
        case fileByName(String)
        /// `file_containing_symbol` (4).
        case fileContainingSymbol(String)

        /// The serialized request (`host` left empty).
        var serialized: ByteBuffer {
            var buffer = ByteBuffer()
            switch self {
            case .listServices: Self.write(field: 7, "", to: &buffer)
            case .fileByName(let name): Self.write(field: 3, name, to: &buffer)
            case .fileContainingSymbol(let symbol): Self.write(field: 4, symbol, to: &buffer)
            }
            return buffer
        }

        private static func write(field: UInt64, _ text: String, to buffer: inout ByteBuffer) {
            ReflectionMessages.writeVarint(field << 3 | 2, to: &buffer)
            ReflectionMessages.writeVarint(UInt64(text.utf8.count), to: &buffer)
            buffer.writeString(text)
        }
    }

    /// Writes a base-128 varint (a tag, a length).
    static func writeVarint(_ value: UInt64, to buffer: inout ByteBuffer) {
        var value = value
        while value >= 0x80 {
            buffer.writeInteger(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        buffer.writeInteger(UInt8(value))
    }

    /// The part of a `ServerReflectionResponse` Portico reads.
    enum Answer: Equatable, Sendable {
        /// `file_descriptor_response` (4): serialized FileDescriptorProtos.
        case files([[UInt8]])
        /// `list_services_response` (6): the services' full names.
        case services([String])
        /// `error_response` (7): a gRPC status code and message.
        case error(code: Int, message: String)
        /// Anything else (`all_extension_numbers_response`, or nothing).
        case other
    }

    /// A message that is not a well-formed protobuf message.
    struct MalformedAnswer: Error {}

    /// Decodes a `ServerReflectionResponse`.
    /// - Throws: ``MalformedAnswer`` when the bytes are not a protobuf message.
    static func answer(_ message: ByteBuffer) throws(MalformedAnswer) -> Answer {
        var reader = Reader(bytes: Array(message.readableBytesView)[...])
        var answer = Answer.other
        while let (field, wireType) = try reader.nextTag() {
            guard wireType == 2, [4, 6, 7].contains(field) else {
                try reader.skip(wireType)
                continue
            }
            var inner = Reader(bytes: try reader.readDelimited())
            switch field {
            case 4:
                var files: [[UInt8]] = []
                while let (innerField, innerType) = try inner.nextTag() {
                    if innerField == 1, innerType == 2 {
                        files.append(Array(try inner.readDelimited()))
                    } else {
                        try inner.skip(innerType)
                    }
                }
                answer = .files(files)
            case 6:
                var services: [String] = []
                while let (innerField, innerType) = try inner.nextTag() {
                    guard innerField == 1, innerType == 2 else {
                        try inner.skip(innerType)
                        continue
                    }
                    // ServiceResponse { string name = 1; }
                    var service = Reader(bytes: try inner.readDelimited())
                    while let (nameField, nameType) = try service.nextTag() {
                        if nameField == 1, nameType == 2 {
                            services.append(String(decoding: try service.readDelimited(), as: UTF8.self))
                        } else {
                            try service.skip(nameType)
                        }
                    }
                }
                answer = .services(services)
            default:
                var code = 2
                var text = ""
                while let (innerField, innerType) = try inner.nextTag() {
                    switch (innerField, innerType) {
                    case (1, 0): code = Int(truncatingIfNeeded: try inner.readVarint())
                    case (2, 2): text = String(decoding: try inner.readDelimited(), as: UTF8.self)
                    default: try inner.skip(innerType)
                    }
                }
                answer = .error(code: code, message: text)
            }
        }
        return answer
    }

    /// Reads protobuf fields from bytes.
    private struct Reader {
        var bytes: ArraySlice<UInt8>

        mutating func readVarint() throws(MalformedAnswer) -> UInt64 {
            var value: UInt64 = 0
            for shift in stride(from: 0, to: 64, by: 7) {
                guard let byte = bytes.popFirst() else { throw MalformedAnswer() }
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
            }
            throw MalformedAnswer()
        }

        mutating func nextTag() throws(MalformedAnswer) -> (field: UInt64, wireType: UInt64)? {
            guard !bytes.isEmpty else { return nil }
            let tag = try readVarint()
            guard tag >> 3 != 0 else { throw MalformedAnswer() }
            return (tag >> 3, tag & 7)
        }

        mutating func readDelimited() throws(MalformedAnswer) -> ArraySlice<UInt8> {
            let length = try readVarint()
            guard length <= UInt64(bytes.count) else { throw MalformedAnswer() }
            defer { bytes = bytes.dropFirst(Int(length)) }
            return bytes.prefix(Int(length))
        }

        mutating func skip(_ wireType: UInt64) throws(MalformedAnswer) {
            switch wireType {
            case 0: _ = try readVarint()
            case 1: try drop(8)
            case 2: _ = try readDelimited()
            case 5: try drop(4)
            default: throw MalformedAnswer()
            }
        }

        private mutating func drop(_ count: Int) throws(MalformedAnswer) {
            guard bytes.count >= count else { throw MalformedAnswer() }
            bytes = bytes.dropFirst(count)
        }
    }
}
