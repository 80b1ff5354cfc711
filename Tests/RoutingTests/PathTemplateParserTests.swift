import Routing
import Testing

@Suite("PathTemplate parser")
struct PathTemplateParserTests {
    /// Good templates (from http_template_test.cc and grpc-gateway parse_test.go) and their
    /// canonical form.
    @Test(
        arguments: [
            ("/", "/"),
            ("/shelves/{shelf}/books/{book}", "/shelves/{shelf=*}/books/{book=*}"),
            ("/shelves/**", "/shelves/**"),
            ("/**", "/**"),
            ("/*", "/*"),
            ("/a:foo", "/a:foo"),
            ("/a/b/c:foo", "/a/b/c:foo"),
            ("/*/**", "/*/**"),
            ("/*/a/**", "/*/a/**"),
            ("/a/{a.b.c}", "/a/{a.b.c=*}"),
            ("/a/{a.b.c=*}", "/a/{a.b.c=*}"),
            ("/a/{b=**}", "/a/{b=**}"),
            ("/a/{b=c/*}", "/a/{b=c/*}"),
            ("/a/{b=c/*/d}", "/a/{b=c/*/d}"),
            ("/a/{b=c/**}", "/a/{b=c/**}"),
            ("/*:verb", "/*:verb"),
            ("/**:verb", "/**:verb"),
            ("/{a}:verb", "/{a=*}:verb"),
            ("/a/b/**:verb", "/a/b/**:verb"),
            ("/{x.y.z=*/*}:verb", "/{x.y.z=*/*}:verb"),
            ("/{x=**}:myverb", "/{x=**}:myverb"),
            ("/a/{b=*}/**:verb", "/a/{b=*}/**:verb"),
            ("/v1/a=b&c=d;e=f:g/endpoint.rdf", "/v1/a=b&c=d;e=f:g/endpoint.rdf"),
            ("/-._~!$&'()*+,;=:@/x", "/-._~!$&'()*+,;=:@/x"),
            ("/%e7%ac%ac%e4%b8%80%e7%89%88", "/%e7%ac%ac%e4%b8%80%e7%89%88"),
            ("/v1/{name=projects/*/locations/*}/things:batchGet", "/v1/{name=projects/*/locations/*}/things:batchGet"),
            ("/v1/{_x9.Y_=a}", "/v1/{_x9.Y_=a}"),
        ]
    )
    func parsesAndPrintsCanonically(template: String, canonical: String) throws {
        let parsed = try PathTemplate(parsing: template)
        #expect(parsed.description == canonical)
        // The canonical form parses to the same template.
        #expect(try PathTemplate(parsing: canonical) == parsed)
    }

    @Test func flattensVariablesIntoSegments() throws {
        let template = try PathTemplate(parsing: "/v1/{name=shelves/*/books/*}/x/{id}:archive")
        #expect(
            template.segments == [
                .literal("v1"), .literal("shelves"), .wildcard, .literal("books"), .wildcard, .literal("x"), .wildcard,
            ]
        )
        #expect(template.variables.map(\.fieldPath) == [["name"], ["id"]])
        #expect(template.variables.map(\.range) == [1..<5, 6..<7])
        #expect(template.variables.map(\.isMultiSegment) == [true, false])
        #expect(template.verb == "archive")
    }

    @Test func deepWildcardVariableIsMultiSegment() throws {
        let template = try PathTemplate(parsing: "/a/{b.c=**}")
        #expect(template.segments == [.literal("a"), .deepWildcard])
        #expect(template.variables.count == 1)
        #expect(template.variables[0].fieldPath == ["b", "c"])
        #expect(template.variables[0].range == 1..<2)
        #expect(template.variables[0].endsWithDeepWildcard)
        #expect(template.variables[0].isMultiSegment)
        #expect(template.verb == nil)
    }

    @Test func rootHasNoSegments() throws {
        let template = try PathTemplate(parsing: "/")
        #expect(template.segments.isEmpty)
        #expect(template.variables.isEmpty)
        #expect(template.verb == nil)
    }

    @Test func colonBeforeALaterSlashIsLiteral() throws {
        let template = try PathTemplate(parsing: "/a:b/c:d")
        #expect(template.segments == [.literal("a:b"), .literal("c")])
        #expect(template.verb == "d")
    }

    /// Bad templates (http_template_test.cc ErrorTests, path_matcher_test.cc InvalidTemplates,
    /// grpc-gateway TestParseSegmentsWithErrors) with the 1-based column of the problem.
    @Test(
        arguments: [
            ("", 1),
            ("a", 1),
            ("a/b", 1),
            ("{x}", 1),
            (":verb", 1),
            ("//", 2),
            ("/a/", 4),
            ("/a//b", 4),
            ("/{}", 3),
            ("/:verb", 2),
            ("/:", 2),
            ("/a/:verb", 4),
            ("/*:", 4),
            ("/**:", 5),
            ("/{var}:", 8),
            ("/a/b/:", 6),
            ("/a/{", 5),
            ("/a/{var", 8),
            ("/a/{var.", 9),
            ("/a/{var.}", 9),
            ("/a/{var..x}", 9),
            ("/a/{x=var:verb}", 10),
            ("/a/{x=}", 7),
            ("/a/{x=*", 8),
            ("/a/{var=/b}", 9),
            ("/{var=a/{nested=b}}", 9),
            ("/{field-name}", 8),
            ("/{9x}", 3),
            ("/a{x}", 3),
            ("/{x}a", 5),
            ("/a{x}b", 3),
            ("/a/b{x}/s", 5),
            ("/a/{x}b/s", 7),
            ("/*a", 3),
            ("/**a", 4),
            ("/a?b", 3),
            ("/a b", 3),
            ("/a#", 3),
            ("/a%", 3),
            ("/a%2", 3),
            ("/a%2z", 3),
            ("/a}", 3),
            ("/a/**/*", 4),
            ("/a/**/foo/*", 4),
            ("/a/**/**", 4),
            ("/a/**/foo/**", 4),
            ("/{x=**}/a/b", 5),
            ("/a/{x=b/**}/{y=*}", 9),
            ("/a/{x=b/**/c}", 9),
        ]
    )
    func rejectsWithColumn(template: String, column: Int) {
        let error = #expect(throws: RouteConfigError.self) {
            try PathTemplate(parsing: template)
        }
        #expect(error?.code == .invalidTemplate)
        #expect(error?.column == column, "\(error?.message ?? "")")
    }

    @Test func errorMessagesSayWhatIsWrong() {
        func message(_ template: String) -> String {
            do {
                _ = try PathTemplate(parsing: template)
                return ""
            } catch {
                return error.message
            }
        }
        #expect(message("/a/**/b").contains("'**' must be the last segment"))
        #expect(message("/a{x}").contains("variable must be a whole segment"))
        #expect(message("/{a={b}}").contains("nested"))
        #expect(message("/a/{x").contains("'}'"))
        #expect(message("/a/").contains("empty path segment"))
        #expect(message("/a?").contains("'?'"))
        #expect(message("/a%zz").contains("two hex digits"))
    }
}
