import NIOCore
import Testing

@testable import Upstream

/// ``UpstreamCallStateMachine`` stepped event by event: lifecycle, request body and flow control.
/// The response side is in `UpstreamCallStateMachineResponseTests.swift`.
@Suite struct UpstreamCallStateMachineTests {
    // MARK: Lifecycle

    @Test func startMovesAnIdleCallToWaitingOnce() {
        var machine = CallMachine.make()
        #expect(machine.state.name == .idle)
        #expect(!machine.isWaiting)
        #expect(machine.start() == .enqueue)
        #expect(machine.state.name == .waiting)
        #expect(machine.isWaiting)
        #expect(machine.start() == .ignore)
        #expect(machine.state.name == .waiting)
    }

    @Test func aCallCancelledBeforeItStartsDeliversItsCancellationAtStart() throws {
        var machine = CallMachine.make()
        let cancellation = machine.cancel()
        let finish = try #require(cancellation)
        #expect(finish.status == GRPCStatus(code: .cancelled, message: "call cancelled"))
        #expect(finish.streamID == nil)
        #expect(finish.reset == nil)
        #expect(machine.isFinished)
        #expect(machine.start() == .deliverCancellation)
        #expect(machine.start() == .ignore)
    }

    @Test(arguments: [CallState.waiting, .active, .closing, .finished])
    func startIsIgnoredOnceStarted(_ state: CallState) {
        var machine = CallMachine.make(in: state)
        #expect(machine.start() == .ignore)
        #expect(machine.state.name == state)
    }

    @Test(arguments: CallState.allCases)
    func onlyAWaitingCallTakesAStream(_ state: CallState) {
        var machine = CallMachine.make(in: state)
        machine.streamStarted(streamID: 7)
        if state == .waiting {
            #expect(machine.state.streamID == 7)
        } else {
            #expect(machine.state.name == state)
            #expect(machine.state.streamID == (state == .active ? 1 : nil))
        }
    }

    @Test(arguments: CallState.allCases)
    func finishReleasesTheStreamOnlyWhenOneIsOpen(_ state: CallState) {
        var machine = CallMachine.make(in: state)
        let status = GRPCStatus(code: .unavailable, message: "gone")
        let finish = machine.finish(status, trailers: [("x", "y")], reset: 0x2)
        guard state != .finished else {
            #expect(finish == nil)
            return
        }
        #expect(finish?.status == status)
        #expect(finish?.trailers.map(\.name) == ["x"])
        #expect(finish?.streamID == (state == .active ? 1 : nil))
        #expect(finish?.reset == (state == .active ? 0x2 : nil))
        #expect(machine.isFinished)
        #expect(machine.bufferedSendBytes == 0)
        #expect(machine.finish(status) == nil)
    }

    @Test(arguments: CallState.allCases)
    func cancelAndExpiryResetAnOpenStream(_ state: CallState) {
        var cancelled = CallMachine.make(in: state, timeout: .milliseconds(250))
        var expired = CallMachine.make(in: state, timeout: .milliseconds(250))
        let cancel = cancelled.cancel()
        let expiry = expired.deadlineExpired()
        guard state != .finished else {
            #expect(cancel == nil)
            #expect(expiry == nil)
            return
        }
        #expect(cancel?.status == GRPCStatus(code: .cancelled, message: "call cancelled"))
        #expect(expiry?.status == GRPCStatus(code: .deadlineExceeded, message: "deadline of 250 ms exceeded"))
        for finish in [cancel, expiry] {
            #expect(finish?.streamID == (state == .active ? 1 : nil))
            #expect(finish?.reset == (state == .active ? http2CancelCode : nil))
        }
    }

    // MARK: Request body

    @Test(arguments: CallState.allCases)
    func sendBuffersFramedMessagesUntilTheCallIsOver(_ state: CallState) {
        var machine = CallMachine.make(in: state)
        #expect(machine.send(ByteBuffer(string: "hello")) == .none)
        #expect(machine.bufferedSendBytes == (state == .finished ? 0 : 10))
    }

