import GRPCCore
import GRPCNIOTransportHTTP2
import Synchronization

/// Pass-through serializer: messages are raw bytes.
struct RawSerializer: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }
}

/// Pass-through deserializer: messages are raw bytes.
struct RawDeserializer: MessageDeserializer {
    func deserialize<Bytes: GRPCContiguousBytes>(_ bytes: Bytes) throws -> [UInt8] {
        bytes.withUnsafeBytes { Array($0) }
    }
}

/// A grpc-swift-2 service on raw bytes, service name `test.Raw`:
/// - `Echo`: echoes every request message as it arrives (unary and bidi); request metadata whose
///   name starts with `x-` comes back as response metadata, and trailer `x-trailer: done`.
/// - `Fail`: request `"<code>:<message>"`; answers trailers-only with that status.
/// - `FailAfterMessage`: one message `"partial"`, then the status from `"<code>:<message>"`.
/// - `ServerStream`: request is `"N"` or `"N:size"`; sends N messages `"message-<i>"`, padded
///   with dots to `size` bytes.
/// - `Collect`: client streaming; answers the concatenation of all request messages.
/// - `Slow`: request is milliseconds to sleep; counts cancellations it observes.
/// - `SlowCollect`: client streaming like `Collect`, but sleeps `x-delay-ms` (metadata) after
///   taking each request message, so the client's send buffer backs up.
/// - `Count`: client streaming; answers `"<messages>:<bytes>:<checksum>"` without keeping the
///   bytes (checksum: wrapping sum of byte × (1-based position in the stream) over the first and
///   last byte of every message).
struct RawTestService: RegistrableRPCService {
    static let service = "test.Raw"

    /// Number of `Slow` calls that saw their task cancelled.
    let cancellations = Counter()
    /// Number of `Slow` calls that started.
    let slowStarted = Counter()
    /// Messages `ServerStream` has handed to the transport.
    let streamed = Counter()

    final class Counter: Sendable {
        private let value = Mutex(0)
        func increment() { self.value.withLock { $0 += 1 } }
        var current: Int { self.value.withLock { $0 } }
    }

    private static func method(_ name: String) -> MethodDescriptor {
        MethodDescriptor(fullyQualifiedService: service, method: name)
    }

    private static func parseStatus(_ bytes: [UInt8]) -> RPCError {
        let text = String(decoding: bytes, as: UTF8.self)
        let parts = text.split(separator: ":", maxSplits: 1)
        let code = Status.Code(rawValue: Int(parts.first ?? "") ?? 2).flatMap(RPCError.Code.init) ?? .unknown
        return RPCError(code: code, message: parts.count > 1 ? String(parts[1]) : "")
    }

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        let cancellations = self.cancellations
        let slowStarted = self.slowStarted
        let streamed = self.streamed

        router.registerHandler(
            forMethod: Self.method("Echo"),
            deserializer: RawDeserializer(),
            serializer: RawSerializer()
        ) { request, _ in
            var echoed: Metadata = [:]
            for (key, value) in request.metadata where key.hasPrefix("x-") {
                if case .string(let text) = value { echoed.addString(text, forKey: key) }
            }
            return StreamingServerResponse(metadata: echoed) { writer in
                for try await message in request.messages {
                    try await writer.write(message)
                }
                return ["x-trailer": "done"]
            }
        }

        router.registerHandler(
            forMethod: Self.method("Fail"),
            deserializer: RawDeserializer(),
            serializer: RawSerializer()
        ) { request, _ in
            var status: RPCError?
            for try await message in request.messages { status = Self.parseStatus(message) }
            return StreamingServerResponse(error: status ?? RPCError(code: .invalidArgument, message: "no request"))
        }

        router.registerHandler(
            forMethod: Self.method("FailAfterMessage"),
            deserializer: RawDeserializer(),
            serializer: RawSerializer()
        ) { request, _ in
            var status: RPCError?
            for try await message in request.messages { status = Self.parseStatus(message) }
            let error = status ?? RPCError(code: .invalidArgument, message: "no request")
            return StreamingServerResponse { writer in
                try await writer.write(Array("partial".utf8))
                throw error
            }
        }

