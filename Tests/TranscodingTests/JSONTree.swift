import Foundation
import Testing

/// A parsed JSON document for order-insensitive comparison in tests: objects compare as key sets,
/// strings and keys by their exact UTF-8 bytes (not Swift's canonical equivalence), numbers as
/// `NSNumber`s, `true`/`false` apart from 1/0. Foundation's parser stays the independent judge;
/// the tree only spares comparisons the bridging of `NSDictionary.isEqual`, which cost more than
/// the codecs under test.
indirect enum JSONTree: Equatable {
    case null
    case bool(Bool)
    case number(NSNumber)
    case string(String)
    case array([JSONTree])
    /// Members sorted by key bytes.
    case object([(key: String, value: JSONTree)])

    /// The tree of a `JSONSerialization` result, or nil for a value JSON cannot hold.
    init?(foundation value: Any) {
        // Containers and strings first: testing a Swift dictionary against a class (`NSNull`,
        // `NSNumber`) bridges it to an NSDictionary, the very cost this type avoids.
        switch value {
        case let dictionary as [String: Any]:
            var members: [(key: String, value: JSONTree)] = []
            members.reserveCapacity(dictionary.count)
            for (key, item) in dictionary {
                guard let tree = JSONTree(foundation: item) else { return nil }
                members.append((key, tree))
            }
            members.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            self = .object(members)
        case let array as [Any]:
            var items: [JSONTree] = []
            items.reserveCapacity(array.count)
            for item in array {
                guard let tree = JSONTree(foundation: item) else { return nil }
                items.append(tree)
            }
            self = .array(items)
        case let string as String:
            self = .string(string)
        case let number as NSNumber:
            // Foundation reads `true`/`false` as a boolean NSNumber whose type is `c`.
            self = String(cString: number.objCType) == "c" ? .bool(number.boolValue) : .number(number)
        case is NSNull:
            self = .null
        default:
            return nil
        }
    }

    static func == (lhs: JSONTree, rhs: JSONTree) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a.utf8.elementsEqual(b.utf8)
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count
                && zip(a, b).allSatisfy { $0.key.utf8.elementsEqual($1.key.utf8) && $0.value == $1.value }
        default: return false
        }
    }
}

/// Parses JSON text for order-insensitive comparison (tests only); nil when it is not JSON.
func jsonObject(_ text: String) -> JSONTree? {
    guard let value = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else {
        return nil
    }
    return JSONTree(foundation: value)
}

@Suite("JSONTree compares as strictly as the tests need")
struct JSONTreeTests {
    @Test func objectsCompareAsKeySets() {
        #expect(jsonObject(#"{"a":1,"b":[true,null]}"#) == jsonObject(#"{"b":[true,null],"a":1.0}"#))
        #expect(jsonObject(#"{"a":1}"#) != jsonObject(#"{"a":1,"b":2}"#))
    }

    @Test func stringsAndKeysCompareByTheirBytes() {
        // "é" precomposed and decomposed: equal Swift Strings, different JSON.
        #expect(jsonObject("\"\u{E9}\"") != jsonObject("\"e\u{301}\""))
        #expect(jsonObject("{\"\u{E9}\":1}") != jsonObject("{\"e\u{301}\":1}"))
    }

    @Test func booleansAreNotNumbers() {
        #expect(jsonObject("true") != jsonObject("1"))
        #expect(jsonObject("[false]") != jsonObject("[0]"))
        #expect(jsonObject("not json") == nil)
    }
}
