import Foundation
import Testing

/// `docs/ARCHITECTURE.md` walks requests through the files by name; a file renamed or removed
/// without the map following would leave it pointing at nothing. Every `*.swift` file the
/// document names must exist under `Sources/` or `Tests/`.
@Suite struct ArchitectureDocTests {
    @Test func everyFileTheMapNamesExists() throws {
        let document = try String(contentsOfFile: repositoryRoot + "/docs/ARCHITECTURE.md", encoding: .utf8)
        let named = Self.swiftFileNames(in: document)
        #expect(named.count > 40, "the map names \(named.count) files")
        let files = try Self.swiftFiles(under: ["Sources", "Tests"])
        let missing = named.filter { name in !files.contains { ("/" + $0).hasSuffix("/" + name) } }
        #expect(missing.isEmpty, "docs/ARCHITECTURE.md names files that do not exist: \(missing)")
    }

    /// The check can fail: a name no file has is reported.
    @Test func aNameNoFileHasIsFound() throws {
        let named = Self.swiftFileNames(in: "see `Call/NoSuchFile.swift` and `Upstream{A,B}Tests.swift`")
        #expect(named == ["Call/NoSuchFile.swift", "UpstreamATests.swift", "UpstreamBTests.swift"])
        let files = try Self.swiftFiles(under: ["Sources"])
        #expect(!files.contains { $0.hasSuffix("/Call/NoSuchFile.swift") })
    }

    /// The file paths in backticks, a `{a,b}` group expanded into one name per choice.
    static func swiftFileNames(in text: String) -> [String] {
        var names: [String] = []
        for (index, piece) in text.split(separator: "`", omittingEmptySubsequences: false).enumerated()
        where index % 2 == 1 && piece.hasSuffix(".swift") && !piece.contains(" ") {
            names += expandingBraces(String(piece))
        }
        return names
    }

    private static func expandingBraces(_ name: String) -> [String] {
        guard let open = name.firstIndex(of: "{"), let close = name[open...].firstIndex(of: "}") else { return [name] }
        let choices = name[name.index(after: open)..<close].split(separator: ",")
        return choices.flatMap {
            expandingBraces(String(name[..<open]) + $0 + String(name[name.index(after: close)...]))
        }
    }

    private static func swiftFiles(under folders: [String]) throws -> [String] {
        var files: [String] = []
        for folder in folders {
            let root = repositoryRoot + "/" + folder
            guard let walk = FileManager.default.enumerator(atPath: root) else { continue }
            for case let path as String in walk where path.hasSuffix(".swift") { files.append(folder + "/" + path) }
        }
        return files
    }
}
