import NIOCore

// The response side: header blocks, DATA, message delivery and the stream closing.
extension UpstreamCallStateMachine {
    /// The answer to a response header block.
    enum OnHeaders {
        /// Nothing to do (informational headers, or the call is over).
        case none
        /// Hand the response headers (pseudo-headers removed) to the delegate.
        case deliverHeaders([(name: String, value: String)])
        /// The backend finished (trailers, or a trailers-only response): release the stream
        /// (`streamID`, resetting it with `reset` when our side is still open), then deliver the
        /// buffered messages; the last ``nextDelivery()`` finishes the call.
        case closeStreamAndDeliver(streamID: Int32?, reset: UInt32?)
        /// The response is unacceptable: the call is finished.
        case finish(Finish)
    }

    /// The answer to DATA payload.
    enum OnData: Equatable {
        /// The bytes are buffered: deliver, then ask ``windowToReopen(afterDelivering:)``.
        case deliver
        /// The call takes no more data: reopen the window for all of it and drop it.
        case discard
    }

    /// The next step of delivering buffered response messages.
    enum OnDelivery {
        /// Hand this message to the delegate, then ask again.
        case message(ByteBuffer)
        /// The call is finished (its status after the last message, or a bad message).
        case finish(Finish)
        /// Nothing to deliver now (paused, finished, or a message still incomplete).
        case stop
    }

    /// The answer to the stream closing.
    enum OnStreamClosed {
        /// The call is already over, or finishes from messages it still delivers.
        case none
        /// The backend refused the stream unprocessed: the call is waiting again with its whole
        /// request; queue it on its client.
        case requeue
        /// The call is finished.
        case finish(Finish)
    }

    /// A complete response header block arrived, pseudo-headers among its fields (tests and
    /// scripted peers): ``receiveHeaders(_:status:endStream:)`` with `:status` taken out.
    /// - Parameters:
    ///   - fields: The block's fields, pseudo-headers included.
    ///   - endStream: Whether it carried END_STREAM.
    mutating func receiveHeaders(_ fields: [(name: String, value: String)], endStream: Bool) -> OnHeaders {
        let status = fields.first { $0.name == ":status" }.map { Int($0.value) ?? 0 }
        return self.receiveHeaders(fields.filter { !$0.name.hasPrefix(":") }, status: status, endStream: endStream)
    }

    /// A complete response header block arrived (headers, or trailers once headers came).
    /// - Parameters:
    ///   - fields: The block's fields, without pseudo-headers.
    ///   - status: The block's `:status` (0 when not a number); nil when it has none (trailers).
    ///   - endStream: Whether it carried END_STREAM.
    mutating func receiveHeaders(_ fields: [(name: String, value: String)], status: Int?, endStream: Bool) -> OnHeaders
    {
        if case .finished = self.state { return .none }
        // RFC 9113 §6.5.2 size: name + value + 32 per field.
        let metadataBytes = fields.reduce(status == nil ? 0 : 42) { $0 + $1.name.utf8.count + $1.value.utf8.count + 32 }
        if metadataBytes > self.maxMetadataBytes {
            let status = GRPCStatus(
                code: .resourceExhausted,
                message:
                    "backend \(self.receivedHeaders ? "trailers" : "headers") of \(metadataBytes) bytes exceed the limit of \(self.maxMetadataBytes)"
            )
            return self.finishing(status, reset: http2CancelCode)
        }
        if self.receivedHeaders {
            // Trailers. Messages still buffered behind a pause are delivered first.
            return self.serverFinished(GRPCStatus(trailers: fields), trailers: fields)
        }
        let httpStatus = status ?? 0
        var contentType: String?
        for field in fields {
            if field.name == "content-type" {
                contentType = field.value
            } else if field.name == "grpc-encoding" {
                self.responseEncoding = field.value == "identity" ? nil : field.value.lowercased()
            }
        }
        if (100..<200).contains(httpStatus) && !endStream { return .none }  // informational
        if httpStatus != 200 {
            let status = GRPCStatus(code: .init(httpStatus: httpStatus), message: "backend answered HTTP \(httpStatus)")
            return self.finishing(status, trailers: fields, reset: http2CancelCode)
        }
        if let contentType, !Self.isGRPCContentType(contentType) {
            let status = GRPCStatus(code: .unknown, message: "backend answered with content-type '\(contentType)'")
            return self.finishing(status, reset: http2CancelCode)
        }
        if endStream {
            // Trailers-only response.
            return self.serverFinished(GRPCStatus(trailers: fields), trailers: fields)
        }
        if contentType == nil {
            return self.finishing(
                GRPCStatus(code: .unknown, message: "backend response has no content-type"),
                reset: http2CancelCode
            )
        }
        self.receivedHeaders = true
        return .deliverHeaders(fields)
    }

    /// DATA payload arrived for the call's stream.
    mutating func receiveData(_ bytes: ByteBuffer) -> OnData {
        switch self.state {
        case .finished, .closing:
            return .discard
        case .idle, .waiting, .active:
            self.deframer.append(bytes)
            return .deliver
        }
    }

