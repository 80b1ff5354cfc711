// swift-tools-version:6.1
import PackageDescription

/// Swift settings shared by every Portico target: Swift 6 mode, explicit import access levels.
let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "portico",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "portico", targets: ["PorticoCLI"]),
        .executable(name: "demo-backend", targets: ["DemoBackend"]),
        .executable(name: "conformance-testee", targets: ["ConformanceTestee"]),
        // For Benchmarks/ (a package of its own): the hot pieces without the server.
        .library(name: "PorticoCore", targets: ["ProtoSchema", "Routing", "Transcoding"]),
        // For Fuzz/ (a package of its own): the server's pieces, fed bytes without sockets.
        .library(name: "PorticoUpstream", targets: ["Upstream"]),
        .library(name: "PorticoServer", targets: ["Gateway", "Upstream"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
    ],
    targets: [
        // MARK: C shims
        .target(
            name: "CNGHTTP2",
            linkerSettings: [.linkedLibrary("nghttp2")]
        ),
        .target(
            name: "CJansson",
            linkerSettings: [.linkedLibrary("jansson")]
        ),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),

        // MARK: Libraries
        .target(
            name: "TextCoding",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ProtoSchema",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Routing",
            dependencies: ["ProtoSchema", "TextCoding"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Transcoding",
            dependencies: [
                "ProtoSchema",
                "TextCoding",
                "CJansson",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Upstream",
            dependencies: [
                "TextCoding",
                "CNGHTTP2",
                "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Gateway",
            dependencies: [
                "ProtoSchema",
                "TextCoding",
                "Routing",
                "Transcoding",
                "Upstream",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "PorticoCLI",
            dependencies: [
                "Gateway",
                "ProtoSchema",
                "Routing",
                "Upstream",
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Conformance testee (protobuf's conformance protocol over the Transcoding codec)
        .executableTarget(
            name: "ConformanceTestee",
            dependencies: [
                "ProtoSchema",
                "Transcoding",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Protos", "failure_list.txt"],
            swiftSettings: strictSettings
        ),

        // MARK: Demo backend (grpc-swift-2; never linked into the gateway)
        .target(
            name: "DemoServices",
            dependencies: [
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "DemoBackend",
            dependencies: [
                "DemoServices",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Tests
        .testTarget(
            name: "TextCodingTests",
            dependencies: ["TextCoding", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ProtoSchemaTests",
            dependencies: ["ProtoSchema", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "RoutingTests",
            dependencies: ["Routing", "ProtoSchema", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TranscodingTests",
            dependencies: [
                "Transcoding",
                "ProtoSchema",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Protos", "Fixtures"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ConformanceTesteeTests",
            dependencies: ["ConformanceTestee", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "UpstreamTests",
            dependencies: [
                "Upstream",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway",
                "Upstream",
                "Routing",
                "ProtoSchema",
                "DemoServices",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
