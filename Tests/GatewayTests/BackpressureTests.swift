import DemoServices
import Foundation
import Gateway
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Testing

/// Backpressure end to end: a client that stops reading stops the backend's stream, and a
/// backend slower than its client holds the client's upload back, so what is in flight stays
/// bounded by socket buffers, the HTTP/2 windows and `streaming.bufferBytes`.
@Suite("Backpressure end to end")
struct BackpressureTests {
    /// What may be in flight between the two ends: both kernel socket buffers (loopback
    /// autotuning reaches a few MiB each way), the HTTP/2 stream window and Portico's per-stream
    /// buffer. Without backpressure the figures below would be hundreds of MiB.
    static let inFlightBound = 16 << 20

    @Test func aClientThatStopsReadingStopsTheBackend() async throws {
        try await withGateway { harness in
            let client = try await StreamingTestClient.get(port: harness.gatewayPort, uri: "/v1/files/zeros-1000000000")
            var received = 0
            var events = client.events.makeAsyncIterator()
            while received < 1_000_000, let event = await events.next() {
                if case .body(let bytes) = event { received += bytes.count }
            }
            try await client.stopReading()
            // Three seconds of not reading: a stream without backpressure would run on for tens of
            // MB per second. With it, what the backend produced beyond what the client read stays
            // within the socket buffers, the HTTP/2 window and Portico's per-stream buffer (the
            // kernel may grow its buffers meanwhile, so the figure can creep, but not run away).
            try await Task.sleep(for: .seconds(3))
            let stalled = harness.observer.progress(method: "DownLoad")
            let read = client.bodyBytesRead
            #expect(stalled - read < Self.inFlightBound, "\(stalled - read) bytes in flight")
            // Reading again resumes the stream.
            try await client.resumeReading()
            while received < stalled + 5_000_000, let event = await events.next() {
                if case .body(let bytes) = event { received += bytes.count }
            }
            #expect(harness.observer.progress(method: "DownLoad") > stalled)
            await client.close()
        }
    }

    @Test func aSlowBackendHoldsTheUploadBack() async throws {
        try await withGateway { harness in
            let client = try await StreamingTestClient.start(
                port: harness.gatewayPort,
                method: .PUT,
                uri: "/v1/files/slow-upload.bin"
            )
            let chunk = [UInt8](repeating: 7, count: 64 << 10)
            let sent = NIOLockedValueBox(0)
            // Push as fast as the sockets accept; each send waits for the bytes to reach the
            // kernel, so `sent` is what the client managed to hand over.
            let pusher = Task {
                while !Task.isCancelled {
                    try await client.send(chunk)
                    sent.withLockedValue { $0 += chunk.count }
                }
            }
            let deadline = ContinuousClock.now + .seconds(10)
            while harness.observer.progress(method: "UpLoad") == 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(harness.observer.progress(method: "UpLoad") > 0)
            try await Task.sleep(for: .seconds(2))
            let backendReceived = harness.observer.progress(method: "UpLoad")
            let handedOver = sent.withLockedValue { $0 }
            pusher.cancel()
            await client.close()
            _ = await pusher.result
            #expect(
                handedOver - backendReceived < Self.inFlightBound,
                "sent \(handedOver), backend received \(backendReceived)"
            )
        }
    }
}
