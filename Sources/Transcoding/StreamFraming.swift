/// How a streamed response body separates its messages.
public enum StreamFraming: Sendable, Hashable {
    /// One JSON value per line (`application/x-ndjson`), the default.
    case ndjson
    /// Server-sent events (`text/event-stream`): one `data:` event per message.
    case serverSentEvents
    /// One JSON array whose elements are the messages (`application/json`).
    case jsonArray
    /// One bare JSON value per transport frame (a WebSocket text frame): no separators, no
    /// prologue or epilogue. Never negotiated from `Accept`.
    case messagePerFrame

    /// The `Content-Type` of a response body in this framing.
    public var contentType: String {
        switch self {
        case .ndjson: "application/x-ndjson"
        case .serverSentEvents: "text/event-stream"
        case .jsonArray, .messagePerFrame: "application/json"
        }
    }

    /// Picks the framing for a request's `Accept` header.
    ///
    /// Only the three media types named explicitly count (`text/event-stream`,
    /// `application/json`, `application/x-ndjson`, case-insensitive); wildcards such as `*/*` or
    /// `application/*` and other types are ignored. The highest `q` wins, earlier in the header
    /// on a tie; `q=0` excludes a type. Without any of them: ``ndjson``.
    /// - Parameter accept: the header value (several headers joined with `,`), or nil.
    public static func negotiate(accept: String?) -> StreamFraming {
        guard let accept else { return .ndjson }
        var best: (framing: StreamFraming, q: Double)?
        for range in accept.split(separator: ",") {
            var parameters = range.split(separator: ";").makeIterator()
            guard let mediaType = parameters.next() else { continue }
            let framing: StreamFraming
            switch mediaType.trimmingJSONWhitespace().lowercased() {
            case "application/x-ndjson": framing = .ndjson
            case "text/event-stream": framing = .serverSentEvents
            case "application/json": framing = .jsonArray
            default: continue
            }
            var q = 1.0
            while let parameter = parameters.next() {
                let pair = parameter.split(separator: "=", maxSplits: 1)
                guard pair.count == 2, pair[0].trimmingJSONWhitespace().lowercased() == "q" else { continue }
                // An unreadable weight disqualifies the range rather than guessing.
                q = Double(pair[1].trimmingJSONWhitespace()).flatMap { (0...1).contains($0) ? $0 : nil } ?? 0
            }
            if q > 0 && q > (best?.q ?? 0) { best = (framing, q) }
        }
        return best?.framing ?? .ndjson
    }
}

extension Substring {
    /// The text without leading and trailing spaces and tabs.
    fileprivate func trimmingJSONWhitespace() -> Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
