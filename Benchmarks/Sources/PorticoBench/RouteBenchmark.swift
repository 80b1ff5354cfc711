import Foundation
import ProtoSchema
import Routing

/// `RouteTable.lookup` (path split, trie walk, bindings) on two tables: the demo's routes
/// (every `google.api.http` binding in `Protos/demo.binpb` plus Gateway.yaml's extra
/// `/v1/people/{id}`), and a table of 50 routes over 10 resources.
///
/// Each case is one whole lookup, as the gateway does once per request: method, raw path and
/// query in, the matched route and its decoded path and query bindings out.
struct RouteBenchmark {
    let pool: DescriptorPool

    init(descriptorSet: String) throws {
        pool = try DescriptorPool(serializedSets: [Array(try Data(contentsOf: URL(fileURLWithPath: descriptorSet)))])
    }

    /// One lookup to time, and what it must find.
    struct Case {
        var table: String
        var name: String
        var method: String
        var path: String
        var query: String?
        /// The template it must match, `"404"`, or `"405"`.
        var expected: String
    }

    /// The demo's bindings, flattened the way the gateway does (annotation, then its
    /// additional bindings), plus Gateway.yaml's `http.rules` binding.
    func demoDefinitions() throws -> [RouteDefinition] {
        var definitions = pool.methods.flatMap { method -> [RouteDefinition] in
            guard let rule = method.httpRule else { return [] }
            return ([rule] + rule.additionalBindings).enumerated().map { index, binding in
                RouteDefinition(
                    method: method,
                    verb: binding.verb,
                    pathTemplate: binding.path,
                    body: binding.body,
                    responseBody: binding.responseBody,
                    source: "\(method.fullName) binding \(index)"
                )
            }
        }
        guard let getUser = pool.method(named: "demo.user.v1.UserService.GetUser") else {
            throw BenchmarkError("demo.user.v1.UserService.GetUser is not in the demo descriptor set")
        }
        definitions.append(
            RouteDefinition(method: getUser, verb: "GET", pathTemplate: "/v1/people/{id}", source: "http.rules[0]")
        )
        return definitions
    }

    /// 50 routes bound to `demo.echo.v1.EchoService.Echo` (whose `Everything` message has a field
    /// of every kind): 10 resources × list, get, create, a nested get with two variables and a
    /// custom verb.
    func fiftyDefinitions() throws -> [RouteDefinition] {
        guard let echo = pool.method(named: "demo.echo.v1.EchoService.Echo") else {
            throw BenchmarkError("demo.echo.v1.EchoService.Echo is not in the demo descriptor set")
        }
        var definitions: [RouteDefinition] = []
        for resource in Self.resources {
            func add(_ verb: String, _ template: String, body: String = "") {
                definitions.append(
                    RouteDefinition(
                        method: echo,
                        verb: verb,
                        pathTemplate: template,
                        body: body,
                        source: "routes[\(definitions.count)]"
                    )
                )
            }
            add("GET", "/v2/\(resource)")
            add("GET", "/v2/\(resource)/{f_string}")
            add("POST", "/v2/\(resource)", body: "*")
            add("GET", "/v2/\(resource)/{f_string}/revisions/{f_int64}")
            add("POST", "/v2/\(resource)/{f_string}:archive", body: "*")
        }
        return definitions
    }

    static let resources = [
        "accounts", "projects", "users", "orders", "invoices", "products", "shipments", "tickets", "reports",
        "webhooks",
    ]

