#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The conformance protocol's framing on stdin/stdout: a 4-byte little-endian length, then that
/// many bytes.
struct ConformancePipe {
    /// The next frame from stdin, or nil at EOF (or on a short read, which only a dying runner
    /// produces).
    mutating func readFrame() -> [UInt8]? {
        guard let header = read(exactly: 4) else { return nil }
        let length = header.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        return read(exactly: length)
    }

    /// Writes one frame to stdout and flushes it (the runner waits for each answer).
    mutating func writeFrame(_ payload: [UInt8]) {
        let length = UInt32(payload.count)
        let header = (0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
        write(header + payload)
    }

    private func read(exactly count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress! + filled, count - filled) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return nil }
            filled += n
        }
        return bytes
    }

    private func write(_ bytes: [UInt8]) {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(1, $0.baseAddress! + written, bytes.count - written) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { exit(1) }
            written += n
        }
    }
}
