import Yams

/// Walks a composed YAML tree and records every problem with its YAML path instead of stopping
/// at the first, so `portico check` can list them all.
struct YAMLReader {
    private(set) var problems: [ConfigProblem] = []

    mutating func report(_ path: String, _ message: String, at node: Node?) {
        problems.append(ConfigProblem(path: path, message: message, location: node?.mark.map(\.description)))
    }

    /// The mapping at `node`, or nil (with a problem) when it is another kind of node.
    mutating func mapping(_ node: Node, at path: String) -> [(key: String, value: Node)]? {
        guard case .mapping(let mapping) = node else {
            report(path, "expected a mapping", at: node)
            return nil
        }
        var result: [(key: String, value: Node)] = []
        for (key, value) in mapping {
            guard let name = key.string else {
                report(path, "mapping keys must be strings", at: key)
                continue
            }
            result.append((name, value))
        }
        return result
    }

    /// Reports every key of `entries` not in `known`.
    mutating func rejectUnknownKeys(_ entries: [(key: String, value: Node)], known: Set<String>, at path: String) {
        for (key, value) in entries where !known.contains(key) {
            let expected = known.sorted().joined(separator: ", ")
            report(join(path, key), "unknown key \"\(key)\" (expected one of: \(expected))", at: value)
        }
    }

    /// The sequence at `node`; a single scalar is accepted as a one-element list.
    mutating func sequence(_ node: Node, at path: String) -> [Node]? {
        switch node {
        case .sequence(let sequence): return Array(sequence)
        case .scalar: return [node]
        default:
            report(path, "expected a list", at: node)
            return nil
        }
    }

    mutating func string(_ node: Node, at path: String) -> String? {
        guard case .scalar(let scalar) = node else {
            report(path, "expected a string", at: node)
            return nil
        }
        return scalar.string
    }

    mutating func bool(_ node: Node, at path: String) -> Bool? {
        guard case .scalar = node, let value = node.bool else {
            report(path, "expected true or false", at: node)
            return nil
        }
        return value
    }

    /// An integer within `range`: decimal, or `0x`, `0o`, `0b` as YAML 1.1 writes them. Base-60
    /// forms (`1:30`, YAML 1.1 only) are refused: Yams multiplies their parts unchecked and traps
    /// on an overflow (`FuzzGatewayConfig` found `6888886888888888888:1`), and YAML 1.2 reads them
    /// as strings.
    mutating func int(_ node: Node, at path: String, range: ClosedRange<Int>) -> Int? {
        if case .scalar(let scalar) = node, scalar.string.contains(":") {
            let message = "expected an integer, got \"\(scalar.string)\" (base-60 forms such as 1:30 are not read)"
            report(path, message, at: node)
            return nil
        }
        guard case .scalar = node, let value = node.int else {
            report(path, "expected an integer", at: node)
            return nil
        }
        guard range.contains(value) else {
            report(path, "must be between \(range.lowerBound) and \(range.upperBound)", at: node)
            return nil
        }
        return value
    }

    /// `host:port`, `[v6]:port` or `:port`.
    mutating func hostPort(_ node: Node, at path: String) -> GatewayConfig.HostPort? {
        guard let text = string(node, at: path) else { return nil }
        let host: Substring
        let portText: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[close...].dropFirst().drop { $0 == ":" }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            report(path, "expected host:port, got \"\(text)\"", at: node)
            return nil
        }
        guard let port = Int(portText), (0...65535).contains(port) else {
            report(path, "invalid port in \"\(text)\"", at: node)
            return nil
        }
        return GatewayConfig.HostPort(host: host.isEmpty ? "0.0.0.0" : String(host), port: port)
    }

    /// The longest duration a setting takes, in milliseconds: 100 years. Far beyond any useful
    /// setting, and far enough from `Int64.max` nanoseconds (292 years), which NIO's `TimeAmount`
    /// counts in, for a deadline or a sum of two settings never to overflow.
    static let maxDurationMilliseconds: Double = 100 * 365 * 86_400_000

    /// A duration like `10s`, `250ms`, `1m`, `1.5s`, from 1ms to 100 years; returns milliseconds.
    mutating func durationMilliseconds(_ node: Node, at path: String) -> Int64? {
        guard let text = string(node, at: path) else { return nil }
        let units: [(String, Double)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value > 0, value.isFinite else { continue }
            let milliseconds = (value * scale).rounded()
            guard milliseconds <= Self.maxDurationMilliseconds else {
                report(path, "\"\(text)\" is longer than the 100 years a duration may be", at: node)
                return nil
            }
            if milliseconds >= 1 { return Int64(milliseconds) }
        }
        report(path, "expected a positive duration such as 10s or 250ms, got \"\(text)\"", at: node)
        return nil
    }

    func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }
}
