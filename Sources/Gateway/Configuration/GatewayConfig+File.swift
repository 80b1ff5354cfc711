import Foundation
import Yams

extension GatewayConfig {
    /// A parsed config and the folder its relative paths are resolved against.
    public struct Loaded: Sendable {
        /// The parsed configuration.
        public var config: GatewayConfig
        /// The folder of the config file.
        public var baseDirectory: String
    }

    /// Reads and parses a `Gateway.yaml` file.
    /// - Throws: ``ConfigError`` when the file can't be read or has problems.
    public static func load(path: String) throws(ConfigError) -> Loaded {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(code: .unreadable, message: "cannot read \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(code: .unreadable, message: "\(path) is not UTF-8 text")
        }
        let config: GatewayConfig
        do {
            config = try parse(yaml: text)
        } catch {
            throw error.titled(path)
        }
        let directory = (path as NSString).deletingLastPathComponent
        return Loaded(config: config, baseDirectory: directory.isEmpty ? "." : directory)
    }

    /// Parses a `host:port` command-line value.
    /// - Throws: ``ConfigError`` naming the value.
    public static func parseHostPort(_ text: String) throws(ConfigError) -> HostPort {
        var reader = YAMLReader()
        guard let value = reader.hostPort(Node(text), at: "listen") else {
            throw ConfigError(code: .invalid, message: "invalid listen address", problems: reader.problems)
        }
        return value
    }
}
