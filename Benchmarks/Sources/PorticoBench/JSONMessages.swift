import Foundation
import SwiftProtobuf

typealias T3 = ProtobufTestMessages_Proto3_TestAllTypesProto3

/// The three message sizes of the JSON benchmark, all `TestAllTypesProto3`.
enum JSONMessages {
    /// About 100 bytes of JSON: a handful of scalars and a short string.
    static let small = T3.with {
        $0.optionalInt32 = 150
        $0.optionalInt64 = 1_234_567_890_123
        $0.optionalString = "hello portico"
        $0.optionalBool = true
        $0.optionalDouble = 3.25
        $0.optionalNestedEnum = .bar
    }

    /// About 2 KB: every scalar kind, a nested message, repeated scalars and strings, a map,
    /// well-known types and a oneof.
    static let medium = T3.with {
        $0.optionalInt32 = -42
        $0.optionalInt64 = -9_000_000_000
        $0.optionalUint32 = 4_000_000_000
        $0.optionalUint64 = 18_000_000_000_000_000_000
        $0.optionalSint32 = -7
        $0.optionalSint64 = 7_000_000_000
        $0.optionalFixed32 = 123_456
        $0.optionalFixed64 = 1 << 50
        $0.optionalSfixed32 = -123_456
        $0.optionalSfixed64 = -(1 << 50)
        $0.optionalFloat = 1.5
        $0.optionalDouble = 2.718281828459045
        $0.optionalBool = true
        $0.optionalString = "a medium message with a sentence of text in it"
        $0.optionalBytes = Data((0..<64).map { UInt8($0) })
        $0.optionalNestedMessage = .with {
            $0.a = 17
            $0.corecursive = .with {
                $0.optionalString = "nested"
                $0.repeatedInt32 = [1, 2, 3]
            }
        }
        $0.optionalNestedEnum = .baz
        $0.repeatedInt32 = Array(0..<24).map { Int32($0 * 1_000) }
        $0.repeatedInt64 = Array(0..<8).map { Int64($0) * 10_000_000_000 }
        $0.repeatedDouble = [0.1, 0.2, 0.30000000000000004, 1e-10, 6.02e23]
        $0.repeatedString = (0..<12).map { "item number \($0) of the list" }
        $0.mapStringString = Dictionary(uniqueKeysWithValues: (0..<6).map { ("key\($0)", "value number \($0)") })
        $0.mapInt32Int32 = [1: 10, 2: 20, 3: 30]
        $0.optionalTimestamp = .with {
            $0.seconds = 1_700_000_000
            $0.nanos = 123_000_000
        }
        $0.optionalDuration = .with {
            $0.seconds = 90
            $0.nanos = 500_000_000
        }
        $0.optionalFieldMask = .with { $0.paths = ["optional_int32", "optional_nested_message.a"] }
        $0.optionalInt32Wrapper = .with { $0.value = 5 }
        $0.optionalStringWrapper = .with { $0.value = "wrapped" }
        $0.oneofString = "the oneof member"
    }

    /// About 1 MB: thousands of nested messages with strings and numbers, and a 100 KB `bytes`.
    static let large = T3.with {
        $0.repeatedNestedMessage = (0..<7_000).map { i in
            .with {
                $0.a = Int32(i)
                $0.corecursive = .with {
                    $0.optionalString = "element \(i) has a short description"
                    $0.optionalInt64 = Int64(i) * 1_000_003
                    $0.repeatedInt32 = [Int32(i), Int32(i * 2)]
                }
            }
        }
        $0.optionalBytes = Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
    }
}