    @Test func sendAndHalfCloseResumeADeferredBody() {
        var machine = CallMachine.make(in: .active)
        #expect(machine.readBody(into: .init(start: nil, count: 0)).read == .deferred)
        #expect(machine.send(ByteBuffer(string: "a")) == .resumeBody(streamID: 1))
        // Resumed once: nghttp2 has not deferred again since.
        #expect(machine.send(ByteBuffer(string: "b")) == .none)
        #expect(machine.readAll() == [0, 0, 0, 0, 1, 97, 0, 0, 0, 0, 1, 98])
        #expect(machine.readBody(into: .init(start: nil, count: 0)).read == .deferred)
        #expect(machine.halfClose() == .resumeBody(streamID: 1))
        #expect(machine.halfClose() == .none)
        #expect(machine.readBody(into: .init(start: nil, count: 0)).read == .bytes(count: 0, endOfStream: true))
    }

    @Test func aBodyDeferredWhileWaitingIsNotResumed() {
        var machine = CallMachine.make(in: .waiting)
        #expect(machine.readBody(into: .init(start: nil, count: 0)).read == .deferred)
        #expect(machine.send(ByteBuffer(string: "a")) == .none)
    }

    @Test func sendAfterHalfCloseIsIgnored() {
        var machine = CallMachine.make(in: .active)
        _ = machine.send(ByteBuffer(string: "a"))
        #expect(machine.halfClose() == .none)
        #expect(machine.outboundClosed)
        #expect(machine.send(ByteBuffer(string: "more")) == .none)
        #expect(machine.bufferedSendBytes == 6)
        #expect(machine.readAll() == [0, 0, 0, 0, 1, 97])
    }

    @Test func halfCloseIsIgnoredOnceFinished() {
        var machine = CallMachine.make(in: .finished)
        #expect(machine.halfClose() == .none)
        #expect(!machine.outboundClosed)
    }

    @Test func readBodyEndsTheStreamAfterTheLastByteOfAHalfClosedBody() {
        var machine = CallMachine.make(in: .active)
        _ = machine.send(ByteBuffer(string: "abc"))
        _ = machine.halfClose()
        var bytes = [UInt8](repeating: 0, count: 5)
        let first = bytes.withUnsafeMutableBytes { machine.readBody(into: $0) }
        #expect(first.read == .bytes(count: 5, endOfStream: false))
        let second = bytes.withUnsafeMutableBytes { machine.readBody(into: $0) }
        #expect(second.read == .bytes(count: 3, endOfStream: true))
        #expect(Array(bytes.prefix(3)) == Array("abc".utf8))
    }

    @Test func theDrainedSignalFollowsTheWatermarksOncePerFill() {
        // High 20, low 10: a 15-byte message (20 framed) fills the buffer.
        var machine = CallMachine.make(in: .active, watermarks: (20, 10))
        _ = machine.send(ByteBuffer(repeating: 1, count: 15))
        #expect(machine.isSendBufferFull)
        #expect(!machine.read(5).sendBufferDrained)  // 15 left: not below 10
        #expect(machine.read(6).sendBufferDrained)  // 9 left
        #expect(!machine.isSendBufferFull)
        #expect(!machine.read(9).sendBufferDrained)  // not full since
        // Below the high watermark it never counted as full.
        _ = machine.send(ByteBuffer(repeating: 2, count: 10))
        #expect(!machine.read(15).sendBufferDrained)
    }

    @Test func finishingForgetsAFullBuffer() {
        var machine = CallMachine.make(in: .active, watermarks: (20, 10))
        _ = machine.send(ByteBuffer(repeating: 1, count: 30))
        _ = machine.cancel()
        #expect(machine.bufferedSendBytes == 0)
        #expect(!machine.read(1).sendBufferDrained)
    }

    @Test func compressedRequestsAreGzipFramed() throws {
        var machine = CallMachine.make(in: .active, compressesRequests: true)
        _ = machine.send(ByteBuffer(string: String(repeating: "z", count: 1000)))
        let framed = machine.readAll()
        #expect(framed.first == 1)
        let length = Int(framed[1]) << 24 | Int(framed[2]) << 16 | Int(framed[3]) << 8 | Int(framed[4])
        #expect(length == framed.count - 5)
        let inflated = try Gzip.decompress(ByteBuffer(bytes: framed.dropFirst(5)), limit: 1 << 20)
        #expect(inflated == ByteBuffer(string: String(repeating: "z", count: 1000)))
    }

    // MARK: Requeue of an unprocessed stream

