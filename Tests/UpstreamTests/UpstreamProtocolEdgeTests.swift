import NIOCore
import Testing
import Upstream

/// Responses a well-behaved gRPC server never sends, from a scripted swift-nio-http2 peer.
@Suite struct UpstreamProtocolEdgeTests {
    private func withScriptedServer(
        _ body: @Sendable (ClientHarness) async throws -> Void
    ) async throws {
        let server = try await ScriptedHTTP2Server()
        let harness = try await ClientHarness(port: server.port)
        do {
            try await body(harness)
        } catch {
            try? await harness.shutdown()
            try? await server.shutdown()
            throw error
        }
        try await harness.shutdown()
        try await server.shutdown()
    }

    private func call(_ harness: ClientHarness, _ path: String) async throws -> CallOutcome {
        try await withTimeout {
            try await harness.loop.flatSubmit {
                let delegate = RecordingDelegate(promise: harness.loop.makePromise())
                let call = harness.client.value.startCall(
                    path: path,
                    metadata: [("x-custom", "v1"), ("Authorization", "Bearer t")],
                    timeout: .milliseconds(1500),
                    delegate: delegate
                )
                call.send(message: ByteBuffer(string: "request"))
                call.finish()
                return delegate.promise.futureResult
            }.get()
        }
    }

    @Test func requestHeadersFollowTheGRPCSpec() async throws {
        try await self.withScriptedServer { harness in
            let outcome = try await self.call(harness, "/t/echoHeaders")
            #expect(outcome.status == .ok)
            let lines = Set(outcome.messageStrings.first?.split(separator: "\n").map(String.init) ?? [])
            #expect(lines.contains(":method: POST"))
            #expect(lines.contains(":scheme: http"))
            #expect(lines.contains(":path: /t/echoHeaders"))
            #expect(lines.contains(":authority: 127.0.0.1:\(harness.port)"))
            #expect(lines.contains("content-type: application/grpc"))
            #expect(lines.contains("te: trailers"))
            #expect(lines.contains("user-agent: portico-upstream"))
            #expect(lines.contains("x-custom: v1"))
            #expect(lines.contains("authorization: Bearer t"))
            let timeout = lines.first { $0.hasPrefix("grpc-timeout: ") }
            #expect(timeout != nil)
            // Sent from the remaining time, so a little under 1500 ms, in microseconds or finer.
            #expect(timeout.map { $0.hasSuffix("u") || $0.hasSuffix("n") || $0 == "grpc-timeout: 1500m" } == true)
        }
    }

    @Test func nonOKHTTPStatusIsMapped() async throws {
        try await self.withScriptedServer { harness in
            let outcome = try await self.call(harness, "/t/http503")
            #expect(outcome.status.code == .unavailable)
            #expect(outcome.status.message.contains("503"))
        }
    }

    @Test func wrongContentTypeIsUnknown() async throws {
        try await self.withScriptedServer { harness in
            let outcome = try await self.call(harness, "/t/badContentType")
            #expect(outcome.status.code == .unknown)
            #expect(outcome.messages.isEmpty)
        }
    }

    @Test func compressedMessageWithoutNegotiationIsInternal() async throws {
        try await self.withScriptedServer { harness in
            let outcome = try await self.call(harness, "/t/compressed")
            #expect(outcome.status.code == .internalError)
            #expect(outcome.messages.isEmpty)
        }
    }

    @Test func gzipResponsesAreInflatedAndBombsAndGarbageRefused() async throws {
        try await self.withScriptedServer { harness in
            let inflated = try await self.call(harness, "/t/gzip")
            #expect(inflated.status.code == .ok)
            #expect(inflated.messageStrings == ["inflated!"])
            let bomb = try await self.call(harness, "/t/gzipBomb")
            #expect(bomb.status.code == .internalError)
            #expect(bomb.status.message.contains("more than"), "\(bomb.status)")
            let corrupt = try await self.call(harness, "/t/gzipCorrupt")
            #expect(corrupt.status.code == .internalError)
            #expect(corrupt.messages.isEmpty)
        }
    }

    @Test func everyCallAcceptsGzip() async throws {
        try await self.withScriptedServer { harness in
            let outcome = try await self.call(harness, "/t/echoHeaders")
            #expect(outcome.messageStrings.first?.contains("grpc-accept-encoding: gzip") == true)
        }
    }

    @Test func aRefusedStreamIsRetriedOnceWithItsRequest() async throws {
        for path in ["/t/refusedOnce", "/t/goAwayUnprocessedOnce"] {
            try await self.withScriptedServer { harness in
                let outcome = try await self.call(harness, path)
                #expect(outcome.status.code == .ok, "\(path): \(outcome.status)")
                #expect(
                    outcome.messageStrings.first?.hasSuffix("request") == true,
                    "\(path): \(outcome.messageStrings)"
                )
            }
        }
    }

    @Test func oversizedResponseMetadataIsResourceExhausted() async throws {
        try await self.withScriptedServer { harness in
            let outcome = try await self.call(harness, "/t/hugeHeaders")
            #expect(outcome.status.code == .resourceExhausted, "\(outcome.status)")
            #expect(outcome.messages.isEmpty)
        }
    }

    @Test func streamEndingWithoutTrailersIsInternal() async throws {
        try await self.withScriptedServer { harness in
            let outcome = try await self.call(harness, "/t/noTrailers")
            #expect(outcome.status.code == .internalError)
            #expect(outcome.messageStrings == ["lonely"])
        }
    }

    @Test func trailersWithoutGrpcStatusAreUnknown() async throws {
        try await self.withScriptedServer { harness in
            let outcome = try await self.call(harness, "/t/missingStatus")
            #expect(outcome.status.code == .unknown)
            #expect(outcome.status.message == "who knows")
        }
    }

    @Test func truncatedMessageIsInternal() async throws {
        try await self.withScriptedServer { harness in
            let outcome = try await self.call(harness, "/t/truncated")
            #expect(outcome.status.code == .internalError)
        }
    }

    @Test func refusedStreamIsUnavailable() async throws {
        try await self.withScriptedServer { harness in
            let outcome = try await self.call(harness, "/t/refused")
            #expect(outcome.status.code == .unavailable)
            #expect(outcome.finishCount == 1)
        }
    }

    @Test func goAwayFinishesTheCallAndMovesToAFreshConnection() async throws {
        try await self.withScriptedServer { harness in
            let first = try await self.call(harness, "/t/goAway")
            #expect(first.status == .ok)
            #expect(first.messageStrings == ["after-goaway"])
            let second = try await self.call(harness, "/t/echoHeaders")
            #expect(second.status == .ok)
            #expect(try await harness.connectionCount == 2)
        }
    }
}
