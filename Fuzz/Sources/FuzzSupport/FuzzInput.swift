/// A fuzzer's input read front to back: selector bytes first (which message type, which options,
/// where to split), then the payload. Reading past the end gives zeros, so every input is usable.
public struct FuzzInput {
    /// The bytes not read yet.
    public private(set) var remaining: ArraySlice<UInt8>

    /// The input libFuzzer passes to `LLVMFuzzerTestOneInput`.
    public init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        guard let data, size > 0 else {
            self.remaining = []
            return
        }
        self.remaining = ArraySlice(UnsafeBufferPointer(start: data, count: size))
    }

    /// An input over bytes already in memory (regression tests, seeds).
    public init(_ bytes: [UInt8]) {
        self.remaining = bytes[...]
    }

    /// The next byte, or 0 at the end.
    public mutating func byte() -> UInt8 {
        remaining.popFirst() ?? 0
    }

    /// The next byte reduced to `0..<count` (`count` > 0).
    public mutating func choice(_ count: Int) -> Int {
        Int(byte()) % count
    }

    /// The next two bytes as a little-endian number.
    public mutating func uint16() -> Int {
        Int(byte()) | Int(byte()) << 8
    }

    /// Up to `count` bytes.
    public mutating func take(_ count: Int) -> [UInt8] {
        let taken = remaining.prefix(count)
        remaining = remaining.dropFirst(count)
        return Array(taken)
    }

    /// Everything not read yet.
    public mutating func rest() -> [UInt8] {
        defer { remaining = [] }
        return Array(remaining)
    }

    /// Bytes up to the first `separator` (consumed, not returned), or all that is left.
    public mutating func until(_ separator: UInt8) -> [UInt8] {
        guard let end = remaining.firstIndex(of: separator) else { return rest() }
        defer { remaining = remaining[(end + 1)...] }
        return Array(remaining[..<end])
    }
}

/// Stops the process with `message` when `condition` is false: libFuzzer records the input as a
/// crash. Unlike `assert`, it is checked in release builds, which is how the targets are built.
public func fuzzCheck(
    _ condition: @autoclosure () -> Bool,
    _ message: @autoclosure () -> String,
    file: StaticString = #fileID,
    line: UInt = #line
) {
    if !condition() { fatalError("invariant broken: \(message())", file: file, line: line) }
}
