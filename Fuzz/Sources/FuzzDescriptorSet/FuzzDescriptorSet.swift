import FuzzSupport
import NIOCore
import ProtoSchema
import Transcoding

/// Descriptor-set loading from arbitrary bytes (fuzz target h): `DescriptorPool(serializedSets:)`
/// as `protos:` entries, reflection answers and `portico check` reach it.
///
/// Input: a byte whose bit 0 adds `Fuzz/Fixtures/fuzz.binpb` (`fuzz.proto` with three well-known
/// types) before the fuzzed set, so the fuzzed files may import and extend real ones; then the
/// bytes of a `FileDescriptorSet`. (That small set rather than the demo's: a pool over the demo's
/// 107 KB for every other input would leave the fuzzer little time for the fuzzed bytes.)
///
/// Invariants: nothing traps; a pool that builds is usable: every message (the first 64) writes
/// its empty value with `emitUnpopulated`, which walks every field's type, and every method's
/// input and output are messages of the pool.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDescriptorSet(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let withBase = input.byte() & 1 != 0
    let sets = (withBase ? [FuzzFixtures.fuzzDescriptorSet] : []) + [input.rest()]
    guard let pool = try? DescriptorPool(serializedSets: sets) else { return 0 }
    let writer = ResponseTranscoder(pool: pool, options: JSONCodecOptions(emitUnpopulated: true))
    for index in pool.messages.indices.prefix(64) {
        var out = ByteBuffer()
        _ = try? writer.write(protobuf: ByteBuffer(), as: MessageID(index), into: &out)
    }
    for method in pool.methods {
        fuzzCheck(pool.messages.indices.contains(method.input.index), "\(method.fullName)'s input")
        fuzzCheck(pool.messages.indices.contains(method.output.index), "\(method.fullName)'s output")
    }
    return 0
}

/// The executable's entry point (see ``runLibFuzzer(_:_:_:)``).
@_cdecl("FuzzDescriptorSet_main")
public func fuzzDescriptorSetMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzDescriptorSet)
}
