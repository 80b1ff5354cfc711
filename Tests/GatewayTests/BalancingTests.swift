import DemoServices
import Foundation
import Gateway
import NIOCore
import NIOHTTP1
import Testing

/// Several instances behind one backend: balancing, passive ejection, failover of calls that never
/// reached a backend, rejoining, and the per-backend concurrency limit.
@Suite("Backends with several endpoints")
struct BalancingTests {
    @Test func roundRobinSpreadsCallsEvenly() async throws {
        try await withBackends(count: 3) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            for _ in 0..<300 {
                let response = try await client.send(.GET, "/v1/users/1")
                #expect(response.status == 200)
            }
            #expect(harness.getUserCounts == [100, 100, 100])
        }
    }

    @Test func aKilledInstanceCostsNoErrorsAndRejoinsWhenBack() async throws {
        let ejection = "ejection: { afterFailures: 1, time: 300ms, maxTime: 300ms }"
        try await withBackends(count: 3, backendExtra: ejection) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            for _ in 0..<30 { _ = try await client.send(.GET, "/v1/users/1") }
            await harness.stop(1)
            let before = harness.getUserCounts
            // Nothing was in flight on the stopped instance, so no call may fail: a call sent to
            // it finds the connection gone, its connect refused, and moves to another endpoint.
            for i in 0..<200 {
                let response = try await client.send(.GET, "/v1/users/1")
                #expect(response.status == 200, "call \(i): \(response.text)")
            }
            let during = zip(harness.getUserCounts, before).map { $0 - $1 }
            #expect(during[1] == 0)
            #expect(during[0] + during[2] == 200)
            #expect(abs(during[0] - during[2]) <= 20, "\(during)")
            // Back on its port: after the ejection time it takes its share again.
            try await harness.restart(1)
            try await Task.sleep(for: .milliseconds(400))
            let rejoined = harness.getUserCounts
            for _ in 0..<90 {
                let response = try await client.send(.GET, "/v1/users/1")
                #expect(response.status == 200)
            }
            let after = zip(harness.getUserCounts, rejoined).map { $0 - $1 }
            #expect(after[1] >= 25, "\(after)")
        }
    }

    @Test func activeHealthChecksTakeANotServingInstanceOutAndBringItBack() async throws {
        let check = "healthCheck: { interval: 100ms, timeout: 500ms, unhealthyThreshold: 1, healthyThreshold: 1 }"
        try await withBackends(count: 3, backendExtra: check) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            // The first request creates the loop's clients, which start checking.
            _ = try await client.send(.GET, "/v1/users/1")
            harness.healths[2].setServing(false)
            try await Task.sleep(for: .milliseconds(400))
            let before = harness.getUserCounts
            for _ in 0..<90 {
                let response = try await client.send(.GET, "/v1/users/1")
                #expect(response.status == 200)
            }
            let during = zip(harness.getUserCounts, before).map { $0 - $1 }
            #expect(during == [45, 45, 0], "\(during)")
            #expect(harness.observers[2].calls(method: "Check") >= 2)
            harness.healths[2].setServing(true)
            try await Task.sleep(for: .milliseconds(400))
            let back = harness.getUserCounts
            for _ in 0..<90 { _ = try await client.send(.GET, "/v1/users/1") }
            let after = zip(harness.getUserCounts, back).map { $0 - $1 }
            #expect(after == [30, 30, 30], "\(after)")
        }
    }

    @Test func allEndpointsDownIsA503NotAHang() async throws {
        try await withBackends(count: 2) { harness in
            await harness.stop(0)
            await harness.stop(1)
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let start = ContinuousClock.now
            let response = try await client.send(.GET, "/v1/users/1")
            #expect(response.status == 503)
            #expect(try response.jsonObject()["code"] as? Int == 14)
            #expect(ContinuousClock.now - start < .seconds(2))
        }
    }

    @Test func leastOutstandingAvoidsTheBusyEndpoint() async throws {
        try await withBackends(count: 2, backendExtra: "balancing: least-outstanding") { harness in
            // A chat left open is one call in flight on whichever endpoint took it.
            let chat = try await StreamingTestClient.start(port: harness.gatewayPort, method: .POST, uri: "/v1/chat")
            try await chat.send("{\"message\":\"hold\"}\n")
            var busy: Int?
            for _ in 0..<100 where busy == nil {
                let counts = harness.observers.map { $0.calls(method: "TextChat") }
                busy = counts.firstIndex(of: 1)
                try await Task.sleep(for: .milliseconds(10))
            }
            let busyIndex = try #require(busy)
            let client = try await harness.client()
            defer { Task { await client.close() } }
            for _ in 0..<20 { _ = try await client.send(.GET, "/v1/users/1") }
            #expect(harness.getUserCounts[busyIndex] == 0, "\(harness.getUserCounts)")
            #expect(harness.getUserCounts[1 - busyIndex] == 20)
            await chat.close()
        }
    }

    @Test func callsBeyondMaxConcurrentRequestsAre503sAtOnce() async throws {
        try await withBackends(count: 1, backendExtra: "maxConcurrentRequests: 1", eventLoops: 2) { harness in
            let chat = try await StreamingTestClient.start(port: harness.gatewayPort, method: .POST, uri: "/v1/chat")
            try await chat.send("{\"message\":\"hold\"}\n")
            var started = false
            for _ in 0..<100 where !started {
                started = harness.observers[0].calls(method: "TextChat") == 1
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(started)
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let refused = try await client.send(.GET, "/v1/users/1")
            #expect(refused.status == 503)
            #expect(try refused.jsonObject()["code"] as? Int == 8)
            #expect((try refused.jsonObject()["message"] as? String)?.contains("limit of 1") == true)
            // The slot comes back when the chat ends.
            try await chat.end()
            _ = await chat.collect()
            var answered = 0
            for _ in 0..<100 where answered != 200 {
                answered = try await client.send(.GET, "/v1/users/1").status
                if answered != 200 { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(answered == 200)
        }
    }
}
