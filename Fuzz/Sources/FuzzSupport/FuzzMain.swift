import CLibFuzzer

/// The signature of `LLVMFuzzerTestOneInput`.
public typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// Runs libFuzzer's driver on `callback`: the body of every target's entry point.
///
/// SwiftPM links an executable with `main` aliased to `<Module>_main` (so tests can link
/// executables), a symbol `-parse-as-library` never emits; each target defines that symbol
/// itself (`@_cdecl("<Module>_main")`) and hands over to libFuzzer here, as libFuzzer's own
/// `main` would.
public func runLibFuzzer(
    _ argc: CInt,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ callback: FuzzCallback
) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, callback)
}
