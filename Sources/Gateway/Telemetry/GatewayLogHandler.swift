import Foundation
public import Logging
import Synchronization

/// The swift-log handler of `portico serve`: every log line (not the access log) on standard
/// error, in the format `logging.format` names — one JSON object (`time`, `level`, `label`,
/// `message`, then the metadata) or one text line (`time level label: message key=value…`).
/// The format is process-wide and follows the installed configuration (a reload may change it).
///
/// ```swift
/// LoggingSystem.bootstrap(GatewayLogHandler.init(label:))
/// GatewayLogHandler.format = .json
/// ```
public struct GatewayLogHandler: LogHandler {
    private static let jsonFormat = Atomic(false)
    private static let output = Mutex(())

    /// The format every handler writes (text until a configuration says otherwise).
    public static var format: GatewayConfig.LoggingSettings.Format {
        get { jsonFormat.load(ordering: .relaxed) ? .json : .text }
        set { jsonFormat.store(newValue == .json, ordering: .relaxed) }
    }

    /// The logger's label.
    public let label: String
    /// The lowest level written.
    public var logLevel: Logger.Level = .info
    /// Metadata added to every line of this logger.
    public var metadata: Logger.Metadata = [:]

    /// A handler for the logger labelled `label`.
    public init(label: String) {
        self.label = label
    }

    /// The metadata value for `key`.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one line.
    public func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        let line = Self.line(
            time: Date(),
            level: event.level,
            label: label,
            message: "\(event.message)",
            metadata: fields,
            format: Self.format
        )
        Self.output.withLock { _ in
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    /// One formatted line, ending in `\n`.
    static func line(
        time: Date,
        level: Logger.Level,
        label: String,
        message: String,
        metadata: Logger.Metadata,
        format: GatewayConfig.LoggingSettings.Format
    ) -> String {
        let stamp = timestamp(time)
        let sorted = metadata.sorted { $0.key < $1.key }
        switch format {
        case .json:
            var line = #"{"time":"\#(stamp)","level":"\#(level)","label":\#(quoted(label)),"#
            line += #""message":\#(quoted(message))"#
            for (key, value) in sorted where !["time", "level", "label", "message"].contains(key) {
                line += ",\(quoted(key)):\(quoted("\(value)"))"
            }
            return line + "}\n"
        case .text:
            var line = "\(stamp) \(level) \(label): \(message)"
            for (key, value) in sorted { line += " \(key)=\(quoted("\(value)"))" }
            return line + "\n"
        }
    }

    /// RFC 3339 UTC with milliseconds.
    static func timestamp(_ date: Date) -> String {
        let nanoseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) * 1_000_000
        var bytes: [UInt8] = []
        AccessLogLine.writeTimestamp(nanoseconds, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `text` as a JSON string (also used for text-format values: one line, whatever they hold).
    static func quoted(_ text: String) -> String {
        var bytes: [UInt8] = []
        AccessLogLine.writeQuoted(text, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
