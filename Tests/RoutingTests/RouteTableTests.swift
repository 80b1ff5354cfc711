import ProtoSchema
import Routing
import Testing

/// Matching, ported from grpc-httpjson-transcoding `test/path_matcher_test.cc` where it applies
/// (variables renamed to fields of `demo.echo.v1.Everything`: x → f_string, y → renamed; cases
/// with literals after `**`, which the HttpRule grammar forbids, are left out).
@Suite("RouteTable matching")
struct RouteTableTests {
    @Test func wildcardMatchesRoot() throws {
        let table = try Fixtures.table(["GET /**"])
        for path in ["/", "/a", "/a/", "/a/b/c"] {
            #expect(try table.template(path) == "/**", "\(path)")
        }
    }

    @Test func wildcardMatches() throws {
        let table = try Fixtures.table([
            "GET /a/**", "GET /b/*", "GET /c/*/d/**", "GET /c/*/d/e", "GET /c/f/d/e", "GET /",
        ])
        let expectations: [(String, String?)] = [
            ("/a", "/a/**"),  // `**` matches zero segments
            ("/a/b", "/a/**"),
            ("/a/b/c", "/a/**"),
            ("/b/c", "/b/*"),
            ("/b", nil),
            ("b/c/d", nil),
            ("/c/u/d/v", "/c/*/d/**"),
            ("/c/v/d/w/x", "/c/*/d/**"),
            ("/c/x/y/d/z", nil),
            ("/c//v/d/w/x", nil),
            ("/c/x/d/e", "/c/*/d/e"),  // a literal beats `**`
            ("/c/f/d/e", "/c/f/d/e"),  // a literal beats `*`
            ("/", "/"),
        ]
        for (path, expected) in expectations {
            #expect(try table.template(path) == expected, "\(path)")
        }
    }

    @Test func variableBindings() throws {
        let table = try Fixtures.table([
            "GET /a/{f_string}/c/d/e",
            "GET /{f_string=a/*}/b/{renamed=*}/c",
            "GET /a/{f_string=b/*}/{renamed=d/**}",
            "GET /{f_string=*}/a",
            "GET /a/b/{f_string=*}",
            "GET /a/b/c/{f_string=**}",
            "GET /{f_string=*}/d/e/f/{renamed=**}",
        ])
        let expectations: [(String, Outcome)] = [
            ("/a/book/c/d/e", .matched("/a/{f_string}/c/d/e", ["f_string=book"])),
            ("/a/hello/b/world/c", .matched("/{f_string=a/*}/b/{renamed=*}/c", ["f_string=a/hello", "renamed=world"])),
            (
                "/a/b/zoo/d/animal/tiger",
                .matched("/a/{f_string=b/*}/{renamed=d/**}", ["f_string=b/zoo", "renamed=d/animal/tiger"])
            ),
            ("/foo/a", .matched("/{f_string=*}/a", ["f_string=foo"])),
            ("/a/b/foo", .matched("/a/b/{f_string=*}", ["f_string=foo"])),
            ("/a/b/c/foo/bar/baz", .matched("/a/b/c/{f_string=**}", ["f_string=foo/bar/baz"])),
            ("/a/b/c", .matched("/a/b/c/{f_string=**}", ["f_string="])),
            ("/foo/d/e/f/bar/baz", .matched("/{f_string=*}/d/e/f/{renamed=**}", ["f_string=foo", "renamed=bar/baz"])),
        ]
        for (path, expected) in expectations {
            #expect(try table.outcome("GET", path) == expected, "\(path)")
        }
    }

