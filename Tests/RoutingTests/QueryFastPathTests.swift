import ProtoSchema
import Testing

@testable import Routing

/// Query parameters go by bytes through the ``QueryFieldIndex`` when they can and the general
/// way (``FieldPathResolver``, one `String` per name) otherwise; both must give the same
/// bindings and the same errors. Random queries over every kind of name, compared with the
/// general way alone.
@Suite("Query parameters by bytes agree with the general way")
struct QueryFastPathTests {
    static let names = [
        "f_string", "fString", "f_int32", "fInt32", "tags", "colors", "numbers", "nested.label", "nested.value",
        "nested.child.label",
        "nested.child.child.value", "nested.child", "nested", "items", "items.label", "counts[a]", "counts[b]",
        "counts", "counts[]",
        "by_id[1]", "flags[true]", "customName", "renamed", "bogus", "nested.bogus", "f%5Fstring", "f_string.x", "at",
        "at.seconds",
        "mask", "big", "big.value", "meta", "choice_nested.label", "choiceText", "maybe", "fBool", "f_bool", "", "[x]",
        "x]",
        "caf%C3%A9", "tag+s", "\u{212A}", "nested..label", "nested.", ".nested", "f_string[k]", "nested.label[k]",
        "anything.struct_value",
        "anything.list_value.values", "payload.type_url", "ttl", "update_mask", "f%zz", "labels[a]b",
    ]
    static let values = ["1", "a+b", "%20x", "%zz", "%FF", "", "x=y", "caf%C3%A9", "true", "K"]

    static let table = Fixtures.queryTable(capturing: ["/v1/echo/{f_string}/{nested.child.label}"])
    static let requests = [
        ("GET", "/v1/echo"), ("GET", "/v1/echo/a/b"), ("POST", "/v1/body/field"), ("POST", "/v1/body/all"),
        ("GET", "/v1/lenient"),
        ("POST", "/v1/lenient/all"),
    ]

    /// Bindings (with field numbers and map keys) or an error, comparable.
    enum Result: Equatable {
        case bindings([String])
        case failure(code: String, message: String, parameter: String?)
    }

    static func flatten(_ bindings: [FieldBinding]) -> [String] {
        bindings.map { "\($0.fieldPath.map(\.number)) \($0.dottedPath)=\($0.value) key:\($0.mapKey ?? "-")" }
    }

    /// The query as a lookup does it.
    func viaLookup(_ method: String, _ path: String, _ query: String) -> Result {
        do {
            guard case .matched(let match) = try Self.table.lookup(method: method, path: path[...], query: query[...])
            else {
                return .failure(code: "no match", message: "", parameter: nil)
            }
            return .bindings(Self.flatten(match.bindings))
        } catch {
            return .failure(code: "\(error.code)", message: error.message, parameter: error.parameter)
        }
    }

    /// The query the general way only, parameter by parameter.
    func viaGeneralPath(_ method: String, _ path: String, _ query: String) -> Result {
        do {
            guard case .matched(let match) = try Self.table.lookup(method: method, path: path[...], query: nil) else {
                return .failure(code: "no match", message: "", parameter: nil)
            }
            var bindings = match.bindings
            for parameter in query.utf8.split(separator: UInt8(ascii: "&")) {
                try Self.table.matcher.appendQueryBinding(
                    Substring(parameter),
                    for: match.route,
                    pathBindings: match.bindings.count,
                    to: &bindings
                )
            }
            return .bindings(Self.flatten(bindings))
        } catch {
            return .failure(code: "\(error.code)", message: error.message, parameter: error.parameter)
        }
    }

    @Test(arguments: 0..<4)
    func randomQueriesAgree(seed: UInt64) {
        var random = ReferenceMatcherTests.Generator(state: seed)
        var accepted = 0
        var rejected = 0
        for _ in 0..<1_500 {
            let parameters = (0..<Int.random(in: 1...4, using: &random)).map { _ in
                let name = Self.names.randomElement(using: &random)!
                return Int.random(in: 0..<8, using: &random) == 0
                    ? name : name + "=" + Self.values.randomElement(using: &random)!
            }
            let query = parameters.joined(separator: Int.random(in: 0..<10, using: &random) == 0 ? "&&" : "&")
            let (method, path) = Self.requests.randomElement(using: &random)!
            let expected = viaGeneralPath(method, path, query)
            #expect(viaLookup(method, path, query) == expected, "\(method) \(path)?\(query)")
            if case .bindings(let bindings) = expected, !bindings.isEmpty { accepted += 1 } else { rejected += 1 }
        }
        #expect(accepted >= 150, "\(accepted) accepted")
        #expect(rejected >= 150, "\(rejected) rejected")
    }

    @Test func pathsPastTheLaidOutOnesResolveTheSameWay() throws {
        // Nested's `child` is endless; a name deeper than the laid-out paths is resolved through
        // the name tables, and gets the same field path as the general way.
        let depth = QueryFieldIndex.nodeBudget
        let name = Array(repeating: "child", count: depth).joined(separator: ".")
        let query = "nested.\(name).value=7&nested.\(name).label=x&nested.\(name)=1&nested.\(name).bogus=2"
        #expect(viaLookup("GET", "/v1/lenient", query) == viaGeneralPath("GET", "/v1/lenient", query))
        guard case .bindings(let bindings) = viaLookup("GET", "/v1/lenient", String(query.prefix { $0 != "&" })) else {
            Issue.record("no bindings")
            return
        }
        #expect(bindings.count == 1)
        #expect(bindings.first?.hasPrefix("[17, " + Array(repeating: "3, ", count: depth).joined() + "2]") == true)
    }
}
