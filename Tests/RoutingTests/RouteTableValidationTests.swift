import ProtoSchema
import Routing
import Testing

/// Build-time validation: every problem is collected, each with its definition's source.
@Suite("RouteTable validation")
struct RouteTableValidationTests {
    func definition(
        _ verb: String,
        _ template: String,
        body: String = "",
        responseBody: String = "",
        source: String
    ) -> RouteDefinition {
        RouteDefinition(
            method: Fixtures.echo,
            verb: verb,
            pathTemplate: template,
            body: body,
            responseBody: responseBody,
            source: source
        )
    }

    func problems(_ definitions: [RouteDefinition]) -> [RouteConfigError] {
        do {
            _ = try RouteTable(definitions: definitions, pool: Fixtures.pool)
            return []
        } catch {
            return error.problems
        }
    }

    @Test func collectsEveryProblemWithItsSource() {
        let found = problems([
            definition("GET", "/ok/{f_string}", source: "good"),
            definition("GET", "/v1/{", source: "syntax"),
            definition("GET", "/v1/{nope}", source: "unknown-variable"),
            definition("GET", "/v1/{tags}", source: "repeated"),
            definition("GET", "/v1/{counts}", source: "map"),
            definition("GET", "/v1/{nested}", source: "message"),
            definition("GET", "/v1/{items.label}", source: "through-repeated"),
            definition("GET", "/v1/{nested.nope}", source: "unknown-nested"),
            definition("GET", "/v1/{f_string}/{fString}", source: "twice"),
            definition("POST", "/v1/b", body: "nope", source: "body"),
            definition("POST", "/v1/c", body: "nested.label", source: "body-not-top-level"),
            definition("GET", "/v1/d", responseBody: "nope", source: "response-body"),
            definition("", "/v1/e", source: "empty-verb"),
            definition("GET", "/ok/{renamed}", source: "conflict"),
        ])
        let expected: [(String, RouteConfigError.Code)] = [
            ("syntax", .invalidTemplate),
            ("unknown-variable", .unknownField),
            ("repeated", .invalidBinding),
            ("map", .invalidBinding),
            ("message", .invalidBinding),
            ("through-repeated", .invalidBinding),
            ("unknown-nested", .unknownField),
            ("twice", .invalidBinding),
            ("body", .unknownField),
            ("body-not-top-level", .unknownField),
            ("response-body", .unknownField),
            ("empty-verb", .invalidBinding),
            ("conflict", .conflictingRoute),
        ]
        #expect(found.map(\.source) == expected.map(\.0))
        #expect(found.map(\.code) == expected.map(\.1))
        #expect(found.allSatisfy { !$0.message.isEmpty })
    }

    @Test func syntaxErrorsCarryTheColumn() {
        let found = problems([definition("GET", "/v1/users/{id", source: "rule")])
        #expect(found.count == 1)
        #expect(found.first?.column == 14)
        #expect(found.first?.message.contains("/v1/users/{id") == true)
        #expect(found.first?.description.hasPrefix("rule: ") == true)
        #expect(found.first?.description.hasSuffix("(column 14)") == true)
    }

    @Test func messagesNameTheFieldAndType() throws {
        let found = problems([
            definition("GET", "/v1/{nope}", source: "a"),
            definition("GET", "/v1/{tags}", source: "b"),
            definition("GET", "/v1/x", body: "nope", source: "c"),
        ])
        try #require(found.count == 3)
        #expect(found[0].message.contains("nope") && found[0].message.contains("demo.echo.v1.Everything"))
        #expect(found[1].message.contains("repeated string"))
        #expect(found[2].message.contains("demo.echo.v1.Everything"))
    }

    @Test func conflictNamesBothSources() throws {
        let found = problems([
            definition("GET", "/v1/shelves/{f_string}", source: "first.proto: A"),
            definition("GET", "/v1/shelves/{renamed=*}", source: "http.rules[3]"),
            definition("POST", "/v1/shelves/{renamed}", source: "different-verb"),
            definition("GET", "/v1/%7Eme", source: "tilde-encoded"),
            definition("GET", "/v1/~me", source: "tilde"),
        ])
        #expect(found.map(\.code) == [.conflictingRoute, .conflictingRoute])
        #expect(found.map(\.source) == ["http.rules[3]", "tilde"])
        try #require(found.count == 2)
        #expect(found[0].message.contains("first.proto: A"))
        #expect(found[1].message.contains("tilde-encoded"))
    }

    @Test func sameTemplateWithDifferentVerbsIsFine() throws {
        let table = try RouteTable(
            definitions: [
                definition("GET", "/v1/x/{f_string}", source: "a"),
                definition("DELETE", "/v1/x/{f_string}", source: "b"),
                definition("GET", "/v1/x/{f_string}:undelete", source: "c"),
                definition("*", "/v1/x/{f_string}", source: "d"),
            ],
            pool: Fixtures.pool
        )
        #expect(table.routes.map(\.source) == ["a", "b", "c", "d"])
    }

    @Test func everyScalarAndEnumKindMayBeAPathVariable() throws {
        let names = [
            "f_double", "f_float", "f_int64", "f_uint64", "f_int32", "f_fixed64", "f_fixed32", "f_bool", "f_string",
            "f_bytes", "f_uint32", "f_sfixed32", "f_sfixed64", "f_sint32", "f_sint64", "color", "maybe", "choice_text",
        ]
        let definitions = names.map { definition("GET", "/v1/\($0)/{\($0)}", source: $0) }
        let table = try RouteTable(definitions: definitions, pool: Fixtures.pool)
        #expect(table.routes.count == names.count)
        #expect(table.routes.map { $0.variableFields.map { $0.map(\.name) } } == names.map { [[$0]] })
    }

    @Test func descriptionListsEveryProblem() {
        let error = RouteTableError(problems: [
            RouteConfigError(code: .unknownField, message: "one", source: "a"),
            RouteConfigError(code: .invalidTemplate, message: "two", source: "b", column: 3),
        ])
        #expect(error.description == "a: one\nb: two (column 3)")
    }
}
