import NIOCore
import NIOHTTP1
import Testing

@testable import Gateway

/// Steps the drain of ``HTTPConnectionStateMachine`` (``HTTPConnectionStateMachine/drain()``):
/// an idle connection closes at once; a busy one answers its request with `Connection: close`
/// and closes; a request body still arriving is not read once its answer is out.
@Suite struct HTTPConnectionStateMachineDrainTests {
    typealias Machine = HTTPConnectionStateMachineTests.Machine
    typealias Tests = HTTPConnectionStateMachineTests

    @Test func anIdleConnectionClosesAtOnce() {
        var machine = Machine(limits: Tests.limits, now: Tests.start)
        #expect(machine.drain() == .close)
        #expect(machine.isDraining)
        #expect(machine.received(.head(Tests.head()), now: Tests.start).isNone, "nothing more is read")
        #expect(machine.nextDeadline(now: Tests.start) == nil, "no clock left to run")
    }

    @Test func aBusyConnectionAnswersWithConnectionCloseThenCloses() {
        var machine = Tests.routed(.collect("req", limit: 10))
        guard case .startCall(let head, _, _) = machine.received(.end(nil), now: Tests.start) else {
            Issue.record("expected startCall")
            return
        }
        machine.callStarted(Tests.TestExchange(), head: head)
        #expect(machine.drain() == .none, "the call in flight is answered first")
        #expect(!machine.keepsAlive(true), "the answer says Connection: close")
        #expect(machine.responseFinished(keepAlive: true, now: Tests.start) == .close)
    }

    @Test func beforeADrainTheRequestDecidesKeepAlive() {
        let machine = Machine(limits: Tests.limits, now: Tests.start)
        #expect(machine.keepsAlive(true))
        #expect(!machine.keepsAlive(false))
    }

    @Test func aStreamStillSendingItsBodyClosesWhenItsAnswerIsOut() {
        var machine = Tests.routed(.stream(Tests.TestExchange()))
        #expect(machine.drain() == .none)
        #expect(machine.isRequestStillArriving)
        #expect(machine.responseFinished(keepAlive: true, now: Tests.start) == .close, "no draining of the body")
    }

    @Test func aConnectionDroppingARefusedBodyClosesAtItsEnd() {
        var machine = Tests.routed(.collect("req", limit: 100))
        // Answered early (the body is still arriving): the connection drains the body.
        #expect(machine.responseFinished(keepAlive: true, now: Tests.start) == .none)
        #expect(machine.drain() == .none)
        #expect(machine.received(.body(Tests.bytes(3)), now: Tests.start).isNone)
        guard case .close = machine.received(.end(nil), now: Tests.start) else {
            Issue.record("expected close at the body's end")
            return
        }
    }

    @Test func requestsPipelinedBehindTheAnswerAreNotServed() {
        var machine = Tests.routed(.collect("req", limit: 10))
        guard case .startCall(let head, _, _) = machine.received(.end(nil), now: Tests.start) else {
            Issue.record("expected startCall")
            return
        }
        machine.callStarted(Tests.TestExchange(), head: head)
        #expect(machine.received(.head(Tests.head(.GET)), now: Tests.start).isNone, "queued")
        #expect(machine.received(.end(nil), now: Tests.start).isNone)
        #expect(machine.drain() == .none)
        #expect(machine.responseFinished(keepAlive: true, now: Tests.start) == .close)
        #expect(machine.nextQueuedPart(now: Tests.start) == nil)
    }
}
