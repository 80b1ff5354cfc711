import NIOCore
import NIOEmbedded
import Testing

@testable import Upstream

/// ``UpstreamClient/makeCall(path:metadata:timeout:onFinish:)`` and
/// ``UpstreamCall/start(delegate:)``: a call exists before it is started, and starting it behaves
/// as `startCall` does.
@Suite struct UpstreamMakeCallTests {
    typealias Connector = UpstreamClientVirtualTimeTests.Connector

    @Test func aMadeCallIsNotQueuedUntilItStarts() {
        let loop = EmbeddedEventLoop()
        let connector = Connector(loop: loop)
        let client = UpstreamClientVirtualTimeTests.makeClient(loop: loop, openChannel: connector.open)
        let call = client.makeCall(path: "/a.B/C", metadata: [], timeout: .seconds(5))
        call.send(message: ByteBuffer(string: "early"))
        call.finish()
        #expect(call.bufferedSendBytes == 10)
        #expect(connector.attempts == 0)
        #expect(client.outstandingCalls == 0)
        #expect(!call.isFinished)
        // Its deadline runs from when it was made.
        #expect(call.deadline == loop.now + .seconds(5))

        let delegate = RecordingCallDelegate()
        loop.advanceTime(by: .seconds(1))
        call.start(delegate: delegate)
        #expect(connector.attempts == 1)
        #expect(client.outstandingCalls == 1)
        // A second start changes nothing.
        call.start(delegate: RecordingCallDelegate())
        #expect(client.outstandingCalls == 1)
        loop.advanceTime(by: .seconds(4))
        #expect(delegate.status?.code == .deadlineExceeded)
        _ = client.close()
        connector.pending[0].fail(ChannelError.ioOnClosedChannel)
        loop.run()
        #expect(delegate.finishCount == 1)
    }

    @Test func aCallCancelledBeforeItStartsTellsItsDelegateOnALaterTick() {
        let loop = EmbeddedEventLoop()
        let connector = Connector(loop: loop)
        let client = UpstreamClientVirtualTimeTests.makeClient(loop: loop, openChannel: connector.open)
        var finished = 0
        let call = client.makeCall(path: "/a.B/C", metadata: [], timeout: nil) { finished += 1 }
        call.cancel()
        #expect(call.isFinished)
        #expect(finished == 1)
        let delegate = RecordingCallDelegate()
        call.start(delegate: delegate)
        #expect(delegate.status == nil)
        loop.run()
        #expect(delegate.status == GRPCStatus(code: .cancelled, message: "call cancelled"))
        #expect(delegate.finishCount == 1)
        #expect(finished == 1)
        #expect(connector.attempts == 0)
        _ = client.close()
    }

    @Test func startCallIsMakeCallThenStart() {
        let loop = EmbeddedEventLoop()
        let connector = Connector(loop: loop)
        let client = UpstreamClientVirtualTimeTests.makeClient(loop: loop, openChannel: connector.open)
        var finished = 0
        let delegate = RecordingCallDelegate()
        let call = client.startCall(path: "/a.B/C", metadata: [], timeout: nil, delegate: delegate) { finished += 1 }
        #expect(connector.attempts == 1)
        #expect(client.outstandingCalls == 1)
        connector.pending[0].fail(ChannelError.connectTimeout(.seconds(2)))
        #expect(call.isFinished)
        #expect(finished == 1)
        #expect(delegate.status?.code == .unavailable)
        #expect(call.failedConnectAttempts == 1)
        _ = client.close()
    }

    @Test func startingOnAClosedClientFailsOnALaterTick() {
        let loop = EmbeddedEventLoop()
        let client = UpstreamClientVirtualTimeTests.makeClient(loop: loop) { _ in
            loop.makeFailedFuture(ChannelError.ioOnClosedChannel)
        }
        let call = client.makeCall(path: "/a.B/C", metadata: [], timeout: nil)
        _ = client.close()
        let delegate = RecordingCallDelegate()
        call.start(delegate: delegate)
        #expect(delegate.status == nil)
        loop.run()
        #expect(delegate.status == GRPCStatus(code: .unavailable, message: "upstream client for 127.0.0.1:1 is closed"))
    }
}
