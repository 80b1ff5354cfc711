import Foundation
import Logging
import NIOCore
import NIOPosix
import Upstream

/// Everything a call delivered, copied out of the event loop.
struct CallOutcome: Sendable {
    var headers: [(name: String, value: String)]?
    var messages: [[UInt8]]
    var status: GRPCStatus
    var trailers: [(name: String, value: String)]
    /// How many times `didFinishWith` was called (must be 1).
    var finishCount: Int
    /// Callbacks delivered after `didFinishWith` (must be 0).
    var eventsAfterFinish: Int

    var messageStrings: [String] { self.messages.map { String(decoding: $0, as: UTF8.self) } }

    func header(_ name: String) -> String? { self.headers?.first { $0.name == name }?.value }
    func trailer(_ name: String) -> String? { self.trailers.first { $0.name == name }?.value }
}

/// A delegate that records every event and completes a promise at `didFinishWith`.
/// Optional hooks run on the loop to drive streaming calls.
final class RecordingDelegate: UpstreamCallDelegate {
    private var headers: [(name: String, value: String)]?
    private var messages: [[UInt8]] = []
    private var finishCount = 0
    private var eventsAfterFinish = 0
    let promise: EventLoopPromise<CallOutcome>
    var onMessage: ((UpstreamCall, [UInt8]) -> Void)?
    var onDrained: ((UpstreamCall) -> Void)?
    /// Whether `didFinishWith` was called.
    var hasFinished: Bool { self.finishCount > 0 }
    /// Messages received so far.
    var receivedCount: Int { self.messages.count }

    init(promise: EventLoopPromise<CallOutcome>) {
        self.promise = promise
    }

    func upstreamCall(_ call: UpstreamCall, didReceiveHeaders headers: [(name: String, value: String)]) {
        if self.finishCount > 0 || self.headers != nil { self.eventsAfterFinish += 1 }
        self.headers = headers
    }

    func upstreamCall(_ call: UpstreamCall, didReceiveMessage message: ByteBuffer) {
        if self.finishCount > 0 { self.eventsAfterFinish += 1 }
        let bytes = Array(message.readableBytesView)
        self.messages.append(bytes)
        self.onMessage?(call, bytes)
    }

    func upstreamCallSendBufferDrained(_ call: UpstreamCall) {
        if self.finishCount > 0 { self.eventsAfterFinish += 1 }
        self.onDrained?(call)
    }

    func upstreamCall(_ call: UpstreamCall, didFinishWith status: GRPCStatus, trailers: [(name: String, value: String)])
    {
        self.finishCount += 1
        // Hooks usually capture this delegate; dropping them breaks the cycle.
        self.onMessage = nil
        self.onDrained = nil
        let outcome = CallOutcome(
            headers: self.headers,
            messages: self.messages,
            status: status,
            trailers: trailers,
            finishCount: self.finishCount,
            eventsAfterFinish: self.eventsAfterFinish
        )
        if self.finishCount == 1 {
            // Complete on a later tick so a second (buggy) finish in the same tick is still counted.
            call.eventLoop.assumeIsolated().execute {
                var final = outcome
                final.finishCount = self.finishCount
                final.eventsAfterFinish = self.eventsAfterFinish
                self.promise.succeed(final)
            }
        }
    }
}

/// One client on its own single-thread event loop, driven from async tests.
final class ClientHarness: Sendable {
    let group: MultiThreadedEventLoopGroup
    let loop: any EventLoop
    let client: NIOLoopBound<UpstreamClient>
    let port: Int

    init(port: Int, configuration: UpstreamConfiguration = ClientHarness.testConfiguration) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        self.group = group
        self.loop = loop
        self.port = port
        self.client = try await loop.submit {
            var logger = Logger(label: "upstream-test")
            logger.logLevel = ProcessInfo.processInfo.environment["UPSTREAM_TEST_LOG"] == "debug" ? .debug : .warning
            let client = UpstreamClient(
                target: UpstreamTarget(host: "127.0.0.1", port: port),
                eventLoop: loop,
                configuration: configuration,
                logger: logger
            )
            return NIOLoopBound(client, eventLoop: loop)
        }.get()
    }

    static var testConfiguration: UpstreamConfiguration {
        var configuration = UpstreamConfiguration.defaults
        configuration.connectTimeout = .seconds(2)
        configuration.reconnectBackoffInitial = .milliseconds(20)
        configuration.reconnectBackoffMax = .milliseconds(50)
        return configuration
    }

    /// Starts a call on the loop; `drive` sends its messages (the default sends `messages` then
    /// half-closes). Returns the call's outcome.
    func call(
        _ method: String,
        messages: [[UInt8]] = [],
        metadata: [(name: String, value: String)] = [],
        timeout: TimeAmount? = .seconds(10),
        drive: (@Sendable (UpstreamCall, RecordingDelegate) -> Void)? = nil
    ) -> EventLoopFuture<CallOutcome> {
        let client = self.client
        return self.loop.flatSubmit {
            let delegate = RecordingDelegate(promise: client.eventLoop.makePromise())
            let call = client.value.startCall(
                path: "/\(RawTestService.service)/\(method)",
                metadata: metadata,
                timeout: timeout,
                delegate: delegate
            )
            if let drive {
                drive(call, delegate)
            } else {
                for message in messages { call.send(message: ByteBuffer(bytes: message)) }
                call.finish()
            }
            return delegate.promise.futureResult
        }
    }

    func unary(_ method: String, _ text: String, timeout: TimeAmount? = .seconds(10)) async throws -> CallOutcome {
        try await withTimeout { try await self.call(method, messages: [Array(text.utf8)], timeout: timeout).get() }
    }

    var connectionCount: Int {
        get async throws {
            let client = self.client
            return try await self.loop.submit { client.value.connectionCount }.get()
        }
    }

    func shutdown() async throws {
        let client = self.client
        try await self.loop.flatSubmit { client.value.close() }.get()
        try await self.group.shutdownGracefully()
    }
}

/// Runs `body`, failing if it takes longer than `seconds`: tests must never hang.
func withTimeout<T: Sendable>(
    seconds: Double = 20,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw TestFailure("timed out after \(seconds) s")
        }
        let result = try await group.next()!
        group.cancelAll()
        return result
    }
}
