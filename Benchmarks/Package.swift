// swift-tools-version:6.1
import PackageDescription

/// Micro-benchmarks of Portico's hot pieces, in a package of their own so the main build stays
/// lean: `swift run -c release portico-bench` (from `Benchmarks/`, or `make bench`).
let package = Package(
    name: "portico-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "portico", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        .executableTarget(
            name: "PorticoBench",
            dependencies: [
                .product(name: "PorticoCore", package: "portico"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "NIOFloorServer",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
