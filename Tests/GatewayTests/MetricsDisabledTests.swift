import Gateway
import NIOHTTP1
import Prometheus
import Testing

/// `metrics: { enabled: false }`: requests and calls are served and not counted; a bad value is
/// a load error with its YAML path.
@Suite("Metrics switched off")
struct MetricsDisabledTests {
    @Test func requestsAndCallsAreNotRecorded() async throws {
        let registry = PrometheusCollectorRegistry()
        try await withGateway(extraConfig: "metrics: { enabled: false }", metrics: registry) { harness in
            let client = try await harness.client()
            for _ in 0..<3 { #expect(try await client.send(.GET, "/v1/users/1").status == 200) }
            #expect(try await client.send(.GET, "/v1/nowhere/1").status == 404)
            let downloaded = try await client.send(.GET, "/v1/files/zeros-3000:chunks")
            #expect(downloaded.status == 200)
            let samples = try PrometheusExposition.samples(registry)
            #expect(samples.named("http_server_request_duration_seconds_count").isEmpty)
            #expect(samples.named("rpc_client_call_duration_seconds_count").isEmpty)
            #expect(samples.named("portico_stream_messages_total").isEmpty)
            #expect(samples.value("http_server_active_requests") == 0)
            await client.close()
        }
    }

    @Test func theSameTrafficIsRecordedWhenEnabled() async throws {
        let registry = PrometheusCollectorRegistry()
        try await withGateway(extraConfig: "metrics: { enabled: true }", metrics: registry) { harness in
            let client = try await harness.client()
            for _ in 0..<3 { #expect(try await client.send(.GET, "/v1/users/1").status == 200) }
            let samples = try PrometheusExposition.samples(registry)
            #expect(samples.named("http_server_request_duration_seconds_count").map(\.value) == [3])
            await client.close()
        }
    }

    @Test func aBadValueIsALoadErrorWithItsPath() throws {
        let yaml = "protos: [Protos/demo.binpb]\nmetrics: { enabled: maybe, sample: 2 }"
        #expect {
            try GatewayConfig.parse(yaml: yaml)
        } throws: { error in
            let text = "\(error)"
            return text.contains("metrics.enabled") && text.contains("metrics.sample")
        }
    }
}
