import Logging
import NIOCore

// The output pump and the delivery of nghttp2's recorded events.
extension UpstreamConnection {
    /// Something for nghttp2 to send was queued: drain at the end of this read, or on the next tick.
    func outputChanged() {
        self.needsFlush = true
        guard !self.isReading, !self.isFlushing, !self.flushScheduled, self.context != nil else { return }
        self.flushScheduled = true
        self.context!.eventLoop.assumeIsolated().execute { [self] in
            self.flushScheduled = false
            self.flush()
        }
    }

    /// Drains nghttp2's output into the channel while it is writable, delivering the events that
    /// sending produced (streams closed by a reset, requests that could not be sent).
    func flush() {
        guard !self.isFlushing, let context, let session, self.isOpen, context.channel.isActive else { return }
        self.isFlushing = true
        var wrote = false
        // Always drain once: nghttp2 queues frames of its own during mem_recv (SETTINGS and PING
        // acks, WINDOW_UPDATE) without telling us. Stop while the channel is not writable.
        var firstPass = true
        while (firstPass || self.needsFlush) && self.isOpen && context.channel.isWritable {
            firstPass = false
            self.needsFlush = false
            var buffer = context.channel.allocator.buffer(capacity: 0)
            var hitLimit = false
            do {
                hitLimit = try session.drain(into: &buffer, limit: Self.drainChunkLimit)
            } catch {
                self.logger.warning("nghttp2 failed to serialize", metadata: ["error": "\(error)"])
                self.isFlushing = false
                context.close(promise: nil)
                return
            }
            if buffer.readableBytes > 0 {
                context.write(self.wrapOutboundOut(buffer), promise: nil)
                wrote = true
            }
            if hitLimit { self.needsFlush = true }
            self.processEvents()
        }
        self.isFlushing = false
        if wrote { context.flush() }
        if self.isOpen && !session.isAlive {
            // GOAWAY exchanged and no streams left, or a fatal error: nothing more will happen.
            self.closed(reason: "connection to \(self.target) finished")
            context.close(promise: nil)
        }
    }

    /// Acts on the events nghttp2 recorded during the last `mem_recv`/`mem_send`. Delegate
    /// callbacks run here, outside the library; they may start, send on or cancel calls, or close
    /// the client, which is why every step re-checks its stream by id.
    func processEvents() {
        guard let session else { return }
        var freedStreams = false
        var events = session.takeEvents()
        defer { session.recycle(&events) }
        for event in events {
            switch event {
            case .headers(let streamID, let status, let fields, let endStream):
                self.streams[streamID]?.receiveHeaders(fields, status: status, endStream: endStream)

            case .data(let streamID, let bytes):
                // The connection window always reopens: a paused call holds back only its stream.
                session.consumeConnection(bytes.readableBytes)
                self.needsFlush = true
                if let call = self.streams[streamID] {
                    let consumable = call.receiveData(bytes)
                    if self.streams[streamID] != nil {
                        session.consumeStream(streamID: streamID, consumable)
                    }
                }

            case .streamClosed(let streamID, let errorCode):
                if let call = self.streams.removeValue(forKey: streamID) {
                    freedStreams = true
                    self.streamRemoved()
                    call.streamClosed(errorCode: errorCode)
                }

            case .requestNotSent(let streamID, let libraryError):
                if let call = self.streams.removeValue(forKey: streamID) {
                    freedStreams = true
                    self.streamRemoved()
                    // Never sent: it may go out on another connection, once.
                    if call.retryUnprocessed() { continue }
                    let error = NGHTTP2LibraryError(code: Int(libraryError))
                    call.finish(GRPCStatus(code: .unavailable, message: "request not sent to \(self.target): \(error)"))
                }

            case .goAway(let lastStreamID, let errorCode):
                self.logger.debug(
                    "GOAWAY from backend",
                    metadata: [
                        "target": "\(self.target)", "lastStreamID": "\(lastStreamID)", "errorCode": "\(errorCode)",
                    ]
                )
                if case .stopOpeningStreams = self.machine.goAwayReceived() {
                    self.owner?.connectionDidReceiveGoAway(self)
                }

            case .settingsChanged:
                switch self.machine.peerSettingsReceived() {
                case .prefaceReceived, .settingsChanged:
                    freedStreams = true
                    self.receivedPeerSettings()
                case .ignore:
                    break
                }

            case .pingAcknowledged:
                self.machine.pingAcknowledged()
            }
        }
        if freedStreams { self.owner?.connectionHasCapacity(self) }
        if !self.isReading && !self.isFlushing && self.needsFlush { self.outputChanged() }
    }
}
