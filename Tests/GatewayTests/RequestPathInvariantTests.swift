import Foundation
import Testing

/// The per-request code (the HTTP front end, the call exchange, WebSocket sessions) reads
/// everything it needs from the matched route's `RoutePlan` and the snapshot's arrays: it never
/// looks anything up by method, service or backend name. Those lookups belong to
/// `SnapshotBuilder`, which runs once per configuration. This test is the invariant
/// `docs/ARCHITECTURE.md` states, as a grep over the request-path sources.
@Suite struct RequestPathInvariantTests {
    /// Expressions that look something up by a name on a request's path.
    static let lookupsByName = [
        "config.methods[", "config.backends[", "methods[method", "backends[name", ".method(named:",
        "backendByService", "[route.method.fullName]", "[method.fullName]", "[plan.method.fullName]",
        "[method.serviceFullName]", "[backend]",
    ]

    /// The folders whose code runs per request.
    static let requestPath = ["Sources/Gateway/HTTP", "Sources/Gateway/Call", "Sources/Gateway/WebSocket"]

    @Test func noRequestPathCodeLooksUpByName() throws {
        var found: [String] = []
        for folder in Self.requestPath {
            let directory = repositoryRoot + "/" + folder
            let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".swift") }
            #expect(!files.isEmpty, "\(folder) has no sources")
            for file in files {
                let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let code = line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                    for pattern in Self.lookupsByName where code.contains(pattern) {
                        found.append("\(folder)/\(file):\(number + 1): \(line.trimmingCharacters(in: .whitespaces))")
                    }
                }
            }
        }
        #expect(found.isEmpty, "lookups by name on the request path:\n\(found.joined(separator: "\n"))")
    }

    /// The grep can fail: the same scan finds the lookups the snapshot builder does make.
    @Test func theScanFindsLookupsWhereTheyAre() throws {
        let text = try String(
            contentsOfFile: repositoryRoot + "/Sources/Gateway/Snapshot/SnapshotBuilder+Plans.swift",
            encoding: .utf8
        )
        #expect(Self.lookupsByName.contains { text.contains($0) })
    }
}