    @Test func aRequeuedCallWaitsWithItsWholeRequestOnce() {
        var machine = CallMachine.make(in: .active)
        _ = machine.send(ByteBuffer(string: "one"))
        _ = machine.send(ByteBuffer(string: "two"))
        _ = machine.halfClose()
        #expect(machine.readAll() == CallMachine.framed("one", "two"))
        let requeued = machine.requeueIfUnprocessed(canRequeue: true)
        #expect(requeued)
        #expect(machine.state.name == .waiting)
        #expect(machine.bufferedSendBytes == 16)
        machine.streamStarted(streamID: 3)
        // The body ends again once resent.
        #expect(machine.readAll() == CallMachine.framed("one", "two"))
        #expect(machine.readBody(into: .init(start: nil, count: 0)).read == .bytes(count: 0, endOfStream: true))
        let requeuedAgain = machine.requeueIfUnprocessed(canRequeue: true)
        #expect(!requeuedAgain)
    }

    @Test func noRequeueWithoutAClientAfterAResponseOrOnceFinished() {
        var noClient = CallMachine.make(in: .active)
        let requeuedWithoutClient = noClient.requeueIfUnprocessed(canRequeue: false)
        #expect(!requeuedWithoutClient)
        #expect(noClient.state.streamID == 1)

        var answered = CallMachine.make(in: .active)
        _ = answered.receiveHeaders(CallMachine.okHeaders, endStream: false)
        let requeuedAfterResponse = answered.requeueIfUnprocessed(canRequeue: true)
        #expect(!requeuedAfterResponse)

        var finished = CallMachine.make(in: .finished)
        let requeuedWhenFinished = finished.requeueIfUnprocessed(canRequeue: true)
        #expect(!requeuedWhenFinished)
    }

    @Test func aRequestBeyondTheReplayBudgetIsNotRequeued() {
        var machine = CallMachine.make(in: .active)
        _ = machine.send(ByteBuffer(repeating: 1, count: UpstreamCallStateMachine.replayLimit))
        let requeuedAtTheLimit = machine.requeueIfUnprocessed(canRequeue: true)
        #expect(requeuedAtTheLimit)

        var over = CallMachine.make(in: .active)
        _ = over.send(ByteBuffer(repeating: 1, count: UpstreamCallStateMachine.replayLimit))
        _ = over.send(ByteBuffer(repeating: 1, count: 1))
        let requeuedOverTheLimit = over.requeueIfUnprocessed(canRequeue: true)
        #expect(!requeuedOverTheLimit)
    }

    // MARK: Pause and resume

    @Test func resumeSchedulesDeliveryOnlyAfterAPause() {
        var machine = CallMachine.make(in: .active)
        #expect(machine.resume() == .none)
        machine.pause()
        #expect(machine.isPaused)
        #expect(machine.resume() == .scheduleDelivery)
        #expect(machine.resume() == .none)
        #expect(machine.resumedDelivery() == .deliver)
    }

    @Test func aPauseBeforeTheResumedTickWins() {
        var machine = CallMachine.make(in: .active)
        machine.pause()
        _ = machine.resume()
        machine.pause()
        #expect(machine.resumedDelivery() == .stillPaused)
    }

    @Test func bytesHeldBackWhilePausedReopenTheWindowOnResume() {
        var machine = CallMachine.make(in: .active)
        _ = machine.receiveHeaders(CallMachine.okHeaders, endStream: false)
        #expect(machine.receiveData(CallMachine.message("a")) == .deliver)
        #expect(machine.windowToReopen(afterDelivering: 6) == 6)
        machine.pause()
        #expect(machine.receiveData(CallMachine.message("b")) == .deliver)
        #expect(machine.windowToReopen(afterDelivering: 6) == 0)
        #expect(machine.receiveData(CallMachine.message("c")) == .deliver)
        #expect(machine.windowToReopen(afterDelivering: 6) == 0)
        _ = machine.resume()
        #expect(machine.resumedDelivery() == .reopenWindowAndDeliver(streamID: 1, count: 12))
        _ = machine.resume()
        machine.pause()
        _ = machine.resume()
        #expect(machine.resumedDelivery() == .deliver)
    }

    @Test func heldBackBytesAreNotReturnedOnceTheStreamIsReleased() {
        var machine = CallMachine.make(in: .active)
        _ = machine.receiveHeaders(CallMachine.okHeaders, endStream: false)
        machine.pause()
        _ = machine.receiveData(CallMachine.message("a"))
        #expect(machine.windowToReopen(afterDelivering: 6) == 0)
        _ = machine.receiveHeaders([("grpc-status", "0")], endStream: true)
        _ = machine.resume()
        #expect(machine.resumedDelivery() == .deliver)
    }
}
