import Foundation
import NIOHTTP1

/// What calls saw while the link was partitioned and after it healed (scenario 3).
struct ChaosRecovery: Sendable, CustomStringConvertible {
    /// Calls made during the partition: ok when each ended within its 1 s deadline + 300 ms.
    var whilePartitioned: ChaosFigures
    /// Their statuses, `504 ×12, 503 ×2`.
    var statuses: String
    /// Seconds from the heal to the end of the first call answered 200; nil: none within 15 s.
    var healToSuccess: Double?
    /// Seconds from the heal to the end of the last failed call before 10 successes in a row
    /// (0 when none failed); nil: no such run within 15 s.
    var healToSteady: Double?
    /// Calls after the heal that failed, and what the last one said.
    var failuresAfterHeal: [String]

    var description: String {
        "during the partition \(whilePartitioned.counts) in time (\(statuses)); heal → success "
            + "\(healToSuccess.map { "\($0) s" } ?? "never"), steady \(healToSteady.map { "\($0) s" } ?? "never"); "
            + "failures after the heal: \(failuresAfterHeal)"
    }
}

extension ChaosStack {
    /// With the link partitioned in `mode`: calls for `holdSeconds` (one every 200 ms, each with
    /// `Grpc-Timeout: 1S`, as clients would keep calling), then heals the link and calls every
    /// 100 ms until 10 in a row succeeded (at most 15 s).
    func recoverAfterPartition(_ mode: PartitionMode, holdSeconds: Double) async throws -> ChaosRecovery {
        var during: [ChaosOutcome] = []
        var statuses: [Int: Int] = [:]
        let start = ContinuousClock.now
        while (ContinuousClock.now - start).seconds < holdSeconds {
            let (outcome, status) = await probe()
            during.append(
                ChaosOutcome(
                    ok: outcome.seconds <= 1 + Self.deadlineSlack,
                    seconds: outcome.seconds,
                    detail: outcome.detail
                )
            )
            statuses[status, default: 0] += 1
            try await Task.sleep(for: .milliseconds(200))
        }
        try network.heal(mode)
        let healed = ContinuousClock.now
        var failures: [String] = []
        var healToSuccess: Double?
        var healToSteady: Double?
        var streak = 0
        while (ContinuousClock.now - healed).seconds < 15 && streak < 10 {
            let (outcome, status) = await probe()
            let now = (ContinuousClock.now - healed).seconds
            if status == 200 && outcome.ok {
                healToSuccess = healToSuccess ?? now
                streak += 1
            } else {
                failures.append("\(String(format: "%.2f", now)) s: \(outcome.detail)")
                healToSteady = now
                streak = 0
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        if streak < 10 {
            healToSteady = nil
        } else if failures.isEmpty {
            healToSteady = 0
        }
        let summary = statuses.sorted { $0.key < $1.key }.map {
            "\($0.key == 0 ? "no answer" : "\($0.key)") ×\($0.value)"
        }
        return ChaosRecovery(
            whilePartitioned: ChaosFigures(outcomes: during),
            statuses: summary.joined(separator: ", "),
            healToSuccess: healToSuccess,
            healToSteady: healToSteady,
            failuresAfterHeal: failures
        )
    }

    /// `POST /v1/echo` with `Grpc-Timeout: 1S`: the outcome (ok when answered 200 with the echo)
    /// and the status (0 without an answer).
    private func probe() async -> (ChaosOutcome, Int) {
        guard let client = try? await TestHTTPClient.connect(port: port) else {
            return (ChaosOutcome(ok: false, seconds: 0, detail: "cannot connect to portico"), 0)
        }
        defer { Task { await client.close() } }
        var status = 0
        let outcome = await ChaosOutcome.measure(limit: Self.hangLimit, closing: client) {
            let response = try await client.send(
                .POST,
                "/v1/echo",
                headers: [("Grpc-Timeout", "1S")],
                body: #"{"fString":"probe"}"#
            )
            status = response.status
            return response.status == 200 && response.text == #"{"fString":"probe"}"# ? nil : response.text
        }
        return (outcome, status)
    }
}