        router.registerHandler(
            forMethod: Self.method("ServerStream"),
            deserializer: RawDeserializer(),
            serializer: RawSerializer()
        ) { request, _ in
            var count = 0
            var size = 0
            for try await message in request.messages {
                let parts = String(decoding: message, as: UTF8.self).split(separator: ":")
                count = Int(parts.first ?? "") ?? 0
                size = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            }
            return StreamingServerResponse { [count, size] writer in
                for index in 0..<count {
                    var bytes = Array("message-\(index)".utf8)
                    if bytes.count < size { bytes += Array(repeating: UInt8(ascii: "."), count: size - bytes.count) }
                    try await writer.write(bytes)
                    streamed.increment()
                }
                return [:]
            }
        }

        router.registerHandler(
            forMethod: Self.method("Collect"),
            deserializer: RawDeserializer(),
            serializer: RawSerializer()
        ) { request, _ in
            var all: [UInt8] = []
            for try await message in request.messages { all += message }
            return StreamingServerResponse { [all] writer in
                try await writer.write(all)
                return [:]
            }
        }

        router.registerHandler(
            forMethod: Self.method("SlowCollect"),
            deserializer: RawDeserializer(),
            serializer: RawSerializer()
        ) { request, _ in
            var delay = 0
            for text in request.metadata[stringValues: "x-delay-ms"] { delay = Int(text) ?? 0 }
            var all: [UInt8] = []
            for try await message in request.messages {
                all += message
                try await Task.sleep(for: .milliseconds(delay))
            }
            return StreamingServerResponse { [all] writer in
                try await writer.write(all)
                return [:]
            }
        }

        router.registerHandler(
            forMethod: Self.method("Count"),
            deserializer: RawDeserializer(),
            serializer: RawSerializer()
        ) { request, _ in
            var messages = 0
            var bytes = 0
            var checksum: UInt64 = 0
            for try await message in request.messages {
                // Sampled (first and last byte), so the server stays cheap for benchmarks.
                if let first = message.first, let last = message.last {
                    checksum &+= UInt64(first) &* UInt64(bytes + 1) &+ UInt64(last) &* UInt64(bytes + message.count)
                }
                messages += 1
                bytes += message.count
            }
            return StreamingServerResponse { [messages, bytes, checksum] writer in
                try await writer.write(Array("\(messages):\(bytes):\(checksum)".utf8))
                return [:]
            }
        }

        router.registerHandler(
            forMethod: Self.method("Slow"),
            deserializer: RawDeserializer(),
            serializer: RawSerializer()
        ) { request, context in
            var milliseconds = 0
            for try await message in request.messages {
                milliseconds = Int(String(decoding: message, as: UTF8.self)) ?? 0
            }
            slowStarted.increment()
            // grpc-swift reports a client's RST_STREAM through the RPC cancellation handle.
            let cancelled = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask { [milliseconds] in
                    try await Task.sleep(for: .milliseconds(milliseconds))
                    return false
                }
                group.addTask {
                    try await context.cancellation.cancelled
                    return true
                }
                let first = try await group.next()!
                group.cancelAll()
                return first
            }
            if cancelled {
                cancellations.increment()
                throw RPCError(code: .cancelled, message: "cancelled by the client")
            }
            return StreamingServerResponse { writer in
                try await writer.write(Array("slept".utf8))
                return [:]
            }
        }
    }
}

/// A running grpc-swift-2 server with ``RawTestService`` on 127.0.0.1.
struct TestServer: Sendable {
    let server: GRPCServer<HTTP2ServerTransport.Posix>
    let task: Task<Void, any Error>
    let port: Int
    let service: RawTestService

    /// Starts a server; `port` 0 picks a free port.
    static func start(
        port: Int = 0,
        service: RawTestService = RawTestService(),
        config: HTTP2ServerTransport.Posix.Config = .defaults
    ) async throws -> TestServer {
        let server = GRPCServer(
            transport: .http2NIOPosix(
                address: .ipv4(host: "127.0.0.1", port: port),
                transportSecurity: .plaintext,
                config: config
            ),
            services: [service]
        )
        let task = Task { try await server.serve() }
        guard let address = try await server.listeningAddress, let ipv4 = address.ipv4 else {
            task.cancel()
            throw TestFailure("server did not report an IPv4 listening address")
        }
        return TestServer(server: server, task: task, port: ipv4.port, service: service)
    }

    /// Stops the server abruptly: open connections are closed, in-flight calls are not awaited.
    func kill() async {
        self.task.cancel()
        _ = try? await self.task.value
    }

    /// Stops the server gracefully (GOAWAY, in-flight calls finish).
    func stop() async {
        self.server.beginGracefulShutdown()
        _ = try? await self.task.value
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
