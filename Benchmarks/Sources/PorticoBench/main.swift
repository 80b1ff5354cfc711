import Foundation

/// `portico-bench [json]`: runs the micro-benchmarks and prints markdown tables.
let benchmarksDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
let repositoryRoot = benchmarksDirectory.deletingLastPathComponent()

func printTable(_ header: [String], _ rows: [[String]]) {
    print("| " + header.joined(separator: " | ") + " |")
    print("|" + header.map { _ in "---" }.joined(separator: "|") + "|")
    for row in rows { print("| " + row.joined(separator: " | ") + " |") }
}

let selected = Set(CommandLine.arguments.dropFirst())
do {
    if selected.isEmpty || selected.contains("json") {
        let benchmark = try JSONBenchmark(
            descriptorSet: repositoryRoot.appendingPathComponent("Tests/TranscodingTests/Fixtures/test_messages.binpb").path
        )
        print("### JSON transcoding: TestAllTypesProto3, median of 5 rounds of 0.3 s\n")
        printTable(JSONBenchmark.header, try benchmark.run())
        print()
    }
    if selected.contains("json-profile") {
        // Fixed work for `valgrind --tool=callgrind`: no timing, just the codec.
        let benchmark = try JSONBenchmark(
            descriptorSet: repositoryRoot.appendingPathComponent("Tests/TranscodingTests/Fixtures/test_messages.binpb").path
        )
        try benchmark.profile(iterations: 2_000)
    }
} catch {
    FileHandle.standardError.write(Data("portico-bench: \(error)\n".utf8))
    exit(1)
}
