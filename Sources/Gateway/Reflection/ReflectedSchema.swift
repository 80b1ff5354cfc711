import NIOCore

/// What one backend's gRPC server reflection said: the services it offers and every file they
/// need, imports included. Plain data: the ``SnapshotBuilder`` reads it like a descriptor set.
public struct ReflectedSchema: Sendable, Equatable {
    /// The services the backend listed, sorted, without gRPC's own (`grpc.*`: reflection,
    /// health), which Portico never routes from reflection.
    public var services: [String]
    /// Every file the services need, transitively: serialized FileDescriptorProtos by file name.
    public var files: [String: [UInt8]]
    /// The reflection version that answered: `v1` or `v1alpha`.
    public var version: String

    /// Creates a schema.
    public init(services: [String], files: [String: [UInt8]], version: String) {
        self.services = services
        self.files = files
        self.version = version
    }

    /// The files as one serialized FileDescriptorSet (`repeated FileDescriptorProto file = 1`),
    /// in name order.
    var descriptorSet: [UInt8] {
        var buffer = ByteBuffer()
        for (_, file) in files.sorted(by: { $0.key < $1.key }) {
            ReflectionMessages.writeVarint(1 << 3 | 2, to: &buffer)
            ReflectionMessages.writeVarint(UInt64(file.count), to: &buffer)
            buffer.writeBytes(file)
        }
        return Array(buffer.readableBytesView)
    }

    /// Whether a service listed by reflection is one of gRPC's own, never routed from reflection.
    static func isInfrastructure(_ service: String) -> Bool {
        service.hasPrefix("grpc.")
    }
}

/// Why a backend's schema could not be fetched by reflection.
public struct ReflectionError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: Sendable {
        /// The call failed (unreachable backend, deadline, reset): retried with backoff.
        case callFailed
        /// The backend does not serve reflection (`UNIMPLEMENTED` for both versions).
        case unimplemented
        /// The backend answered something reflection does not allow (an error answer, a file
        /// that is not a FileDescriptorProto, imports it cannot name).
        case badAnswer
    }

    /// The kind of failure.
    public var code: Code
    /// What happened, for logs and `/readyz`.
    public var message: String
    /// The gRPC status of the failed call, when there was one.
    public var cause: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// The message.
    public var description: String { message }
}