    @Test func nestedFieldVariable() throws {
        let table = try Fixtures.table(["GET /v1/{nested.child.label}/{nested.value}"])
        #expect(
            try table.outcome("GET", "/v1/x/7")
                == .matched(table.routes[0].pathTemplate, ["nested.child.label=x", "nested.value=7"])
        )
        guard case .matched(let match) = try table.lookup(method: "GET", path: "/v1/x/7", query: nil) else {
            Issue.record("no match")
            return
        }
        #expect(match.bindings[0].fieldPath.map(\.number) == [17, 3, 1])
        #expect(match.bindings[1].fieldPath.map(\.number) == [17, 2])
    }

    // MARK: Unescaping

    @Test func singleSegmentIsFullyDecoded() throws {
        let table = try Fixtures.table(["GET /a/{f_string}/c"])
        // '+' is not a space in paths.
        #expect(try table.outcome("GET", "/a/p%20q%2Fr+/c") == .matched("/a/{f_string}/c", ["f_string=p q/r+"]))
        #expect(try table.outcome("GET", "/a/caf%C3%A9/c") == .matched("/a/{f_string}/c", ["f_string=café"]))
    }

    @Test(arguments: [false, true])
    func singleSegmentDecodesEveryAsciiCharacter(uppercase: Bool) throws {
        let table = try Fixtures.table(["GET /{f_string}"])
        for byte in UInt8(0)..<0x7F {
            var hex = String(byte, radix: 16)
            if hex.count == 1 { hex = "0" + hex }
            let path = "/%" + (uppercase ? hex.uppercased() : hex)
            let expected = String(decoding: [byte], as: UTF8.self)
            #expect(try table.outcome("GET", path) == .matched("/{f_string}", ["f_string=\(expected)"]), "\(path)")
        }
    }

    @Test func multiSegmentKeepsEncodedSlash() throws {
        let table = try Fixtures.table(["GET /a/{f_string=p/*/q/*}/c", "GET /b/{f_string=**}"])
        #expect(
            try table.outcome("GET", "/a/p/foo%20foo/q/bar%2Fbar/c")
                == .matched("/a/{f_string=p/*/q/*}/c", ["f_string=p/foo foo/q/bar%2Fbar"])
        )
        #expect(
            try table.outcome("GET", "/b/p/foo%20foo/q/bar%2fbar+")
                == .matched("/b/{f_string=**}", ["f_string=p/foo foo/q/bar%2fbar+"])
        )
        // A `**` that happens to match one segment is still multi-segment.
        #expect(try table.outcome("GET", "/b/x%2Fy") == .matched("/b/{f_string=**}", ["f_string=x%2Fy"]))
    }

    @Test func reservedCharactersInSingleAndMultiSegmentVariables() throws {
        let table = try Fixtures.table(["GET /a/{f_string=*}/{renamed=**}"])
        let reserved = "%21%23%24%26%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F%40%5B%5D"
        #expect(
            try table.outcome("GET", "/a/\(reserved)/\(reserved)")
                == .matched(
                    "/a/{f_string=*}/{renamed=**}",
                    ["f_string=!#$&'()*+,/:;=?@[]", "renamed=!#$&'()*+,%2F:;=?@[]"]
                )
        )
    }

    @Test func malformedEscapesAreErrors() throws {
        let table = try Fixtures.table(["GET /a/{f_string}", "GET /b/{f_string=**}"])
        for path in ["/a/%zz", "/a/%2", "/a/x%", "/nothing/%G0"] {
            #expect(throws: RoutingError.self, "\(path)") {
                try table.lookup(method: "GET", path: path[...], query: nil)
            }
        }
        for path in ["/a/%FF", "/b/x/%C3"] {
            let error = #expect(throws: RoutingError.self, "\(path)") {
                try table.lookup(method: "GET", path: path[...], query: nil)
            }
            #expect(error?.code == .invalidPathEncoding)
        }
    }

    @Test func literalsCompareInNormalForm() throws {
        let table = try Fixtures.table(["GET /v1/~user/a%2fb"])
        #expect(try table.template("/v1/~user/a%2fb") == "/v1/~user/a%2fb")
        #expect(try table.template("/v1/%7Euser/a%2Fb") == "/v1/~user/a%2fb")
        #expect(try table.template("/%761/%7euser/a%2Fb") == "/v1/~user/a%2fb")
        #expect(try table.template("/V1/~user/a%2fb") == nil)
        #expect(try table.template("/v1/~user/a/b") == nil)
    }

    // MARK: Custom verbs

    @Test func customVerbIssue() throws {
        let table = try Fixtures.table(["GET /person", "GET /person/{f_string=*}", "GET /{renamed=**}:verb"])
        let expectations: [(String, Outcome)] = [
            ("/person:verb", .matched("/{renamed=**}:verb", ["renamed=person"])),
            ("/person/jason:verb", .matched("/{renamed=**}:verb", ["renamed=person/jason"])),
            ("/animal:verb", .matched("/{renamed=**}:verb", ["renamed=animal"])),
            ("/animal/cat:verb", .matched("/{renamed=**}:verb", ["renamed=animal/cat"])),
            ("/person", .matched("/person", [])),
            ("/person/jason", .matched("/person/{f_string=*}", ["f_string=jason"])),
            ("/animal", .notFound),
            ("/animal/cat", .notFound),
            ("/person:other", .notFound),
            ("/person/jason:other", .matched("/person/{f_string=*}", ["f_string=jason:other"])),
            ("/animal:other", .notFound),
            ("/animal/cat:other", .notFound),
        ]
        for (path, expected) in expectations {
            #expect(try table.outcome("GET", path) == expected, "\(path)")
        }
    }

    @Test func variableBindingsWithCustomVerb() throws {
        let table = try Fixtures.table([
            "GET /a/{f_string=*}:verb", "GET /a/{f_string=d/**}:verb", "GET /{f_string=*}/a:verb",
            "GET /e/{f_string=*}/f:verb",
        ])
        let expectations: [(String, Outcome)] = [
            ("/a/world:verb", .matched("/a/{f_string=*}:verb", ["f_string=world"])),
            ("/a/d/animal/tiger:verb", .matched("/a/{f_string=d/**}:verb", ["f_string=d/animal/tiger"])),
            ("/foo/a:verb", .matched("/{f_string=*}/a:verb", ["f_string=foo"])),
            ("/e/foo/f:verb", .matched("/e/{f_string=*}/f:verb", ["f_string=foo"])),
            ("/e/foo/f", .notFound),
        ]
        for (path, expected) in expectations {
            #expect(try table.outcome("GET", path) == expected, "\(path)")
        }
    }

    @Test func customVerbMatches() throws {
        let table = try Fixtures.table([
            "GET /some/const:verb", "GET /some/*:verb", "GET /some/*/foo:verb", "GET /other/**:verb",
        ])
        let expectations: [(String, String?)] = [
            ("/some/const:verb", "/some/const:verb"),
            ("/some/other:verb", "/some/*:verb"),
            ("/some/other:verb/", nil),
            ("/some/bar/foo:verb", "/some/*/foo:verb"),
            ("/some/foo1/foo2/foo:verb", nil),
            ("/some/foo/bar:verb", nil),
            ("/other/bar/foo:verb", "/other/**:verb"),
            ("/other:verb", "/other/**:verb"),
        ]
        for (path, expected) in expectations {
            #expect(try table.template(path) == expected, "\(path)")
        }
    }

    @Test func colonsInEarlierSegmentsAreData() throws {
        let table = try Fixtures.table(["GET /{f_string=*}/{renamed=*}:verb", "GET /foo/*/hello"])
        #expect(
            try table.outcome("GET", "/some:verb/const:verb")
                == .matched("/{f_string=*}/{renamed=*}:verb", ["f_string=some:verb", "renamed=const"])
        )
        #expect(try table.template("/foo/other:verb/hello") == "/foo/*/hello")
    }

    @Test func unregisteredVerbIsPartOfTheSegment() throws {
        let table = try Fixtures.table(["GET /foo/{f_string=*}"])
        #expect(try table.outcome("GET", "/foo/other:verb") == .matched("/foo/{f_string=*}", ["f_string=other:verb"]))
    }

    @Test func verbRouteFirstThenWholeSegment() throws {
        let table = try Fixtures.table(["GET /{f_string=**}:verb", "GET /{f_string=**}", "GET /x/{f_string}:go"])
        let expectations: [(String, Outcome)] = [
            ("/some:verb/const:verb", .matched("/{f_string=**}:verb", ["f_string=some:verb/const"])),
            ("/some:verb/const", .matched("/{f_string=**}", ["f_string=some:verb/const"])),
            ("/some:verb2/const:verb2", .matched("/{f_string=**}", ["f_string=some:verb2/const:verb2"])),
            // "go" is a registered verb, but no verb route matches /y/abc: the whole segment is data.
            ("/y/abc:go", .matched("/{f_string=**}", ["f_string=y/abc:go"])),
            ("/x/abc:go", .matched("/x/{f_string}:go", ["f_string=abc"])),
            // An encoded colon never separates a verb.
            ("/x/abc%3Ago", .matched("/{f_string=**}", ["f_string=x/abc:go"])),
        ]
        for (path, expected) in expectations {
            #expect(try table.outcome("GET", path) == expected, "\(path)")
        }
    }

    // MARK: Precedence, partial matches, trailing slashes

    @Test func rejectPartialMatches() throws {
        let table = try Fixtures.table(["GET /prefix/middle/suffix", "GET /prefix/middle", "GET /prefix"])
        #expect(try table.template("/prefix/middle/suffix") == "/prefix/middle/suffix")
        #expect(try table.template("/prefix/middle") == "/prefix/middle")
        #expect(try table.template("/prefix") == "/prefix")
        for path in ["/prefix/middle/suffix/other", "/prefix/middle/other", "/prefix/other", "/other", "/"] {
            #expect(try table.outcome("GET", path) == .notFound, "\(path)")
        }
    }

    @Test func lookupSimplePaths() throws {
        let table = try Fixtures.table([
            "GET /prefix/middle/suffix", "GET /prefix/middle/othersuffix", "GET /prefix/othermiddle/suffix",
            "GET /otherprefix/middle/suffix", "GET /otherprefix/suffix",
        ])
        for path in [
            "/prefix/not/a/path", "/prefix/middle", "/prefix/not/othermiddle", "/otherprefix/suffix/othermiddle",
        ] {
            #expect(try table.template(path) == nil, "\(path)")
        }
        for path in table.routes.map(\.pathTemplate) {
            #expect(try table.template(path) == path)
        }
    }

    @Test func emptyTableFindsNothing() throws {
        let table = try Fixtures.table([String]())
        #expect(table.routes.isEmpty)
        #expect(try table.outcome("GET", "/a/b/blue/foo") == .notFound)
        #expect(try table.outcome("GET", "/") == .notFound)
    }

    @Test func overAndUnderSpecifiedPaths() throws {
        let table = try Fixtures.table(["GET /a/b/c", "GET /a/b", "GET /x/y/z/w"])
        #expect(try table.template("/a/b/c/d") == nil)
        #expect(try table.template("/x/y/z") == nil)
    }

    @Test func leftmostSpecificSegmentWins() throws {
        let table = try Fixtures.table(["GET /{f_string}/b", "GET /a/{f_string}", "GET /a/**"])
        #expect(try table.template("/a/b") == "/a/{f_string}")
        #expect(try table.template("/z/b") == "/{f_string}/b")
        #expect(try table.template("/a/b/c") == "/a/**")
    }

    @Test func trailingSlashesAreIgnored() throws {
        let table = try Fixtures.table(["GET /v1/users/{f_string}", "GET /"])
        for path in ["/v1/users/1/", "/v1/users/1//"] {
            #expect(try table.outcome("GET", path) == .matched("/v1/users/{f_string}", ["f_string=1"]), "\(path)")
        }
        #expect(try table.template("//") == "/")
        #expect(try table.outcome("GET", "/v1/users//") == .notFound)
        // Inner empty segments are kept, and a `*` matches one.
        #expect(try table.outcome("GET", "/v1/users//x") == .notFound)
    }

    @Test func manySlashesDoNotOverflowTheStack() throws {
        let table = try Fixtures.table(["GET /a/**", "GET /b/{f_string}/x"])
        let slashes = String(repeating: "/", count: 64_000)
        #expect(try table.template("/a/" + slashes + "/x") == "/a/**")
        #expect(try table.template("/b/" + slashes + "/x") == nil)
    }

    @Test func pathsNotStartingWithSlashAreNotFound() throws {
        let table = try Fixtures.table(["GET /**"])
        #expect(try table.outcome("GET", "") == .notFound)
        #expect(try table.outcome("GET", "*") == .notFound)
        #expect(try table.outcome("GET", "a/b") == .notFound)
    }

    // MARK: HTTP methods

    @Test func differentHttpMethodIsMethodNotAllowed() throws {
        let table = try Fixtures.table(["GET /a/b", "DELETE /a/{f_string}", "POST /c"])
        #expect(try table.template("/a/b") == "/a/b")
        #expect(try table.outcome("POST", "/a/b") == .methodNotAllowed(["DELETE", "GET", "HEAD"]))
        #expect(try table.outcome("GET", "/c") == .methodNotAllowed(["POST"]))
        #expect(try table.outcome("get", "/a/b") == .methodNotAllowed(["DELETE", "GET", "HEAD"]))
        #expect(try table.outcome("POST", "/d") == .notFound)
    }

    @Test func methodMismatchBacktracksToLessSpecificRoute() throws {
        let table = try Fixtures.table(["POST /a/b", "GET /a/{f_string}"])
        #expect(try table.outcome("GET", "/a/b") == .matched("/a/{f_string}", ["f_string=b"]))
        #expect(try table.outcome("POST", "/a/b") == .matched("/a/b", []))
        #expect(try table.outcome("POST", "/a/x") == .methodNotAllowed(["GET", "HEAD"]))
    }

    @Test func headFallsBackToGet() throws {
        let table = try Fixtures.table(["GET /x/{f_string}", "HEAD /h/{f_string}", "GET /both", "HEAD /both"])
        #expect(try table.outcome("HEAD", "/x/1") == .matched("/x/{f_string}", ["f_string=1"]))
        #expect(try table.outcome("HEAD", "/h/1") == .matched("/h/{f_string}", ["f_string=1"]))
        #expect(try table.outcome("GET", "/h/1") == .methodNotAllowed(["HEAD"]))
        guard case .matched(let match) = try table.lookup(method: "HEAD", path: "/both", query: nil) else {
            Issue.record("HEAD /both did not match")
            return
        }
        #expect(match.route.verb == "HEAD")
    }

    @Test func customKindStarMatchesAnyMethod() throws {
        let table = try Fixtures.table(["* /any", "GET /any", "* /only"])
        guard case .matched(let get) = try table.lookup(method: "GET", path: "/any", query: nil),
            case .matched(let put) = try table.lookup(method: "PUT", path: "/any", query: nil),
            case .matched(let purge) = try table.lookup(method: "PURGE", path: "/only", query: nil)
        else {
            Issue.record("no match")
            return
        }
        #expect(get.route.verb == "GET")
        #expect(put.route.verb == "*")
        #expect(purge.route.verb == "*")
    }

    // MARK: The demo annotations

    @Test func demoAnnotationsBuildAndRoute() throws {
        let table = try RouteTable(definitions: Fixtures.demoDefinitions, pool: Fixtures.pool)
        #expect(table.routes.count == Fixtures.demoDefinitions.count)
        let expectations: [(String, String, Outcome)] = [
            ("POST", "/v1/echo", .matched("/v1/echo", [])),
            ("GET", "/v1/echo/abc/5", .matched("/v1/echo/{f_string}/{f_int64}", ["f_string=abc", "f_int64=5"])),
            ("POST", "/v1/echo/abc:nested", .matched("/v1/echo/{f_string}:nested", ["f_string=abc"])),
            ("GET", "/v1/echo/nested/hi", .matched("/v1/echo/nested/{nested.label}", ["nested.label=hi"])),
            (
                "GET", "/v1/shelves/1/books/2",
                .matched("/v1/{f_string=shelves/*/books/*}", ["f_string=shelves/1/books/2"])
            ),
            (
                "POST", "/v1/shelves/1/books/2:archive",
                .matched("/v1/{f_string=shelves/*/books/*}:archive", ["f_string=shelves/1/books/2"])
            ),
            ("GET", "/v1/tree/a/b/c", .matched("/v1/tree/{f_string=**}", ["f_string=a/b/c"])),
            ("DELETE", "/v1/echo/5", .matched("/v1/echo/{f_int32}", ["f_int32=5"])),
            ("HEAD", "/v1/echo/5", .matched("/v1/echo/{f_int32}", ["f_int32=5"])),
            ("GET", "/v1/echo/5", .methodNotAllowed(["DELETE", "HEAD", "PATCH"])),
            ("GET", "/v2/echo", .notFound),
        ]
        for (method, path, expected) in expectations {
            #expect(try table.outcome(method, path) == expected, "\(method) \(path)")
        }
    }

    @Test func routeSelectorsAndDescription() throws {
        let table = try RouteTable(definitions: Fixtures.demoDefinitions, pool: Fixtures.pool)
        guard case .matched(let nested) = try table.lookup(method: "GET", path: "/v1/echo/nested/x", query: nil),
            case .matched(let whole) = try table.lookup(method: "POST", path: "/v1/echo", query: nil),
            case .matched(let field) = try table.lookup(method: "POST", path: "/v1/echo/a:nested", query: nil),
            case .matched(let none) = try table.lookup(method: "GET", path: "/v1/echo", query: nil)
        else {
            Issue.record("no match")
            return
        }
        #expect(nested.route.responseBody?.name == "nested")
        #expect(whole.route.body == .wholeMessage)
        #expect(whole.route.responseBody == nil)
        guard case .field(let bodyField) = field.route.body else {
            Issue.record("expected a body field")
            return
        }
        #expect(bodyField.name == "nested")
        #expect(none.route.body == BodySelector.none)
        #expect(whole.route.description == "POST /v1/echo -> demo.echo.v1.EchoService.Echo (unary)")
        #expect(whole.route.source == "demo.echo.v1.EchoService.Echo binding 0")
    }

    @Test func routesKnowTheirPositionInTheTable() throws {
        let table = try RouteTable(definitions: Fixtures.demoDefinitions, pool: Fixtures.pool)
        #expect(table.routes.count > 1)
        #expect(table.routes.map(\.index) == Array(table.routes.indices))
        for (method, path) in [("GET", "/v1/echo/abc/5"), ("POST", "/v1/echo"), ("GET", "/v1/tree/a/b")] {
            guard case .matched(let match) = try table.lookup(method: method, path: path[...], query: nil) else {
                Issue.record("\(method) \(path) did not match")
                continue
            }
            #expect(table.routes[match.route.index] === match.route, "\(method) \(path)")
        }
    }
}