    /// After delivering a chunk of `count` bytes: how much of the stream window to reopen now.
    /// Decided after delivery: a delegate that paused inside it holds back the window for this
    /// whole chunk, even the part already delivered (``resumedDelivery()`` returns it).
    mutating func windowToReopen(afterDelivering count: Int) -> Int {
        guard self.isPaused else { return count }
        self.unconsumedBytes += count
        return 0
    }

    /// The next step of delivering buffered response messages; ask again after each message.
    mutating func nextDelivery() -> OnDelivery {
        if self.isPaused || self.isFinished { return .stop }
        switch self.deframer.next() {
        case .message(let message):
            return .message(message)
        case .needMoreData:
            guard case .closing(var status, let trailers) = self.state else { return .stop }
            if status.code == .ok && self.deframer.hasBufferedBytes {
                status = GRPCStatus(code: .internalError, message: "response ended inside a message")
            }
            return self.finishing(status, trailers: trailers)
        case .compressed(let compressed):
            guard self.responseEncoding == "gzip" else {
                let encoding = self.responseEncoding.map { "grpc-encoding \($0)" } ?? "no grpc-encoding"
                let status = GRPCStatus(
                    code: .internalError,
                    message: "backend sent a compressed message with \(encoding); Portico reads gzip"
                )
                return self.finishing(status, reset: http2CancelCode)
            }
            do {
                return .message(try Gzip.decompress(compressed, limit: self.deframer.maxMessageLength))
            } catch {
                let status = GRPCStatus(
                    code: .internalError,
                    message: "cannot inflate a gzip response message: \(error)"
                )
                return self.finishing(status, reset: http2CancelCode)
            }
        case .tooLarge(let length):
            let status = GRPCStatus(
                code: .resourceExhausted,
                message: "response message of \(length) bytes exceeds the limit of \(self.deframer.maxMessageLength)"
            )
            return self.finishing(status, reset: http2CancelCode)
        }
    }

    /// nghttp2 closed the call's stream with `errorCode` (0: cleanly).
    /// - Parameter canRequeue: Whether the call has a client to be queued on again.
    mutating func streamClosed(errorCode: UInt32, canRequeue: Bool) -> OnStreamClosed {
        switch self.state {
        case .finished, .closing:
            return .none
        case .idle, .waiting, .active:
            break
        }
        if errorCode == http2RefusedStreamCode, self.requeueIfUnprocessed(canRequeue: canRequeue) { return .requeue }
        let status: GRPCStatus
        if errorCode != 0 {
            status = GRPCStatus(
                code: .init(http2ErrorCode: errorCode),
                message: "stream reset by the backend (HTTP/2 error code \(errorCode))"
            )
        } else {
            status = GRPCStatus(code: .internalError, message: "backend closed the stream without sending trailers")
        }
        guard let finish = self.finish(status) else { return .none }
        return .finish(finish)
    }

    // MARK: Helpers

    /// The backend sent its status: the stream is released (reset when our side is still
    /// open, so it stops counting), and the call finishes after its buffered messages.
    private mutating func serverFinished(_ status: GRPCStatus, trailers: [(name: String, value: String)]) -> OnHeaders {
        var streamID: Int32?
        var reset: UInt32?
        if case .active(let id) = self.state {
            streamID = id
            reset = self.endOfStreamSent ? nil : http2CancelCode
        }
        self.state = .closing(status, trailers: trailers)
        return .closeStreamAndDeliver(streamID: streamID, reset: reset)
    }

    private mutating func finishing(
        _ status: GRPCStatus,
        trailers: [(name: String, value: String)] = [],
        reset: UInt32? = nil
    ) -> OnHeaders {
        guard let finish = self.finish(status, trailers: trailers, reset: reset) else { return .none }
        return .finish(finish)
    }

    private mutating func finishing(
        _ status: GRPCStatus,
        trailers: [(name: String, value: String)] = [],
        reset: UInt32? = nil
    ) -> OnDelivery {
        guard let finish = self.finish(status, trailers: trailers, reset: reset) else { return .stop }
        return .finish(finish)
    }

    /// `application/grpc` optionally followed by `+proto`, `+json`, ... or `;params`.
    static func isGRPCContentType(_ value: String) -> Bool {
        let prefix: StaticString = "application/grpc"
        let utf8 = value.utf8
        guard utf8.count >= prefix.utf8CodeUnitCount else { return false }
        // Compared byte by byte, case-insensitively: lowercasing would make a String per call.
        let matches = prefix.withUTF8Buffer { expected in
            zip(utf8, expected).allSatisfy { byte, wanted in byte | (byte >= 0x41 && byte <= 0x5A ? 0x20 : 0) == wanted
            }
        }
        guard matches else { return false }
        guard let next = utf8.dropFirst(prefix.utf8CodeUnitCount).first else { return true }
        return next == UInt8(ascii: "+") || next == UInt8(ascii: ";")
    }
}
