import Foundation
import Gateway
import NIOHTTP1
import Prometheus
import Testing

/// The gateway's metrics after known traffic, read the way Prometheus reads them: the registry's
/// text exposition parsed by `prometheus_client`'s parser.
@Suite("Prometheus metrics end to end")
struct MetricsTests {
    static let buckets = [
        "0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1.0", "2.5", "5.0", "7.5", "10.0",
        "+Inf",
    ]

    @Test func countsPerRouteTemplateAndStatus() async throws {
        let registry = PrometheusCollectorRegistry()
        try await withGateway(metrics: registry) { harness in
            let client = try await harness.client()
            for _ in 0..<3 { #expect(try await client.send(.GET, "/v1/users/1").status == 200) }
            for _ in 0..<2 { #expect(try await client.send(.GET, "/v1/users/9").status == 404) }
            #expect(try await client.send(.GET, "/v1/nowhere/1").status == 404)
            #expect(try await client.send(.PURGE, "/v1/users/1").status == 405)

            let samples = try PrometheusExposition.samples(registry)
            let request = "http_server_request_duration_seconds_count"
            let users = ["http_route": "/v1/users/{id}", "http_request_method": "GET"]
            #expect(samples.value(request, users.merging(["http_response_status_code": "200"]) { $1 }) == 3)
            #expect(samples.value(request, users.merging(["http_response_status_code": "404"]) { $1 }) == 2)
            #expect(
                samples.value(
                    request,
                    ["http_route": "unmatched", "http_request_method": "GET", "http_response_status_code": "404"]
                ) == 1
            )
            #expect(
                samples.value(
                    request,
                    ["http_route": "unmatched", "http_request_method": "_OTHER", "http_response_status_code": "405"]
                ) == 1
            )
            // No raw path ever becomes a label.
            #expect(!samples.contains { $0.labels.values.contains { $0.contains("/v1/nowhere") || $0 == "PURGE" } })

            let call = "rpc_client_call_duration_seconds_count"
            let getUser = [
                "rpc_system_name": "grpc", "rpc_method": "demo.user.v1.UserService/GetUser", "backend": "demo",
            ]
            #expect(samples.value(call, getUser.merging(["rpc_status_code": "OK"]) { $1 }) == 3)
            #expect(samples.value(call, getUser.merging(["rpc_status_code": "NOT_FOUND"]) { $1 }) == 2)
            #expect(samples.named(call).count == 2, "\(samples.named(call))")

            // The histogram's buckets are OpenTelemetry's, cumulative, +Inf = _count.
            let okBuckets = samples.named("http_server_request_duration_seconds_bucket").filter {
                $0.labels["http_route"] == "/v1/users/{id}" && $0.labels["http_response_status_code"] == "200"
            }
            #expect(okBuckets.map { $0.labels["le"] ?? "" } == Self.buckets)
            #expect(okBuckets.last?.value == 3)
            #expect(zip(okBuckets, okBuckets.dropFirst()).allSatisfy { $0.value <= $1.value })

            // Unary calls are not streams: no message series (their count is the call count).
            let user = "demo.user.v1.UserService/GetUser"
            #expect(samples.named("portico_stream_messages_total").filter { $0.labels["rpc_method"] == user }.isEmpty)

            #expect(samples.value("http_server_active_requests") == 0)
            #expect(samples.value("portico_http_connections") == 1)
            let upstream = try await harness.gateway.upstreamConnectionCounts().reduce(0, +)
            let endpoint = ["backend": "demo", "endpoint": "127.0.0.1:\(harness.ports[0])"]
            #expect(samples.value("portico_upstream_connections", endpoint) == Double(upstream))
            #expect(upstream == 1)
            #expect(samples.value("portico_upstream_endpoint_up", endpoint) == 1)
            #expect(samples.value("portico_access_log_dropped_total") == 0)

            await client.close()
            try await waitUntil { try PrometheusExposition.samples(registry).value("portico_http_connections") == 0 }
        }
    }

    @Test func streamsCountTheirMessagesAndTheWholeCall() async throws {
        let registry = PrometheusCollectorRegistry()
        try await withGateway(metrics: registry) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(.GET, "/v1/files/zeros-3000:chunks")
            #expect(response.status == 200)
            let samples = try PrometheusExposition.samples(registry)
            let method = "demo.file.v1.FileService/DownLoad"
            #expect(
                samples.value("portico_stream_messages_total", ["rpc_method": method, "direction": "received"]) == 3
            )
            #expect(samples.value("portico_stream_messages_total", ["rpc_method": method, "direction": "sent"]) == 1)
            #expect(
                samples.value(
                    "rpc_client_call_duration_seconds_count",
                    ["rpc_method": method, "rpc_status_code": "OK"]
                ) == 1
            )
            #expect(
                samples.value(
                    "http_server_request_duration_seconds_count",
                    ["http_route": "/v1/files/{name}:chunks", "http_response_status_code": "200"]
                ) == 1
            )
        }
    }

    @Test func aDeadEndpointIsDownAndItsCallsMoveOn() async throws {
        let registry = PrometheusCollectorRegistry()
        // A port nobody listens on: every connect is refused.
        let closed = try await MisbehavingBackend.start(.silent)
        let dead = closed.port
        await closed.stop()
        try await GatewayHarness.with(
            eventLoops: 1,
            metrics: registry,
            config: { ports in clusterConfigYAML(endpoints: "[127.0.0.1:\(dead), 127.0.0.1:\(ports[0])]") },
            { harness in
                let client = try await harness.client()
                defer { Task { await client.close() } }
                // Round robin starts with the dead endpoint; the call moves to the live one.
                #expect(try await client.send(.GET, "/v1/users/1").status == 200)
                let samples = try PrometheusExposition.samples(registry)
                #expect(samples.value("portico_upstream_endpoint_up", ["endpoint": "127.0.0.1:\(dead)"]) == 0)
                #expect(
                    samples.value("portico_upstream_endpoint_up", ["endpoint": "127.0.0.1:\(harness.ports[0])"]) == 1
                )
                #expect(samples.value("portico_upstream_connections", ["endpoint": "127.0.0.1:\(dead)"]) == 0)
                #expect(
                    samples.value("portico_upstream_retries_total", ["backend": "demo", "reason": "connect_failed"])
                        == 1
                )
            }
        )
    }

    @Test func theParserRejectsAMalformedExposition() throws {
        #expect(throws: TestFailure.self) { try PrometheusExposition.parse("# TYPE x counter\nx{a=\"1} 2\n") }
    }
}

/// Polls `condition` every 10 ms until it holds (or fails after `timeout`).
func waitUntil(timeout: Duration = .seconds(5), _ condition: () throws -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    #expect(try condition(), "condition not met within \(timeout)")
}
