import FuzzSupport
import NIOCore
import ProtoSchema
import Routing
import Transcoding

/// Path-template parsing and route matching with query strings (fuzz target c).
///
/// Input: a byte choosing the verb (its low seven bits); when its bit 7 is set, a path template up
/// to a NUL byte, and when its bit 4 is set too, a second one: each parsed and added (as a route of
/// `demo.echo.v1.EchoService.Echo`; bit 6 gives it `body: "*"`, bit 5 rejects unknown query
/// parameters) to a table with the demo's first eight routes, built for this input; without bit
/// 7 the lookup runs on the demo's whole table, built once. Then the request target
/// (`/path?query`). A matched route's bindings are encoded into the request message as the
/// gateway does.
///
/// Invariants: nothing traps; a lookup is deterministic (twice the same outcome).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRouting(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let selector = input.byte()
    let verb = RoutingFixtures.verbs[Int(selector & 0x7F) % RoutingFixtures.verbs.count]
    var table = RoutingFixtures.demoTable
    if selector & 0x80 != 0 {
        // A table of a few routes per input: rebuilding the demo's whole table for each one
        // would spend the fuzzer's time there rather than on the fuzzed templates.
        let count = selector & 0x10 != 0 ? 2 : 1
        let definitions = (0..<count).map { _ in
            let template = String(decoding: input.until(0), as: UTF8.self)
            _ = try? PathTemplate(parsing: template)
            return RouteDefinition(
                method: RoutingFixtures.echo,
                verb: verb,
                pathTemplate: template,
                body: selector & 0x40 != 0 ? "*" : "",
                source: "fuzz",
                rejectUnknownQueryParameters: selector & 0x20 != 0
            )
        }
        guard
            let extended = try? RouteTable(
                definitions: Array(RoutingFixtures.demoDefinitions.prefix(8)) + definitions,
                pool: FuzzFixtures.demoPool
            )
        else { return 0 }
        table = extended
    }
    let target = String(decoding: input.rest(), as: UTF8.self)
    let question = target.firstIndex(of: "?")
    let path = target[..<(question ?? target.endIndex)]
    let query = question.map { target[target.index(after: $0)...] }

    let first = describe(try table.lookup(method: verb, path: path, query: query))
    let second = describe(try table.lookup(method: verb, path: path, query: query))
    fuzzCheck(first == second, "lookup is not deterministic: \(first) then \(second)")
    if case .matched(let match) = try? table.lookup(method: verb, path: path, query: query) {
        var out = ByteBuffer()
        _ = try? RequestTranscoder(pool: FuzzFixtures.demoPool, options: .init()).encode(
            bindings: match.bindings,
            into: &out
        )
    }
    return 0
}

/// A lookup's outcome as text, for comparisons.
private func describe(_ lookup: @autoclosure () throws(RoutingError) -> RouteLookup) -> String {
    do {
        switch try lookup() {
        case .matched(let match):
            return "matched \(match.route.index) \(match.bindings.map { "\($0.dottedPath)=\($0.value)" })"
        case .methodNotAllowed(let allowed): return "methodNotAllowed \(allowed)"
        case .notFound: return "notFound"
        }
    } catch {
        return "error \(error)"
    }
}

/// The demo's routes, flattened from its `google.api.http` annotations as the gateway does.
enum RoutingFixtures {
    /// The HTTP methods inputs choose from.
    static let verbs = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CUSTOM"]
    /// `demo.echo.v1.EchoService.Echo`, the method fuzzed templates call.
    static let echo = FuzzFixtures.demoPool.method(named: "demo.echo.v1.EchoService.Echo")!
    /// Every binding of every demo method.
    static let demoDefinitions: [RouteDefinition] = FuzzFixtures.demoPool.methods.flatMap { method in
        guard let rule = method.httpRule else { return [RouteDefinition]() }
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
    /// The demo's route table.
    static let demoTable: RouteTable = {
        do {
            return try RouteTable(definitions: demoDefinitions, pool: FuzzFixtures.demoPool)
        } catch {
            fatalError("the demo's routes: \(error)")
        }
    }()
}

/// The executable's entry point (see ``runLibFuzzer(_:_:_:)``).
@_cdecl("FuzzRouting_main")
public func fuzzRoutingMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzRouting)
}
