/// The only owner of nghttp2 C pointers in Portico: one client `nghttp2_session`, used I/O-free.
///
/// Callback contract:
/// - Bytes go in with ``receive(_:)`` (`mem_recv`) and come out with ``drain(into:limit:)``
///   (`mem_send`). nghttp2 never does I/O and never calls back outside those two calls.
/// - nghttp2's callbacks only *record* what happened as ``NGHTTP2Event``s; the owner takes them with
///   ``takeEvents()`` after the call into the library returned and acts on them then. Nothing the
///   callbacks do can re-enter the library or run user code.
/// - Streams are identified by id only. No per-stream pointer is handed to nghttp2 (no
///   `stream_user_data`, no `source.ptr`), so a stream context can never dangle: the body read
///   callback asks ``bodySource`` for the stream by id.
/// - The session's `user_data` is this object, unretained. The owner keeps it alive and calls
///   ``close()`` (`nghttp2_session_del`, which fires no callbacks) outside any library call.
import CNGHTTP2
import NIOCore

/// Something nghttp2 reported during `mem_recv`/`mem_send`, delivered after the call returned.
enum NGHTTP2Event {
    /// A complete header block (response headers or trailers) for a stream: its `:status` (nil
    /// for trailers) apart from its other fields.
    case headers(streamID: Int32, status: Int?, fields: [(name: String, value: String)], endStream: Bool)
    /// DATA payload for a stream (consecutive chunks of one stream are merged).
    case data(streamID: Int32, bytes: ByteBuffer)
    /// The stream closed; `errorCode` is the HTTP/2 error code (0 after a clean close).
    case streamClosed(streamID: Int32, errorCode: UInt32)
    /// A request's HEADERS were never sent (e.g. after GOAWAY); no `streamClosed` follows.
    case requestNotSent(streamID: Int32, libraryError: Int32)
    /// The peer sent GOAWAY: streams above `lastStreamID` were not processed.
    case goAway(lastStreamID: Int32, errorCode: UInt32)
    /// The peer's SETTINGS changed (e.g. its concurrent stream limit).
    case settingsChanged
    /// The peer acknowledged one of our PINGs.
    case pingAcknowledged
}

/// Where a stream's request body comes from when nghttp2 asks for it during `mem_send`.
protocol NGHTTP2BodySource: AnyObject {
    /// Copies up to `buffer.count` bytes of the request body of `streamID` into `buffer`.
    /// Runs inside `mem_send`: must not call back into the session.
    func readBody(streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) -> NGHTTP2BodyRead
}

/// The answer of ``NGHTTP2BodySource/readBody(streamID:into:)``.
enum NGHTTP2BodyRead: Equatable {
    /// `count` bytes were copied; `endOfStream` closes our side (END_STREAM).
    case bytes(count: Int, endOfStream: Bool)
    /// Nothing to send now; the owner calls ``NGHTTP2Session/resumeBody(streamID:)`` when there is.
    case deferred
    /// The stream is unknown; nghttp2 resets it.
    case unknownStream
}

/// A fatal nghttp2 error code (a negative `nghttp2_error`), with the library's text for it.
struct NGHTTP2LibraryError: Error, CustomStringConvertible {
    /// The `nghttp2_error` value.
    var code: Int
    /// `nghttp2_strerror` for the code.
    var description: String { "nghttp2 error \(self.code): \(String(cString: nghttp2_strerror(Int32(self.code))))" }
}

