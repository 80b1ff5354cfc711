import ProtoSchema
import Routing
import Testing

/// Random route tables and request paths, every lookup compared with ``ReferenceMatcher``:
/// escapes in any case, `+`, `:` in and after segments, registered and unknown verbs, empty and
/// trailing segments, text outside ASCII (the Kelvin sign equals `K` as a Swift `String`),
/// malformed escapes, HEAD, `*` routes, 404 and 405.
@Suite("Matching agrees with the reference matcher")
struct ReferenceMatcherTests {
    /// SplitMix64, so that a failure can be replayed.
    struct Generator: RandomNumberGenerator {
        var state: UInt64

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let literals = ["a", "b", "v1", "K", "~u", "%7Eu", "x:y", "%2F", "a%2fb", "@", "%C3%A9", "go"]
    static let segments =
        literals + [
            "\u{212A}", "%4B", "%4b", "%7eu", "~U", "é", "e\u{301}", "%c3%a9", "%FF", "%2f", "", "", "c", "a+b",
            "x%3Ay", "a:go",
            "p:verb", "%61",
        ]
    static let fields = ["f_string", "renamed", "choice_text", "nested.label", "f_int32"]
    static let routeMethods = ["GET", "GET", "POST", "DELETE", "HEAD", "*"]
    static let requestMethods = ["GET", "HEAD", "POST", "PUT", "DELETE", "get"]
    static let verbs = ["verb", "go"]

    func template(_ random: inout Generator) -> String {
        var fields = Self.fields.shuffled(using: &random)
        var parts: [String] = []
        let count = Int.random(in: 0...4, using: &random)
        for index in 0..<count {
            let isLast = index == count - 1
            switch Int.random(in: 0..<12, using: &random) {
            case 0..<6: parts.append(Self.literals.randomElement(using: &random)!)
            case 6, 7: parts.append("*")
            case 8:
                parts.append(Bool.random(using: &random) ? "{\(fields.removeLast())}" : "{\(fields.removeLast())=*}")
            case 9: parts.append("{\(fields.removeLast())=a/*}")
            default: parts.append(isLast ? (Bool.random(using: &random) ? "**" : "{\(fields.removeLast())=**}") : "*")
            }
        }
        let verb = Int.random(in: 0..<4, using: &random) == 0 ? ":" + Self.verbs.randomElement(using: &random)! : ""
        return "/" + parts.joined(separator: "/") + verb
    }

    /// A table of the valid, non-conflicting ones of `count` random definitions.
    func table(_ random: inout Generator, count: Int) throws -> RouteTable {
        var specs = (0..<count).map { _ in
            Fixtures.Spec(verb: Self.routeMethods.randomElement(using: &random)!, template: template(&random))
        }
        while true {
            do {
                return try Fixtures.table(specs)
            } catch let error as RouteTableError {
                let rejected = Set(error.problems.map(\.source))
                specs = specs.enumerated().filter { !rejected.contains("routes[\($0.offset)]") }.map(\.element)
            }
        }
    }

    /// A path shaped like one of the routes (with segments swapped at random), or random.
    func path(_ table: RouteTable, _ random: inout Generator) -> String {
        var parts: [String] = []
        var verb = ""
        if let route = table.routes.randomElement(using: &random), Int.random(in: 0..<5, using: &random) > 0 {
            for segment in route.template.segments {
                switch segment {
                case .literal(let text) where Int.random(in: 0..<4, using: &random) > 0: parts.append(text)
                case .deepWildcard:
                    for _ in 0..<Int.random(in: 0...2, using: &random) {
                        parts.append(Self.segments.randomElement(using: &random)!)
                    }
                default: parts.append(Self.segments.randomElement(using: &random)!)
                }
            }
            if let routeVerb = route.template.verb, Int.random(in: 0..<4, using: &random) > 0 { verb = ":" + routeVerb }
        } else {
            for _ in 0..<Int.random(in: 0...4, using: &random) {
                parts.append(Self.segments.randomElement(using: &random)!)
            }
        }
        var path = "/" + parts.joined(separator: "/") + verb
        switch Int.random(in: 0..<20, using: &random) {
        case 0: path += "/"
        case 1: path += "//"
        case 2: path += ":" + Self.verbs.randomElement(using: &random)!
        case 3: path += ":other"
        case 4: path += "%zz"
        case 5: path.removeFirst()
        default: break
        }
        return path
    }

    @Test(arguments: 0..<8)
    func randomTablesAgree(seed: UInt64) throws {
        var random = Generator(state: seed)
        var counts: [String: Int] = [:]
        for _ in 0..<40 {
            let table = try table(&random, count: Int.random(in: 1...12, using: &random))
            let reference = ReferenceMatcher(routes: table.routes)
            for _ in 0..<40 {
                let method = Self.requestMethods.randomElement(using: &random)!
                let path = path(table, &random)
                let expected = reference.lookup(method, path)
                let actual: ReferenceMatcher.Result
                do {
                    actual = .outcome(try table.outcome(method, path))
                } catch {
                    actual = .failure((error as? RoutingError)?.message ?? "\(error)")
                }
                #expect(actual == expected, "\(method) \(path) in \(table.routes.map(\.description))")
                switch expected {
                case .outcome(.matched): counts["matched", default: 0] += 1
                case .outcome(.methodNotAllowed): counts["405", default: 0] += 1
                case .outcome(.notFound): counts["404", default: 0] += 1
                case .failure: counts["failure", default: 0] += 1
                }
            }
        }
        // The generator must reach every kind of outcome for the comparison to mean much.
        #expect(counts["matched", default: 0] >= 300, "\(counts)")
        #expect(counts["405", default: 0] >= 20, "\(counts)")
        #expect(counts["404", default: 0] >= 100, "\(counts)")
        #expect(counts["failure", default: 0] >= 20, "\(counts)")
    }

    @Test func kelvinSignEqualsKAsTheRoutingRulesCompareText() throws {
        let table = try Fixtures.table(["GET /v1/K/{f_string}", "GET /v1/go:go"])
        #expect(try table.template("/v1/\u{212A}/x") == "/v1/K/{f_string}")
        #expect(try table.template("/v1/go:go") == "/v1/go:go")
        #expect(try table.template("/v1/%4B/x") == "/v1/K/{f_string}")
        #expect(try table.template("/v1/k/x") == nil)
    }
}
