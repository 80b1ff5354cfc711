import Foundation
import NIOHTTP1

/// A call with a deadline it cannot meet.
enum ChaosDeadlineKind: String, CaseIterable, Sendable {
    /// `POST /v1/echo` with `Grpc-Timeout: 20m`: no answer crosses the stormy link that fast.
    case header = "unary, Grpc-Timeout: 20m"
    /// `POST /v1/fail` (code 0: it would succeed), whose `methods.<name>.timeout` is 20 ms.
    case method = "unary, methods.<Fail>.timeout: 20ms"
    /// A download of 1 GB of zeros with `Grpc-Timeout: 1S`: its final element is the deadline
    /// (or, when no message arrived within it, the whole answer: 504).
    case stream = "NDJSON stream, Grpc-Timeout: 1S"

    /// The deadline, in seconds.
    var deadline: Double {
        switch self {
        case .header, .method: return 0.02
        case .stream: return 1
        }
    }
}

extension ChaosStack {
    /// How late after its deadline a call may end (the gateway's deadline check, a loaded
    /// machine's scheduling).
    static let deadlineSlack = 0.3

    /// Runs one call of `kind`: ok when it ended with DEADLINE_EXCEEDED (504, or the stream's
    /// final error element) within its deadline plus ``deadlineSlack``, or with its answer
    /// within the deadline (a frame the weather happened not to delay).
    func call(_ kind: ChaosDeadlineKind) async -> ChaosOutcome {
        do {
            let outcome: ChaosOutcome
            switch kind {
            case .header: outcome = try await unaryDeadline("/v1/echo", body: #"{"fString":"late"}"#, timeout: "20m")
            case .method: outcome = try await unaryDeadline("/v1/fail", body: #"{"code":0}"#, timeout: nil)
            case .stream: outcome = try await streamDeadline()
            }
            guard outcome.ok, outcome.seconds <= kind.deadline + Self.deadlineSlack else {
                return ChaosOutcome(ok: false, seconds: outcome.seconds, detail: "late or wrong: \(outcome.detail)")
            }
            return outcome
        } catch {
            return ChaosOutcome(ok: false, seconds: 0, detail: "could not start: \(error)")
        }
    }

    private func unaryDeadline(_ uri: String, body: String, timeout: String?) async throws -> ChaosOutcome {
        let client = try await TestHTTPClient.connect(port: port)
        defer { Task { await client.close() } }
        return await ChaosOutcome.measure(limit: Self.hangLimit, closing: client) {
            let headers = timeout.map { [("Grpc-Timeout", $0)] } ?? []
            let response = try await client.send(.POST, uri, headers: headers, body: body)
            if response.status == 504, try response.jsonObject()["code"] as? Int == 4 { return nil }
            return response.status == 200 ? nil : "\(response.status) \(response.text)"
        }
    }

    private func streamDeadline() async throws -> ChaosOutcome {
        let client = try await StreamingTestClient.start(
            port: port,
            method: .GET,
            uri: "/v1/files/zeros-1000000000:chunks",
            headers: [("Grpc-Timeout", "1S")],
            chunkedBody: false
        )
        try await client.end()
        return await ChaosOutcome.measure(limit: Self.hangLimit, closing: client) {
            var stream = ChaosLineStream(client)
            var chunks = 0
            while let line = await stream.nextLine() {
                // No message crossed the link in time: the deadline is the whole answer.
                if stream.status == 504, line.hasPrefix(#"{"code":4,"#) { return nil }
                if line.hasPrefix(#"{"error":{"code":4,"#) {
                    let rest = await stream.rest()
                    return stream.endedCleanly && rest.allSatisfy(\.isEmpty) ? nil : "not the last element: \(rest)"
                }
                guard line.hasPrefix(#"{"name":"zeros-"#) else { return "unexpected: \(line.prefix(200))" }
                chunks += 1
            }
            return "ended after \(chunks) chunks without the deadline's error element"
        }
    }

    /// Scenario 2: downloads 1 GB of zeros, partitions the link once 200 chunks arrived, and
    /// reads on until the stream's final error element.
    /// - Returns: The download's outcome (ok: its last element is `UNAVAILABLE` and the response
    ///   ends cleanly), and the seconds from the partition to that element.
    func downloadThroughPartition(_ mode: PartitionMode) async throws -> (ChaosOutcome, Double?) {
        let client = try await StreamingTestClient.get(port: port, uri: "/v1/files/zeros-1000000000:chunks")
        var partitioned: ContinuousClock.Instant?
        var errorAfter: Double?
        let outcome = await ChaosOutcome.measure(limit: Self.hangLimit, closing: client) {
            var stream = ChaosLineStream(client)
            var chunks = 0
            while let line = await stream.nextLine() {
                if line.hasPrefix(#"{"error":"#) {
                    errorAfter = partitioned.map { (ContinuousClock.now - $0).seconds }
                    let rest = await stream.rest()
                    guard line.hasPrefix(#"{"error":{"code":14,"#), partitioned != nil else {
                        return "wrong error element: \(line)"
                    }
                    return stream.endedCleanly && rest.allSatisfy(\.isEmpty) ? nil : "not the last element: \(rest)"
                }
                chunks += 1
                if chunks == 200 {
                    try network.partition(mode)
                    partitioned = .now
                }
            }
            return "ended after \(chunks) chunks without an error element"
        }
        return (outcome, errorAfter)
    }
}
