import DemoServices
import Foundation
import Gateway
import NIOCore
import NIOHTTP1
import Testing

/// `retry` policies on UNAVAILABLE (or the codes configured) for unary calls, bounded by
/// attempts, the deadline and the backend's retry budget. The demo's `Fail` with `times: n`
/// fails the first n calls carrying its message: a flaky backend on cue.
@Suite("Retries of unary calls")
struct RetryTests {
    static func config(
        budget: String = "{ maxTokens: 100, tokenRatio: 0.1 }",
        retry: String = "{ maxAttempts: 3, backoff: 10ms }"
    ) -> String {
        """
        backends:
          demo:
            endpoints: [127.0.0.1:PORT]
            timeout: 5s
            retryBudget: \(budget)
        methods:
          demo.echo.v1.EchoService.Fail:
            retry: \(retry)
        """
    }

    static func fail(_ client: TestHTTPClient, code: Int, message: String, times: Int = 0) async throws -> TestResponse
    {
        try await client.send(.POST, "/v1/fail", body: #"{"code":\#(code),"message":"\#(message)","times":\#(times)}"#)
    }

    @Test func aFlakyBackendIsRetriedUntilItAnswers() async throws {
        try await withGateway(replacingBackends: Self.config()) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await Self.fail(client, code: 14, message: "flaky", times: 2)
            #expect(response.status == 200, "\(response.text)")
            #expect(harness.observer.calls(method: "Fail") == 3)
        }
    }

    @Test func attemptsAreBoundedAndOtherCodesAreNotRetried() async throws {
        try await withGateway(replacingBackends: Self.config()) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let unavailable = try await Self.fail(client, code: 14, message: "always")
            #expect(unavailable.status == 503)
            #expect(harness.observer.calls(method: "Fail") == 3)
            let notFound = try await Self.fail(client, code: 5, message: "missing", times: 1)
            #expect(notFound.status == 404)
            #expect(harness.observer.calls(method: "Fail") == 4)
            // Methods without a policy are never retried.
            let user = try await client.send(.GET, "/v1/users/9")
            #expect(user.status == 404)
        }
    }

    @Test func theRetryBudgetStopsRetriesDuringAnOutage() async throws {
        // 4 tokens: a failure leaves 3 (retry allowed, more than half), the next leaves 2 (not).
        try await withGateway(replacingBackends: Self.config(budget: "{ maxTokens: 4, tokenRatio: 0.5 }")) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            #expect(try await Self.fail(client, code: 14, message: "outage").status == 503)
            #expect(harness.observer.calls(method: "Fail") == 2)
            #expect(try await Self.fail(client, code: 14, message: "outage").status == 503)
            #expect(harness.observer.calls(method: "Fail") == 3)
            // Successes refill the budget (0.5 a call, from 1 back to 4): retries come back.
            for _ in 0..<6 { #expect(try await Self.fail(client, code: 0, message: "ok").status == 200) }
            let recovered = try await Self.fail(client, code: 14, message: "after", times: 1)
            #expect(recovered.status == 200)
            #expect(harness.observer.calls(method: "Fail") == 11)
        }
    }

    @Test func retriesStayWithinTheDeadline() async throws {
        try await withGateway(
            replacingBackends: Self.config(retry: "{ maxAttempts: 5, backoff: 300ms, maxBackoff: 300ms }")
        ) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let start = ContinuousClock.now
            let response = try await client.send(
                .POST,
                "/v1/fail",
                headers: [("Grpc-Timeout", "500m")],
                body: #"{"code":14,"message":"slow"}"#
            )
            #expect(response.status == 503)
            #expect(ContinuousClock.now - start < .milliseconds(900))
            #expect(harness.observer.calls(method: "Fail") == 2)
        }
    }
}
