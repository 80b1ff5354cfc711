import CNGHTTP2

/// The header fields of one request, built in storage that lives as long as the session: the
/// names and values of constant fields point at static strings, the others are copied into one
/// scratch area, and the `nghttp2_nv` array is kept too, so submitting a request allocates
/// nothing on Portico's side (nghttp2 copies the fields during the submit).
struct NGHTTP2RequestFields {
    private enum Bytes {
        case constant(UnsafePointer<UInt8>, count: Int)
        case copied(offset: Int, count: Int)
    }

    private var fields: [(name: Bytes, value: Bytes)] = []
    private var scratch = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    private var used = 0
    private var nvs = UnsafeMutableBufferPointer<nghttp2_nv>(start: nil, count: 0)

    /// Starts a new request's fields.
    mutating func removeAll() {
        fields.removeAll(keepingCapacity: true)
        used = 0
    }

    /// A field whose name and value are constants.
    mutating func append(_ name: StaticString, _ value: StaticString) {
        fields.append(
            (
                .constant(name.utf8Start, count: name.utf8CodeUnitCount),
                .constant(value.utf8Start, count: value.utf8CodeUnitCount)
            )
        )
    }

    /// A field with a constant name and a value to copy.
    mutating func append(_ name: StaticString, _ value: String) {
        fields.append((.constant(name.utf8Start, count: name.utf8CodeUnitCount), copy(value)))
    }

    /// A field whose name and value are copied.
    mutating func append(_ name: String, _ value: String) {
        fields.append((copy(name), copy(value)))
    }

    private mutating func copy(_ text: String) -> Bytes {
        var text = text
        return text.withUTF8 { bytes in
            reserve(bytes.count)
            UnsafeMutableRawBufferPointer(rebasing: scratch[used..<(used + bytes.count)]).copyMemory(
                from: UnsafeRawBufferPointer(bytes)
            )
            defer { used += bytes.count }
            return .copied(offset: used, count: bytes.count)
        }
    }

    private mutating func reserve(_ count: Int) {
        guard used + count > scratch.count else { return }
        let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1024, (used + count) * 2), alignment: 1)
        if used > 0 { grown.copyMemory(from: UnsafeRawBufferPointer(rebasing: scratch[..<used])) }
        scratch.deallocate()
        scratch = grown
    }

    /// Calls `body` with the fields as `nghttp2_nv`s (valid only inside `body`).
    mutating func withNameValues<Result>(_ body: (UnsafeMutableBufferPointer<nghttp2_nv>) -> Result) -> Result {
        if nvs.count < fields.count {
            nvs.deallocate()
            nvs = .allocate(capacity: max(16, fields.count * 2))
        }
        let base = scratch.baseAddress?.assumingMemoryBound(to: UInt8.self)
        func pointer(_ bytes: Bytes) -> (UnsafeMutablePointer<UInt8>, Int) {
            switch bytes {
            case .constant(let start, let count): (UnsafeMutablePointer(mutating: start), count)
            case .copied(let offset, let count): (base! + offset, count)
            }
        }
        for (index, field) in fields.enumerated() {
            let (name, nameLength) = pointer(field.name)
            let (value, valueLength) = pointer(field.value)
            nvs[index] = nghttp2_nv(
                name: name,
                value: value,
                namelen: nameLength,
                valuelen: valueLength,
                flags: cnghttp2_nv_flag_none
            )
        }
        return body(UnsafeMutableBufferPointer(rebasing: nvs[..<fields.count]))
    }

    /// Frees the storage (the session's deinit).
    func deallocate() {
        scratch.deallocate()
        nvs.deallocate()
    }
}

extension NGHTTP2Session {
    /// Queues the HEADERS built in ``requestFields``, the body to be pulled from ``bodySource``.
    /// - Returns: The new stream id, or a negative `nghttp2_error`.
    func submitRequest() -> Int32 {
        guard let session else { return Int32(NGHTTP2_ERR_INVALID_STATE.rawValue) }
        return requestFields.withNameValues { nvs in
            // No data_source_read_length_callback: nghttp2 then cuts DATA into 16 KiB frames even
            // when the peer allows larger ones. Measured on a 1 GiB upload (peer max frame 1 MiB):
            // 64 KiB and 256 KiB frames cost 1.4x and 2x the client loop's CPU (cold copies through
            // the larger frame and output buffers) for no gain in throughput.
            var provider = cnghttp2_data_provider()
            provider.read_callback = { _, streamID, buffer, length, dataFlags, _, userData in
                let me = Unmanaged<NGHTTP2Session>.fromOpaque(userData!).takeUnretainedValue()
                guard let source = me.bodySource, let buffer else {
                    return cnghttp2_ssize(cnghttp2_err_temporal_callback_failure)
                }
                switch source.readBody(
                    streamID: streamID,
                    into: UnsafeMutableRawBufferPointer(start: buffer, count: length)
                ) {
                case .bytes(let count, let endOfStream):
                    if endOfStream { dataFlags!.pointee |= cnghttp2_data_flag_eof }
                    return cnghttp2_ssize(count)
                case .deferred:
                    return cnghttp2_ssize(cnghttp2_err_deferred)
                case .unknownStream:
                    return cnghttp2_ssize(cnghttp2_err_temporal_callback_failure)
                }
            }
            return cnghttp2_submit_request(session, nvs.baseAddress, nvs.count, &provider)
        }
    }
}