    static let cases: [Case] = [
        Case(table: "demo", name: "GET /v1/users/1", method: "GET", path: "/v1/users/1", expected: "/v1/users/{id}"),
        Case(table: "demo", name: "POST /v1/echo", method: "POST", path: "/v1/echo", expected: "/v1/echo"),
        Case(
            table: "demo",
            name: "GET /v1/files/zeros-1048576:chunks (custom verb)",
            method: "GET",
            path: "/v1/files/zeros-1048576:chunks",
            expected: "/v1/files/{name}:chunks"
        ),
        Case(
            table: "demo",
            name: "GET /v1/echo/hello/42?fBool=true&tags=a&tags=b (query)",
            method: "GET",
            path: "/v1/echo/hello/42",
            query: "fBool=true&tags=a&tags=b",
            expected: "/v1/echo/{f_string}/{f_int64}"
        ),
        Case(
            table: "demo",
            name: "GET /v1/shelves/1/books/2 (`{f_string=shelves/*/books/*}`)",
            method: "GET",
            path: "/v1/shelves/1/books/2",
            expected: "/v1/{f_string=shelves/*/books/*}"
        ),
        Case(
            table: "demo",
            name: "GET /v1/nothing/here (404)",
            method: "GET",
            path: "/v1/nothing/here",
            expected: "404"
        ),
        Case(
            table: "fifty",
            name: "GET /v2/accounts (first resource)",
            method: "GET",
            path: "/v2/accounts",
            expected: "/v2/accounts"
        ),
        Case(
            table: "fifty",
            name: "GET /v2/webhooks/wh_8f2a (last resource)",
            method: "GET",
            path: "/v2/webhooks/wh_8f2a",
            expected: "/v2/webhooks/{f_string}"
        ),
        Case(
            table: "fifty",
            name: "GET /v2/orders/ord_1234/revisions/17",
            method: "GET",
            path: "/v2/orders/ord_1234/revisions/17",
            expected: "/v2/orders/{f_string}/revisions/{f_int64}"
        ),
        Case(
            table: "fifty",
            name: "POST /v2/tickets/t%2D99:archive (escape, verb)",
            method: "POST",
            path: "/v2/tickets/t%2D99:archive",
            expected: "/v2/tickets/{f_string}:archive"
        ),
        Case(
            table: "fifty",
            name: "GET /v2/products/p1?fInt32=5&nested.label=x (query)",
            method: "GET",
            path: "/v2/products/p1",
            query: "fInt32=5&nested.label=x",
            expected: "/v2/products/{f_string}"
        ),
        Case(
            table: "fifty",
            name: "DELETE /v2/users/u1 (405)",
            method: "DELETE",
            path: "/v2/users/u1",
            expected: "405"
        ),
        Case(
            table: "fifty",
            name: "GET /v3/unknown/path (404)",
            method: "GET",
            path: "/v3/unknown/path",
            expected: "404"
        ),
    ]

    /// One row per case: table size, lookup, ns per lookup.
    func run() throws -> [[String]] {
        let demo = try RouteTable(definitions: try demoDefinitions(), pool: pool)
        let fifty = try RouteTable(definitions: try fiftyDefinitions(), pool: pool)
        var rows: [[String]] = []
        for item in Self.cases {
            let table = item.table == "demo" ? demo : fifty
            let path = Substring(item.path)
            let query = item.query.map { Substring($0) }
            try check(table.lookup(method: item.method, path: path, query: query), item)
            let measured = try measure {
                if case .notFound = try table.lookup(method: item.method, path: path, query: query),
                    item.expected != "404"
                {
                    preconditionFailure("\(item.name) stopped matching")
                }
            }
            let label =
                item.table == "demo" ? "demo (\(table.routes.count) routes)" : "\(table.routes.count) synthetic routes"
            rows.append([label, item.name, formatNanoseconds(measured)])
        }
        return rows
    }

    /// Fixed work for `valgrind --tool=callgrind` (`PorticoBench route-profile [case]`): every
    /// case, or only case number `only` (0-based, in table order), `iterations` times, untimed.
    /// Instruction and `malloc` counts divided by `iterations` are per lookup.
    func profile(iterations: Int, only: Int?) throws {
        let demo = try RouteTable(definitions: try demoDefinitions(), pool: pool)
        let fifty = try RouteTable(definitions: try fiftyDefinitions(), pool: pool)
        for (number, item) in Self.cases.enumerated() where only == nil || only == number {
            let table = item.table == "demo" ? demo : fifty
            let path = Substring(item.path)
            let query = item.query.map { Substring($0) }
            try check(table.lookup(method: item.method, path: path, query: query), item)
            for _ in 0..<iterations {
                if case .notFound = try table.lookup(method: item.method, path: path, query: query),
                    item.expected != "404"
                {
                    preconditionFailure("\(item.name) stopped matching")
                }
            }
        }
    }

    /// Refuses to time a lookup that finds the wrong thing.
    private func check(_ lookup: RouteLookup, _ item: Case) throws {
        let found: String
        switch lookup {
        case .matched(let match): found = match.route.pathTemplate
        case .methodNotAllowed: found = "405"
        case .notFound: found = "404"
        }
        guard found == item.expected else {
            throw BenchmarkError("\(item.name): found \(found), expected \(item.expected)")
        }
    }

    static let header = ["table", "lookup", "ns/lookup (min–max)"]
}