/// One nghttp2 client session. Not thread-safe: used only on its connection's event loop.
final class NGHTTP2Session {
    private(set) var session: OpaquePointer?
    private var events: [NGHTTP2Event] = []
    /// The array ``takeEvents()`` hands out next, emptied but keeping its storage.
    private var spareEvents: [NGHTTP2Event] = []
    private var headerFields: [(name: String, value: String)] = []
    private var headerStatus: Int?
    /// DATA payload of the current `mem_recv`, copied here back to back; the `.data` events get
    /// slices of it once the call returned (see ``receive(_:)``), so a read costs one buffer at
    /// most, not one per DATA frame.
    private var receiveArena: ByteBuffer
    /// The `.data` events of the current `mem_recv` still to be given their slice: event index,
    /// and where its bytes are in ``receiveArena``.
    private var pendingData: [(event: Int, offset: Int, length: Int)] = []
    private let allocator: ByteBufferAllocator
    /// Supplies request bodies; the connection that owns this session.
    weak var bodySource: (any NGHTTP2BodySource)?
    /// The HEADERS of the request being built (see `NGHTTP2Session+Request.swift`), reused by
    /// every request of the session so that building one allocates nothing.
    var requestFields = NGHTTP2RequestFields()

    /// Creates a client session with manual (consume-driven) receive flow control.
    /// - Parameter allocator: Allocates the buffers that carry received DATA.
    /// - Throws: ``NGHTTP2LibraryError`` when nghttp2 cannot allocate the session.
    init(allocator: ByteBufferAllocator) throws {
        self.allocator = allocator
        self.receiveArena = allocator.buffer(capacity: 0)
        var callbacks: OpaquePointer?
        try Self.check(nghttp2_session_callbacks_new(&callbacks))
        defer { nghttp2_session_callbacks_del(callbacks) }
        Self.installCallbacks(callbacks)
        var option: OpaquePointer?
        try Self.check(nghttp2_option_new(&option))
        defer { nghttp2_option_del(option) }
        // Receive windows are reopened by consume() as the application takes data, so a paused
        // stream stops its sender instead of buffering without bound.
        nghttp2_option_set_no_auto_window_update(option, 1)
        var session: OpaquePointer?
        try Self.check(
            nghttp2_session_client_new2(&session, callbacks, Unmanaged.passUnretained(self).toOpaque(), option)
        )
        self.session = session
    }

    deinit {
        self.close()
        self.requestFields.deallocate()
    }

    /// Deletes the C session. Idempotent; must not be called from inside an nghttp2 callback.
    func close() {
        if let session = self.session {
            self.session = nil
            nghttp2_session_del(session)
        }
    }

    private static func check(_ rc: Int32) throws {
        if rc != 0 { throw NGHTTP2LibraryError(code: Int(rc)) }
    }

    /// Returns the events recorded since the last call, oldest first.
    func takeEvents() -> [NGHTTP2Event] {
        guard !self.events.isEmpty else { return [] }
        var taken = self.spareEvents
        self.spareEvents = []
        swap(&taken, &self.events)
        return taken
    }

    /// Gives back an array ``takeEvents()`` returned, once its events are handled, so that its
    /// storage carries the next events (no allocation per read).
    func recycle(_ events: inout [NGHTTP2Event]) {
        events.removeAll(keepingCapacity: true)
        if self.spareEvents.capacity < events.capacity { swap(&self.spareEvents, &events) }
    }

    // MARK: Submitting

    /// Queues our SETTINGS (no push, our stream window) and opens the connection window.
    /// - Parameters:
    ///   - streamWindow: `SETTINGS_INITIAL_WINDOW_SIZE`.
    ///   - connectionWindow: The connection-level receive window.
    func submitSettings(streamWindow: Int, connectionWindow: Int) throws {
        guard let session else { return }
        var entries = [
            nghttp2_settings_entry(settings_id: cnghttp2_settings_enable_push, value: 0),
            nghttp2_settings_entry(
                settings_id: cnghttp2_settings_initial_window_size,
                value: UInt32(clamping: min(streamWindow, Int(Int32.max)))
            ),
        ]
        try Self.check(nghttp2_submit_settings(session, cnghttp2_flag_none, &entries, entries.count))
        try Self.check(
            nghttp2_session_set_local_window_size(
                session,
                cnghttp2_flag_none,
                0,
                Int32(clamping: connectionWindow)
            )
        )
    }

