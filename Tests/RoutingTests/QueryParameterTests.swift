import ProtoSchema
import Routing
import Testing

/// Query string bindings against `demo.echo.v1.Everything`.
@Suite("Query parameters")
struct QueryParameterTests {
    static let table = Fixtures.queryTable(capturing: ["/v1/echo/{f_string}", "/v1/nested/{nested.label}"])

    func bindings(_ path: String, _ query: String?, method: String = "GET") throws -> [String] {
        guard case .matched(_, let bindings) = try Self.table.outcome(method, path, query: query) else {
            Issue.record("\(path) did not match")
            return []
        }
        return bindings
    }

    func error(_ path: String, _ query: String, method: String = "GET") -> RoutingError? {
        #expect(throws: RoutingError.self, "\(path)?\(query)") {
            try Self.table.lookup(method: method, path: path[...], query: query[...])
        }
    }

    @Test func scalars() throws {
        #expect(
            try bindings("/v1/echo", "f_string=hello&f_int32=5&f_bool=true") == [
                "f_string=hello", "f_int32=5", "f_bool=true",
            ]
        )
    }

    @Test func emptyQueries() throws {
        #expect(try bindings("/v1/echo", nil) == [])
        #expect(try bindings("/v1/echo", "") == [])
        #expect(try bindings("/v1/echo", "&&") == [])
        #expect(try bindings("/v1/echo", "f_bool") == ["f_bool="])
        #expect(try bindings("/v1/echo", "f_string=") == ["f_string="])
        #expect(try bindings("/v1/echo", "f_string=a=b") == ["f_string=a=b"])
    }

    @Test func decoding() throws {
        #expect(try bindings("/v1/echo", "f_string=Hello%20world") == ["f_string=Hello world"])
        #expect(try bindings("/v1/echo", "f_string=%24%25%2F%20%0A") == ["f_string=$%/ \n"])
        #expect(
            try bindings("/v1/echo", "f_string=Hello+world&renamed=%2B+%20") == ["f_string=Hello world", "renamed=+  "]
        )
        #expect(try bindings("/v1/echo", "f%5Fstring=caf%C3%A9") == ["f_string=café"])
    }

    @Test(arguments: ["f_string=%zz", "f_string=%2", "f_string=%FF", "f%=1"])
    func malformedEncoding(query: String) {
        #expect(error("/v1/echo", query)?.code == .invalidQueryParameter)
    }

    @Test func repeatedScalarsAndEnums() throws {
        #expect(try bindings("/v1/echo", "tags=a&tags=b&numbers=1") == ["tags=a", "tags=b", "numbers=1"])
        #expect(try bindings("/v1/echo", "colors=RED&colors=2") == ["colors=RED", "colors=2"])
        #expect(try bindings("/v1/echo", "color=BLUE") == ["color=BLUE"])
    }

    @Test func nonRepeatedGivenTwice() {
        let failure = error("/v1/echo", "f_string=a&fString=b")
        #expect(failure?.code == .invalidQueryParameter)
        #expect(failure?.parameter == "fString")
        #expect(failure?.message.contains("more than once") == true)
    }

    @Test func nestedNonRepeatedGivenTwice() {
        #expect(error("/v1/echo", "nested.label=a&nested.label=b")?.message.contains("more than once") == true)
        #expect(error("/v1/echo", "nested.label=a&nested.child.label=b&nested.label=c")?.parameter == "nested.label")
    }

    @Test func nestedFieldsInBothNameStyles() throws {
        #expect(try bindings("/v1/echo", "nested.label=x&nested.value=3") == ["nested.label=x", "nested.value=3"])
        #expect(try bindings("/v1/echo", "nested.child.label=y") == ["nested.child.label=y"])
        #expect(try bindings("/v1/echo", "customName=z&fInt64=9") == ["renamed=z", "f_int64=9"])
        guard
            case .matched(let match) = try Self.table.lookup(
                method: "GET",
                path: "/v1/echo",
                query: "nested.child.value=1"
            )
        else {
            Issue.record("no match")
            return
        }
        #expect(match.bindings.map { $0.fieldPath.map(\.number) } == [[17, 3, 2]])
    }

    @Test func unknownParameterStrictAndLenient() throws {
        let failure = error("/v1/echo", "f_string=a&bogus=1")
        #expect(failure?.code == .unknownQueryParameter)
        #expect(failure?.parameter == "bogus")
        #expect(failure?.message.contains("bogus") == true)
        #expect(error("/v1/echo", "nested.bogus=1")?.code == .unknownQueryParameter)
        #expect(try bindings("/v1/lenient", "bogus=1&f_string=a&nested.bogus=2") == ["f_string=a"])
    }

    @Test(arguments: ["counts=1", "counts.a=1", "nested=x", "items=x", "items.label=x", "by_id=1", "f_string.x=1"])
    func unsettableFields(query: String) {
        let failure = error("/v1/echo", query)
        #expect(failure?.code == .invalidQueryParameter)
        #expect(failure?.parameter == String(query.split(separator: "=")[0]))
    }

    @Test func unsettableFieldsAreRejectedEvenWhenLenient() {
        #expect(error("/v1/lenient", "counts=1")?.code == .invalidQueryParameter)
    }

    @Test func pathBoundFieldsCannotBeRepeatedInTheQuery() throws {
        #expect(error("/v1/echo/a", "f_string=b")?.code == .invalidQueryParameter)
        #expect(error("/v1/echo/a", "fString=b")?.code == .invalidQueryParameter)
        #expect(error("/v1/nested/a", "nested.label=b")?.code == .invalidQueryParameter)
        #expect(
            try bindings("/v1/nested/a", "nested.value=1&f_string=x") == [
                "nested.label=a", "nested.value=1", "f_string=x",
            ]
        )
    }

    @Test func bodyFieldCannotBeSetFromTheQuery() throws {
        #expect(error("/v1/body/field", "nested.label=x", method: "POST")?.code == .invalidQueryParameter)
        #expect(try bindings("/v1/body/field", "f_int32=1", method: "POST") == ["f_int32=1"])
    }

    @Test func wholeMessageBodyTakesNoQuery() throws {
        let failure = error("/v1/body/all", "f_string=x", method: "POST")
        #expect(failure?.code == .unknownQueryParameter)
        #expect(failure?.parameter == "f_string")
        #expect(try bindings("/v1/body/all", "", method: "POST") == [])
        #expect(try bindings("/v1/lenient/all", "f_string=x", method: "POST") == [])
    }

    @Test func pathBindingsComeBeforeQueryBindings() throws {
        #expect(try bindings("/v1/echo/p", "tags=q&f_int32=1") == ["f_string=p", "tags=q", "f_int32=1"])
    }
}
