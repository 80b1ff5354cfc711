import Foundation

/// `PorticoBench [json] [route] [framing]`: runs the micro-benchmarks (all three without
/// arguments) and prints markdown tables.
///
/// `json-profile` (both directions), `json-profile-decode`, `json-profile-decode-swift-protobuf`
/// (JSON→binary by one codec, optionally with `small` or `medium`) and `route-profile [case
/// number]` run fixed work, untimed, for `valgrind --tool=callgrind`.
///
/// `PorticoBench grpc-body <message type> <JSON file>` is a helper for `Benchmarks/bench.sh`: it
/// writes the JSON file's message as a gRPC request body (5-byte prefix, protobuf bytes) to
/// standard output, transcoded by Portico's own codec over `Protos/demo.binpb`.
let benchmarksDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
let repositoryRoot = benchmarksDirectory.deletingLastPathComponent()

func printTable(_ header: [String], _ rows: [[String]]) {
    print("| " + header.joined(separator: " | ") + " |")
    print("|" + header.map { _ in "---" }.joined(separator: "|") + "|")
    for row in rows { print("| " + row.joined(separator: " | ") + " |") }
}

let arguments = Array(CommandLine.arguments.dropFirst())
let selected = Set(arguments)
let demoDescriptorSet = repositoryRoot.appendingPathComponent("Protos/demo.binpb").path
do {
    if arguments.first == "grpc-body" {
        guard arguments.count == 3 else {
            throw BenchmarkError("usage: PorticoBench grpc-body <message type> <JSON file>")
        }
        FileHandle.standardOutput.write(
            Data(try grpcBody(descriptorSet: demoDescriptorSet, type: arguments[1], jsonFile: arguments[2]))
        )
        exit(0)
    }
    if selected.isEmpty || selected.contains("json") {
        let benchmark = try JSONBenchmark(
            descriptorSet: repositoryRoot.appendingPathComponent("Tests/TranscodingTests/Fixtures/test_messages.binpb")
                .path
        )
        print("### JSON transcoding: TestAllTypesProto3, median of 5 rounds of 0.3 s\n")
        printTable(JSONBenchmark.header, try benchmark.run())
        print()
    }
    if selected.isEmpty || selected.contains("route") {
        print("### Route match: RouteTable.lookup, median of 5 rounds of 0.3 s\n")
        printTable(RouteBenchmark.header, try RouteBenchmark(descriptorSet: demoDescriptorSet).run())
        print()
    }
    if selected.isEmpty || selected.contains("framing") {
        print(
            "### gRPC message framing (Upstream's GRPCSendBuffer and GRPCMessageDeframer), median of 5 rounds of 0.3 s\n"
        )
        printTable(FramingBenchmark.header, try FramingBenchmark().run())
        print()
    }
    if selected.contains("json-profile") {
        // Fixed work for `valgrind --tool=callgrind`: no timing, just the codec.
        let benchmark = try JSONBenchmark(
            descriptorSet: repositoryRoot.appendingPathComponent("Tests/TranscodingTests/Fixtures/test_messages.binpb")
                .path
        )
        try benchmark.profile(iterations: 2_000)
    }
    if let index = arguments.firstIndex(of: "route-profile") {
        // Fixed work for `valgrind --tool=callgrind`: 10,000 lookups of each case (or of one).
        let only = arguments.dropFirst(index + 1).first.flatMap { Int($0) }
        try RouteBenchmark(descriptorSet: demoDescriptorSet).profile(iterations: 10_000, only: only)
    }
    for (mode, codec) in [
        ("json-profile-decode", JSONBenchmark.ProfiledCodec.portico),
        ("json-profile-decode-swift-protobuf", .swiftProtobuf),
    ]
    where selected.contains(mode) {
        // JSON→binary alone, by one codec, for comparing instruction counts under callgrind.
        let benchmark = try JSONBenchmark(
            descriptorSet: repositoryRoot.appendingPathComponent("Tests/TranscodingTests/Fixtures/test_messages.binpb")
                .path
        )
        let sizes = [("small", JSONMessages.small), ("medium", JSONMessages.medium)]
        let chosen = sizes.filter { selected.contains($0.0) }
        try benchmark.profileDecoding(
            with: codec,
            messages: (chosen.isEmpty ? sizes : chosen).map(\.1),
            iterations: 2_000
        )
    }
} catch {
    FileHandle.standardError.write(Data("portico-bench: \(error)\n".utf8))
    exit(1)
}