    /// Tells nghttp2 that a deferred body has more bytes (or its end) to send.
    func resumeBody(streamID: Int32) {
        guard let session else { return }
        _ = nghttp2_session_resume_data(session, streamID)
    }

    /// Queues RST_STREAM for `streamID`.
    func resetStream(streamID: Int32, errorCode: UInt32) {
        guard let session else { return }
        _ = nghttp2_submit_rst_stream(session, cnghttp2_flag_none, streamID, errorCode)
    }

    /// Queues a PING (the peer must acknowledge it; nghttp2 answers the peer's own PINGs).
    func submitPing() {
        guard let session else { return }
        _ = nghttp2_submit_ping(session, cnghttp2_flag_none, nil)
    }

    /// Queues GOAWAY; afterwards the session wants neither to read nor to write.
    func terminate(errorCode: UInt32) {
        guard let session else { return }
        _ = nghttp2_session_terminate_session(session, errorCode)
    }

    /// Reopens the connection window for `count` received bytes.
    func consumeConnection(_ count: Int) {
        guard let session, count > 0 else { return }
        _ = nghttp2_session_consume_connection(session, count)
    }

    /// Reopens `streamID`'s window for `count` bytes the application has taken.
    func consumeStream(streamID: Int32, _ count: Int) {
        guard let session, count > 0 else { return }
        _ = nghttp2_session_consume_stream(session, streamID, count)
    }

    // MARK: State

    /// The peer's `SETTINGS_MAX_CONCURRENT_STREAMS`: 100 until its first SETTINGS arrives, then
    /// its value, or `UInt32.max` when it advertised none.
    var remoteMaxConcurrentStreams: Int {
        guard let session else { return 0 }
        return Int(cnghttp2_session_get_remote_settings(session, cnghttp2_settings_max_concurrent_streams))
    }

    /// False once the session is finished (GOAWAY exchanged and no streams, or a fatal error):
    /// the connection should then be closed.
    var isAlive: Bool {
        guard let session else { return false }
        return nghttp2_session_want_read(session) != 0 || nghttp2_session_want_write(session) != 0
    }

    // MARK: I/O

    /// Feeds received bytes to nghttp2 (`mem_recv`); events are recorded for ``takeEvents()``.
    /// - Throws: ``NGHTTP2LibraryError`` on a fatal protocol error (nghttp2 has queued GOAWAY).
    func receive(_ bytes: ByteBuffer) throws {
        guard let session else { return }
        // The arena is reused when nothing holds a slice of it any more (the usual case: the last
        // read's messages are delivered); otherwise the held slices keep the old one alive.
        if self.receiveArena.modifyIfUniquelyOwned({ $0.clear() }) == nil {
            self.receiveArena = self.allocator.buffer(capacity: max(16 << 10, bytes.readableBytes))
        }
        let rc = bytes.withUnsafeReadableBytes { raw in
            cnghttp2_session_mem_recv(session, raw.bindMemory(to: UInt8.self).baseAddress, raw.count)
        }
        for pending in self.pendingData {
            guard case .data(let streamID, _) = self.events[pending.event],
                let slice = self.receiveArena.getSlice(at: pending.offset, length: pending.length)
            else { continue }
            self.events[pending.event] = .data(streamID: streamID, bytes: slice)
        }
        self.pendingData.removeAll(keepingCapacity: true)
        if rc < 0 { throw NGHTTP2LibraryError(code: Int(rc)) }
    }

    /// Serializes pending frames (`mem_send`) into `buffer` until nghttp2 has nothing more that
    /// flow control allows, or `buffer` holds at least `limit` bytes.
    /// - Returns: Whether the limit stopped the drain (call again when the channel is writable).
    /// - Throws: ``NGHTTP2LibraryError`` on a fatal error.
    func drain(into buffer: inout ByteBuffer, limit: Int) throws -> Bool {
        guard let session else { return false }
        while buffer.readableBytes < limit {
            var chunk: UnsafePointer<UInt8>?
            let count = cnghttp2_session_mem_send(session, &chunk)
            if count < 0 { throw NGHTTP2LibraryError(code: Int(count)) }
            guard count > 0, let chunk else { return false }
            buffer.writeBytes(UnsafeRawBufferPointer(start: chunk, count: Int(count)))
        }
        return true
    }

