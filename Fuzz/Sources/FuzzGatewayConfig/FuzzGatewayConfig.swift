import FuzzSupport
import Gateway

/// `Gateway.yaml` loading (fuzz target g): `GatewayConfig.parse` on arbitrary text, then, for a
/// configuration that parses, the snapshot build over the demo's descriptors (routes, plans,
/// policies, OpenAPI document), as `portico check` runs it.
///
/// Input: the YAML text. The build runs in the repository's root, so `protos:
/// [Fuzz/Fixtures/fuzz.binpb]` and the demo's key files resolve. Only that small descriptor set is
/// built over (the demo's whole set would cost each input tens of milliseconds, and descriptor
/// sets have their own target, `FuzzDescriptorSet`).
///
/// Invariant: nothing traps. A configuration that would run a program (`protoc:`, `.proto`
/// entries, which run protoc) or read outside ordinary files (`/dev`, `/proc`, `/sys`: a device
/// never ends) is parsed but not built: the fuzzer is not to start processes or block.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGatewayConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let text = String(decoding: input.rest(), as: UTF8.self)
    guard let config = try? GatewayConfig.parse(yaml: text) else { return 0 }
    guard isSafeToBuild(config, text: text) else { return 0 }
    _ = try? SnapshotBuilder(config: config, baseDirectory: FuzzFixtures.repositoryRoot.path).build()
    return 0
}

/// Descriptor sets the build may read.
private let allowedProtos: Set<String> = ["Fuzz/Fixtures/fuzz.binpb"]

private func isSafeToBuild(_ config: GatewayConfig, text: String) -> Bool {
    guard config.protoc == nil, config.protoPaths.isEmpty, config.protos.allSatisfy(allowedProtos.contains) else {
        return false
    }
    return !["/dev", "/proc", "/sys", "..", "\\"].contains { text.contains($0) }
}

/// The executable's entry point (see ``runLibFuzzer(_:_:_:)``).
@_cdecl("FuzzGatewayConfig_main")
public func fuzzGatewayConfigMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzGatewayConfig)
}
