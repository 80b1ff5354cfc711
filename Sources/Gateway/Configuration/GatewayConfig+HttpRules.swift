import ProtoSchema
import Yams

extension GatewayConfig {
    /// The HttpRule keys of one `http.rules` entry (google.api.Service YAML format).
    private static let verbKeys = ["get", "put", "post", "delete", "patch"]
    private static let ruleKeys: Set<String> = [
        "selector", "get", "put", "post", "delete", "patch", "custom", "body", "response_body",
        "additional_bindings",
    ]

    /// Parses `http: { rules: [...] }`.
    static func parseHttp(_ node: Node, reader: inout YAMLReader) -> (rules: [YAMLHttpRule], autoMapping: Bool) {
        var rules: [YAMLHttpRule] = []
        var autoMapping = false
        for (key, value) in reader.mapping(node, at: "http") ?? [] {
            if key == "autoMapping" {
                autoMapping = reader.bool(value, at: "http.autoMapping") ?? false
                continue
            }
            guard key == "rules" else {
                // google.api.Http also has fully_decode_reserved_expansion; not supported yet.
                reader.report("http.\(key)", "unknown key \"\(key)\" (expected autoMapping, rules)", at: value)
                continue
            }
            for (i, item) in (reader.sequence(value, at: "http.rules") ?? []).enumerated() {
                let path = "http.rules[\(i)]"
                if let rule = parseRule(item, at: path, nested: false, reader: &reader) {
                    rules.append(YAMLHttpRule(rule: rule, yamlPath: path))
                }
            }
        }
        return (rules, autoMapping)
    }

    private static func parseRule(_ node: Node, at path: String, nested: Bool, reader: inout YAMLReader) -> HttpRule? {
        guard let fields = reader.mapping(node, at: path) else { return nil }
        reader.rejectUnknownKeys(fields, known: ruleKeys, at: path)
        var rule = HttpRule(verb: "", path: "")
        var patterns = 0
        var valid = true
        for (key, value) in fields {
            let keyPath = "\(path).\(key)"
            switch key {
            case "selector":
                rule.selector = reader.string(value, at: keyPath) ?? ""
                if nested {
                    reader.report(keyPath, "additional_bindings may not set selector", at: value)
                    valid = false
                }
            case _ where verbKeys.contains(key):
                patterns += 1
                rule.verb = key.uppercased()
                rule.path = reader.string(value, at: keyPath) ?? ""
            case "custom":
                patterns += 1
                for (customKey, customValue) in reader.mapping(value, at: keyPath) ?? [] {
                    switch customKey {
                    case "kind": rule.verb = (reader.string(customValue, at: "\(keyPath).kind") ?? "").uppercased()
                    case "path": rule.path = reader.string(customValue, at: "\(keyPath).path") ?? ""
                    default:
                        reader.report("\(keyPath).\(customKey)", "unknown key (expected kind, path)", at: customValue)
                    }
                }
            case "body": rule.body = reader.string(value, at: keyPath) ?? ""
            case "response_body": rule.responseBody = reader.string(value, at: keyPath) ?? ""
            case "additional_bindings":
                if nested {
                    reader.report(keyPath, "additional_bindings may only be nested one level deep", at: value)
                    valid = false
                    continue
                }
                for (i, item) in (reader.sequence(value, at: keyPath) ?? []).enumerated() {
                    if let binding = parseRule(item, at: "\(keyPath)[\(i)]", nested: true, reader: &reader) {
                        rule.additionalBindings.append(binding)
                    }
                }
            default: break
            }
        }
        if !nested, rule.selector.isEmpty {
            reader.report("\(path).selector", "every rule needs a selector (package.Service.Method)", at: node)
            valid = false
        }
        if patterns != 1 {
            reader.report(path, "exactly one of get, put, post, delete, patch, custom is required", at: node)
            valid = false
        } else if rule.verb.isEmpty || rule.path.isEmpty {
            reader.report(path, "the pattern needs a verb and a path", at: node)
            valid = false
        }
        return valid ? rule : nil
    }
}
