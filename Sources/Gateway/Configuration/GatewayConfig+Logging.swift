import Yams

extension GatewayConfig {
    /// The `logging` key: the access log and the format of every log line.
    ///
    /// ```yaml
    /// logging:
    ///   access: true      # one line per request on stdout (default false)
    ///   format: json      # json | text (default text)
    ///   level: info       # the lowest level of the gateway's other logs (default info)
    /// ```
    public struct LoggingSettings: Sendable, Equatable {
        /// How log lines are written.
        public enum Format: String, Sendable, Equatable {
            /// One JSON object per line.
            case json
            /// One readable line, `key=value` fields.
            case text
        }

        /// Whether every request is logged on stdout when it ends; also turns on `X-Request-Id`
        /// handling (kept or generated, forwarded, returned).
        public var access = false
        /// The format of access-log lines and of the gateway's other logs.
        public var format = Format.text
        /// The lowest level of the gateway's other logs: `trace`, `debug`, `info`, `notice`,
        /// `warning`, `error` or `critical`.
        public var level = "info"

        /// The defaults: no access log, text, info.
        public init() {}
    }

    /// The log levels `logging.level` takes, lowest first.
    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Decodes `logging`.
    static func parseLogging(_ node: Node, into settings: inout LoggingSettings, reader: inout YAMLReader) {
        for (key, value) in reader.mapping(node, at: "logging") ?? [] {
            let path = "logging.\(key)"
            switch key {
            case "access":
                if let on = reader.bool(value, at: path) { settings.access = on }
            case "format":
                guard let text = reader.string(value, at: path) else { break }
                if let format = LoggingSettings.Format(rawValue: text) {
                    settings.format = format
                } else {
                    reader.report(path, "unknown format \"\(text)\" (expected json or text)", at: value)
                }
            case "level":
                guard let text = reader.string(value, at: path) else { break }
                if logLevels.contains(text) {
                    settings.level = text
                } else {
                    reader.report(
                        path,
                        "unknown level \"\(text)\" (expected \(logLevels.joined(separator: ", ")))",
                        at: value
                    )
                }
            default:
                reader.report(path, "unknown key \"\(key)\" (expected access, format, level)", at: value)
            }
        }
    }

    /// Decodes `metrics: { enabled: true }`: with `false`, requests and calls are not recorded
    /// (connection and endpoint gauges and the control plane's own metrics still are).
    static func parseMetrics(_ node: Node, into enabled: inout Bool, reader: inout YAMLReader) {
        for (key, value) in reader.mapping(node, at: "metrics") ?? [] {
            switch key {
            case "enabled":
                if let on = reader.bool(value, at: "metrics.enabled") { enabled = on }
            default:
                reader.report("metrics.\(key)", "unknown key \"\(key)\" (expected enabled)", at: value)
            }
        }
    }
}
