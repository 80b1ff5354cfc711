#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's open-file limit: every client connection and every upstream connection is a
/// descriptor, and Debian's default soft limit (1,024) would make the gateway stop accepting at
/// about a thousand clients, silently. Like nginx and Envoy deployments expect, `serve` raises
/// the soft limit to the hard limit at start.
enum FileDescriptorLimit {
    /// Raises the soft `RLIMIT_NOFILE` to the hard limit.
    /// - Returns: The soft limit in effect afterwards, or nil if it cannot be read.
    @discardableResult
    static func raiseToHardLimit() -> UInt64? {
        var limit = rlimit()
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { return UInt64(raised.rlim_cur) }
        }
        return UInt64(limit.rlim_cur)
    }
}
