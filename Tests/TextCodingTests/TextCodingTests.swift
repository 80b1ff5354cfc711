import NIOCore
import Testing
import TextCoding

@Suite struct Base64Tests {
    @Test func acceptsPaddingAndTheURLAlphabet() {
        #expect(Base64.decode("aGk=") == Array("hi".utf8))
        #expect(Base64.decode("aGk") == Array("hi".utf8))
        #expect(Base64.decode("-_8") == [0xFB, 0xFF])
        #expect(Base64.decode("a b") == nil)
        #expect(Base64.decode("aGk==") == nil)
        #expect(Base64.decode("a") == nil)
    }

    @Test(arguments: 0..<40)
    func roundTripsEveryLength(length: Int) {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let text = Base64.encodedString(bytes)
        #expect(text.utf8.count == (length + 2) / 3 * 4)
        #expect(Base64.decode(text) == bytes)
    }

    @Test func encodesTheStandardAlphabetWithPadding() {
        #expect(Base64.encodedString(Array("hi".utf8)) == "aGk=")
        #expect(Base64.encodedString([0xFB, 0xFF]) == "+/8=")
    }
}

@Suite struct GRPCTimeoutTests {
    @Test func encodesInTheCoarsestExactUnit() {
        #expect(GRPCTimeout.encode(nanoseconds: 1_500_000_000) == "1500m")
        #expect(GRPCTimeout.encode(nanoseconds: 2_000_000_000) == "2S")
        #expect(GRPCTimeout.encode(nanoseconds: 3_600_000_000_000) == "1H")
        #expect(GRPCTimeout.encode(nanoseconds: 1_234_567_891) == "1234568u")
        #expect(GRPCTimeout.encode(nanoseconds: 0) == "1n")
        #expect(GRPCTimeout.encode(nanoseconds: .max).count <= 9)
    }

    @Test func parsesEveryUnit() {
        #expect(GRPCTimeout.parse("2H") == 7_200_000_000_000)
        #expect(GRPCTimeout.parse("3M") == 180_000_000_000)
        #expect(GRPCTimeout.parse("1S") == 1_000_000_000)
        #expect(GRPCTimeout.parse("250m") == 250_000_000)
        #expect(GRPCTimeout.parse("7u") == 7_000)
        #expect(GRPCTimeout.parse("9n") == 9)
        #expect(GRPCTimeout.parse("99999999H") == .max)
    }

    @Test func refusesMalformedValues() {
        for text in ["", "S", "1", "1s", "-1S", "+1S", "123456789S", "1 S", "1.5S"] {
            #expect(GRPCTimeout.parse(text) == nil, "\(text)")
        }
    }

    @Test(arguments: [Int64(1), 999, 1_000_000, 1_500_000_000, 86_400_000_000_000])
    func parseReadsWhatEncodeWrites(nanoseconds: Int64) {
        #expect(GRPCTimeout.parse(GRPCTimeout.encode(nanoseconds: nanoseconds)) == nanoseconds)
    }
}

@Suite struct PercentEncodingTests {
    @Test func grpcMessagesKeepMalformedEscapes() {
        #expect(PercentEncoding.grpcMessageDecoded("100%") == "100%")
        #expect(PercentEncoding.grpcMessageDecoded("%zz%4") == "%zz%4")
        #expect(PercentEncoding.grpcMessageDecoded("a%25b") == "a%b")
        #expect(PercentEncoding.grpcMessageDecoded("user%209%20%E2%9C%93") == "user 9 ✓")
    }

    @Test func grpcMessagesEncodeNonPrintableBytesAndPercent() {
        #expect(PercentEncoding.grpcMessageEncoded("plain text") == "plain text")
        #expect(PercentEncoding.grpcMessageEncoded("100% ✓\n") == "100%25 %E2%9C%93%0A")
        #expect(PercentEncoding.grpcMessageDecoded(PercentEncoding.grpcMessageEncoded("é%\u{1}")) == "é%\u{1}")
    }

    @Test func urlTextDecodesOrRefuses() {
        #expect(PercentEncoding.decodedString("a%2Fb+c", plusAsSpace: true) == "a/b c")
        #expect(PercentEncoding.decodedString("a+b", plusAsSpace: false) == "a+b")
        #expect(PercentEncoding.decodedString("%zz", plusAsSpace: false) == nil)
        #expect(PercentEncoding.decodedString("%FF", plusAsSpace: false) == nil)
        var bytes: [UInt8] = []
        #expect(PercentEncoding.decode("a%2Fb%41", into: &bytes, keepEncodedSlash: true, plusAsSpace: false))
        #expect(String(decoding: bytes, as: UTF8.self) == "a%2FbA")
        #expect(PercentEncoding.isWellFormed("%41%2f"))
        #expect(!PercentEncoding.isWellFormed("%4"))
    }

    @Test func literalsCompareInNormalForm() {
        #expect(PercentEncoding.normalizedLiteral("%7e%2f") == "~%2F")
        #expect(PercentEncoding.normalizedLiteral("plain") == "plain")
    }
}
