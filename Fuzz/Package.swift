// swift-tools-version:6.1
import PackageDescription

/// libFuzzer targets over Portico's parsers and protocol handlers, in a package of their own (like
/// Benchmarks/) so the main build stays free of sanitizer flags. Each executable exports
/// `LLVMFuzzerTestOneInput` and is built with libFuzzer and AddressSanitizer; `scripts/fuzz.sh`
/// (`make fuzz`, `make fuzz-smoke`) builds and runs them:
///
///     swift build -c release --product FuzzJSONRequest -Xswiftc -sanitize=fuzzer,address \
///         -Xswiftc -parse-as-library -Xswiftc -enable-testing
///
/// `-enable-testing` lets a target reach the internals it checks invariants on (`@testable`).
let fuzzSettings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

/// One fuzz target: an executable of `Sources/<name>`.
func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport"] + dependencies, swiftSettings: fuzzSettings)
}

let core: Target.Dependency = .product(name: "PorticoCore", package: "portico")
let server: Target.Dependency = .product(name: "PorticoServer", package: "portico")
let upstream: Target.Dependency = .product(name: "PorticoUpstream", package: "portico")
let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")

let package = Package(
    name: "portico-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "portico", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .target(name: "CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer", core], swiftSettings: fuzzSettings),
        fuzzTarget("FuzzJSONRequest", [core, nioCore]),
        fuzzTarget("FuzzProtobufResponse", [core, nioCore]),
        fuzzTarget("FuzzRouting", [core, nioCore]),
        fuzzTarget("FuzzJSONSequence", [core, nioCore]),
        fuzzTarget("FuzzDescriptorSet", [core, nioCore]),
        fuzzTarget("FuzzUpstream", [upstream, nioCore]),
        fuzzTarget("FuzzGatewayConfig", [server, core]),
        fuzzTarget(
            "FuzzHTTPFrontEnd",
            [
                server, core, nioCore,
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
    ]
)