    // MARK: Callbacks (record only)

    private static func from(_ userData: UnsafeMutableRawPointer?) -> NGHTTP2Session {
        Unmanaged<NGHTTP2Session>.fromOpaque(userData!).takeUnretainedValue()
    }

    /// The placeholder a `.data` event holds until ``receive(_:)`` gives it its slice.
    static let noBytes = ByteBuffer()

    /// The value of a `:status` (three digits); 0 when it is not a number.
    private static func decimal(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var value = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), value < 100_000 else { return 0 }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func installCallbacks(_ callbacks: OpaquePointer?) {
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, _, userData in
            let me = NGHTTP2Session.from(userData)
            me.headerStatus = nil
            // A response's blocks are a handful of fields: one allocation, not one per doubling.
            me.headerFields.reserveCapacity(8)
            return 0
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) {
            _,
            _,
            name,
            nameLength,
            value,
            valueLength,
            _,
            userData in
            let me = NGHTTP2Session.from(userData)
            let nameBytes = UnsafeBufferPointer(start: name, count: nameLength)
            let valueBytes = UnsafeBufferPointer(start: value, count: valueLength)
            if nameLength == 7, nameBytes.elementsEqual(":status".utf8) {
                me.headerStatus = NGHTTP2Session.decimal(valueBytes)
                return 0
            }
            me.headerFields.append((ResponseHeaderText.string(nameBytes), ResponseHeaderText.string(valueBytes)))
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            let me = NGHTTP2Session.from(userData)
            let header = frame!.pointee.hd
            switch header.type {
            case cnghttp2_frame_headers:
                let fields = me.headerFields
                me.headerFields = []
                me.events.append(
                    .headers(
                        streamID: header.stream_id,
                        status: me.headerStatus,
                        fields: fields,
                        endStream: header.flags & cnghttp2_flag_end_stream != 0
                    )
                )
            case cnghttp2_frame_settings:
                me.events.append(.settingsChanged)
            case cnghttp2_frame_ping where header.flags & cnghttp2_flag_ack != 0:
                me.events.append(.pingAcknowledged)
            case cnghttp2_frame_goaway:
                let goAway = frame!.pointee.goaway
                me.events.append(.goAway(lastStreamID: goAway.last_stream_id, errorCode: goAway.error_code))
            default:
                break
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, streamID, data, length, userData in
            let me = NGHTTP2Session.from(userData)
            let offset = me.receiveArena.writerIndex
            me.receiveArena.writeBytes(UnsafeRawBufferPointer(start: data, count: length))
            if let last = me.pendingData.last, last.event == me.events.count - 1,
                case .data(let lastID, _) = me.events[last.event], lastID == streamID
            {
                // Consecutive chunks of one stream are contiguous in the arena: one event.
                me.pendingData[me.pendingData.count - 1].length += length
            } else {
                me.pendingData.append((me.events.count, offset, length))
                me.events.append(.data(streamID: streamID, bytes: NGHTTP2Session.noBytes))
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, streamID, errorCode, userData in
            NGHTTP2Session.from(userData).events.append(.streamClosed(streamID: streamID, errorCode: errorCode))
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_not_send_callback(callbacks) { _, frame, libraryError, userData in
            let header = frame!.pointee.hd
            if header.type == cnghttp2_frame_headers {
                NGHTTP2Session.from(userData).events.append(
                    .requestNotSent(streamID: header.stream_id, libraryError: libraryError)
                )
            }
            return 0
        }
    }
}
