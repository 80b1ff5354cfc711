#if canImport(Glibc)
import Glibc
#endif

/// How `serve` sets up glibc's allocator.
///
/// glibc's malloc gives an allocation of `M_MMAP_THRESHOLD` bytes or more (128 KiB at start) that
/// free heap space cannot hold a mapping of its own, returned to the kernel by `free`, instead of
/// growing the heap. Left alone, glibc raises that threshold to the size of every such block freed
/// (up to 32 MiB): after the first multi-MiB response body is freed, later ones grow the heap,
/// whose top goes back to the kernel only while nothing above it is in use. Under the gateway's
/// mix — streamed bodies of several MiB between thousands of small allocations — the resident set
/// then steps up to a new high-water mark every few minutes and never comes down (a 30-minute soak:
/// steps of about 1.6 MiB, +191.6 KiB/min after its warm-up). A fixed threshold (which also stops
/// the raising) sends those blocks to mappings of their own, gone when they are freed (the same
/// soak: +12.0 KiB/min); the price is an `mmap` and page faults per such buffer, small beside
/// copying it.
public enum HeapSettings {
    /// The threshold `serve` fixes: glibc's own starting value.
    public static let mmapThresholdBytes = 128 * 1024

    /// `M_MMAP_THRESHOLD` of <malloc.h>.
    private static let mmapThresholdParameter: Int32 = -3

    /// The environment variable with which an operator chooses glibc's threshold instead.
    public static let operatorVariable = "MALLOC_MMAP_THRESHOLD_"

    /// Fixes glibc's mmap threshold at ``mmapThresholdBytes`` unless the environment sets
    /// ``operatorVariable`` (glibc has then fixed the operator's value itself).
    /// - Returns: The threshold this call fixed, or nil when it left the allocator alone (the
    ///   operator's variable is set, or the C library is not glibc).
    @discardableResult
    public static func fixMmapThreshold() -> Int? {
        #if canImport(Glibc)
        guard getenv(operatorVariable) == nil else { return nil }
        // `mallopt` is declared in <malloc.h>, which the Glibc module does not include.
        guard let symbol = dlsym(nil, "mallopt") else { return nil }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        guard mallopt(mmapThresholdParameter, Int32(mmapThresholdBytes)) == 1 else { return nil }
        return mmapThresholdBytes
        #else
        return nil
        #endif
    }
}
