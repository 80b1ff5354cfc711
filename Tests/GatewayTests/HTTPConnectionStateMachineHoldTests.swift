import NIOCore
import NIOHTTP1
import Testing

@testable import Gateway

/// A request held while its token is verified off the loop (``HTTPConnectionStateMachine/Routing/hold``):
/// its parts, and a pipelined request after it, wait in order; reading stops; once settled the
/// request goes on as routed and nothing is lost or reordered.
@Suite struct HTTPConnectionStateMachineHoldTests {
    typealias Tests = HTTPConnectionStateMachineTests

    @Test func aHeldRequestKeepsItsPartsUntilSettled() {
        var machine = Tests.routed(.hold)
        let chunk = machine.received(.body(Tests.bytes(3)), now: Tests.start)
        #expect(chunk.isNone)
        let reads = machine.readRequested()
        #expect(!reads, "nothing more is read while a part waits")
        let end = machine.received(.end(nil), now: Tests.start)
        #expect(end.isNone)
        let nextHead = machine.received(.head(Tests.head(.GET, "/v1/next")), now: Tests.start)
        #expect(nextHead.isNone)
        let whileHeld = machine.nextQueuedPart(now: Tests.start)
        #expect(whileHeld == nil, "held: the queue is not served")

        let settled = machine.settled(.collect("req", limit: 10), head: Tests.head(), now: Tests.start)
        #expect(settled.isNone)
        let collected = machine.nextQueuedPart(now: Tests.start)
        #expect(collected?.isNone == true, "the body chunk is collected")
        guard case .startCall(_, let request, let body) = machine.nextQueuedPart(now: Tests.start) else {
            Issue.record("expected startCall")
            return
        }
        #expect(request == "req")
        #expect(body.readableBytes == 3)
        let waiting = machine.nextQueuedPart(now: Tests.start)
        #expect(waiting == nil, "the next request waits for this answer")
        machine.callStarted(Tests.TestExchange(), head: Tests.head())
        let finished = machine.responseFinished(keepAlive: true, now: Tests.start)
        #expect(finished == .serveQueued)
        guard case .route(let head) = machine.nextQueuedPart(now: Tests.start) else {
            Issue.record("expected the pipelined request")
            return
        }
        #expect(head.uri == "/v1/next")
    }

    @Test func aRefusedHeldRequestIsAnsweredAfterItsBody() {
        var machine = Tests.routed(.hold)
        let end = machine.received(.end(nil), now: Tests.start)
        #expect(end.isNone)
        let refusal = GatewayError(code: .unauthenticated, message: "no")
        let settled = machine.settled(.answer(.error(refusal)), head: Tests.head(), now: Tests.start)
        #expect(settled.isNone)
        guard case .respond(_, .error(let error), let close) = machine.nextQueuedPart(now: Tests.start) else {
            Issue.record("expected the refusal")
            return
        }
        #expect(error.message == "no")
        #expect(!close)
    }

    @Test func aHeldRequestWithNothingQueuedReadsOnOnceSettled() {
        var machine = Tests.routed(.hold)
        let first = machine.readRequested()
        #expect(first, "nothing queued yet: reading goes on")
        let chunk = machine.received(.body(Tests.bytes(1)), now: Tests.start)
        #expect(chunk.isNone)
        let second = machine.readRequested()
        #expect(!second)
        _ = machine.settled(.collect("req", limit: 10), head: Tests.head(), now: Tests.start)
        let early = machine.readAfterHold()
        #expect(!early, "a part still waits in the queue")
        let collected = machine.nextQueuedPart(now: Tests.start)
        #expect(collected?.isNone == true)
        let drained = machine.nextQueuedPart(now: Tests.start)
        #expect(drained == nil)
        let late = machine.readAfterHold()
        #expect(late, "the held-back read happens now")
    }

    @Test func aConnectionClosedWhileHeldIgnoresTheVerdict() {
        var machine = Tests.routed(.hold)
        let exchange = machine.closed()
        #expect(exchange == nil)
        let settled = machine.settled(.collect("req", limit: 10), head: Tests.head(), now: Tests.start)
        #expect(settled.isNone)
        let queued = machine.nextQueuedPart(now: Tests.start)
        #expect(queued == nil)
    }
}
