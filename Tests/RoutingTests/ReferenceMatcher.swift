import ProtoSchema
import Routing

/// The matching rules of ``RouteTable``'s documentation written as plainly as possible, with no
/// index: every route is tried against the split path and the most specific match wins. An
/// oracle for the trie and its byte-level walk (query strings excluded).
///
/// Precedence as a sort: the route whose segment kinds (literal < `*` < `**`, a template that
/// ends before a `**` first) come first lexicographically, then exactly the request's method
/// before `*`, then definition order.
struct ReferenceMatcher {
    let routes: [Route]

    /// What a lookup gives: an outcome, or a thrown ``RoutingError``'s message.
    enum Result: Equatable, CustomStringConvertible {
        case outcome(Outcome)
        case failure(String)

        var description: String {
            switch self {
            case .outcome(let outcome): return outcome.description
            case .failure(let message): return "failure(\(message))"
            }
        }
    }

    func lookup(_ method: String, _ path: String) -> Result {
        guard path.hasPrefix("/") else { return .outcome(.notFound) }
        guard Self.isWellFormed(path) else {
            return .failure("the path has a '%' that is not followed by two hex digits")
        }
        var segments = path.unicodeScalars.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            String($0)
        }
        var verb: String?
        var verbSegments: [String] = []
        if let last = segments.last, let colon = last.unicodeScalars.lastIndex(of: ":") {
            let candidate = String(last.unicodeScalars[last.unicodeScalars.index(after: colon)...])
            if routes.contains(where: { $0.template.verb == candidate }) {
                verb = candidate
                verbSegments = segments
                verbSegments[verbSegments.count - 1] = String(last.unicodeScalars[..<colon])
                while verbSegments.last?.isEmpty == true { verbSegments.removeLast() }
            }
        }
        while segments.last?.isEmpty == true { segments.removeLast() }

        let passes = (verb.map { [(verbSegments, Optional($0))] } ?? []) + [(segments, nil)]
        for (pass, passVerb) in passes {
            for candidateMethod in method == "HEAD" ? ["HEAD", "GET"] : [method] {
                if let route = best(pass, verb: passVerb, method: candidateMethod) {
                    return values(route, pass)
                }
            }
        }
        var allowed = Set(
            passes.flatMap { pass, passVerb in
                routes.filter { $0.template.verb == passVerb && Self.kinds($0.template, pass) != nil }.map(\.verb)
            }
        )
        guard !allowed.isEmpty else { return .outcome(.notFound) }
        if allowed.contains("GET") { allowed.insert("HEAD") }
        return .outcome(.methodNotAllowed(allowed.sorted()))
    }

    private func best(_ segments: [String], verb: String?, method: String) -> Route? {
        let candidates = routes.compactMap { route -> (kinds: [Int], exact: Bool, route: Route)? in
            let exact = route.verb.utf8.elementsEqual(method.utf8)
            guard route.template.verb == verb, exact || route.verb == "*",
                let kinds = Self.kinds(route.template, segments)
            else { return nil }
            return (kinds, exact, route)
        }
        return candidates.min { a, b in
            if a.kinds != b.kinds { return a.kinds.lexicographicallyPrecedes(b.kinds) }
            if a.exact != b.exact { return a.exact }
            return a.route.index < b.route.index
        }?.route
    }

    /// The template's segment kinds (0 literal, 1 `*`, 2 `**`) if it matches, else nil.
    private static func kinds(_ template: PathTemplate, _ segments: [String]) -> [Int]? {
        var kinds: [Int] = []
        for (index, segment) in template.segments.enumerated() {
            switch segment {
            case .deepWildcard:
                return index <= segments.count ? kinds + [2] : nil
            case .wildcard:
                guard index < segments.count else { return nil }
                kinds.append(1)
            case .literal(let text):
                guard index < segments.count, normalForm(segments[index]) == normalForm(text) else { return nil }
                kinds.append(0)
            }
        }
        return template.segments.count == segments.count ? kinds : nil
    }

    private func values(_ route: Route, _ segments: [String]) -> Result {
        var bindings: [String] = []
        for (variable, fields) in zip(route.template.variables, route.variableFields) {
            let range = variable.endsWithDeepWildcard ? variable.range.lowerBound..<segments.count : variable.range
            let decoded = segments[range].map { Self.decode($0, keepEncodedSlash: variable.isMultiSegment) }
            guard let value = String(validating: Array(decoded.joined(separator: [UInt8(ascii: "/")])), as: UTF8.self)
            else {
                return .failure(
                    "the value of path variable {\(variable.dottedFieldPath)} is not UTF-8 after percent-decoding"
                )
            }
            bindings.append(fields.map(\.name).joined(separator: ".") + "=" + value)
        }
        return .outcome(.matched(route.pathTemplate, bindings))
    }

    private static func isWellFormed(_ path: String) -> Bool {
        let bytes = Array(path.utf8)
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "%") {
            guard index + 2 < bytes.count, hex(bytes[index + 1]) != nil, hex(bytes[index + 2]) != nil else {
                return false
            }
        }
        return true
    }

    /// Escapes of unreserved characters decoded, other escapes in upper case.
    private static func normalForm(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count, let high = hex(bytes[index + 1]),
                let low = hex(bytes[index + 2])
            {
                let byte = high * 16 + low
                let unreserved =
                    (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
                    || "-._~".utf8.contains(byte)
                output +=
                    unreserved ? [byte] : [UInt8(ascii: "%"), upperCase(bytes[index + 1]), upperCase(bytes[index + 2])]
                index += 3
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func decode(_ text: String, keepEncodedSlash: Bool) -> [UInt8] {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]),
                !(keepEncodedSlash && high * 16 + low == UInt8(ascii: "/"))
            {
                output.append(high * 16 + low)
                index += 3
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return output
    }

    private static func upperCase(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) ? byte - 32 : byte
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
