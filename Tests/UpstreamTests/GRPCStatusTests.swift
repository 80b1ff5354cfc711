import Testing

@testable import Upstream

@Suite struct GRPCStatusTests {
    @Test func codesOutOfRangeBecomeUnknown() {
        #expect(GRPCStatus.Code(rawValue: 5) == .notFound)
        #expect(GRPCStatus.Code(rawValue: 17) == .unknown)
        #expect(GRPCStatus.Code(rawValue: -1) == .unknown)
        #expect(GRPCStatus.Code.unauthenticated.rawValue == 16)
        #expect(GRPCStatus(code: .notFound, message: "user 9").description == "NOT_FOUND: user 9")
    }

    @Test func parsesTrailers() {
        let status = GRPCStatus(trailers: [
            ("grpc-status", "5"), ("grpc-message", "user%209%20not%20found%20%E2%9C%93"),
            ("grpc-status-details-bin", "CAUSCW5vdCBmb3VuZA"),
        ])
        #expect(status.code == .notFound)
        #expect(status.message == "user 9 not found ✓")
        // 08 05 12 09 "not found": google.rpc.Status{code: 5, message: "not found"}, unpadded base64.
        #expect(status.details == [0x08, 0x05, 0x12, 0x09] + Array("not found".utf8))
    }

    @Test func missingOrBadGrpcStatusIsUnknown() {
        #expect(GRPCStatus(trailers: []).code == .unknown)
        #expect(GRPCStatus(trailers: [("grpc-status", "x")]).code == .unknown)
        #expect(GRPCStatus(trailers: [("grpc-status", "99")]).code == .unknown)
    }

    @Test func httpStatusMapping() {
        let expected: [Int: GRPCStatus.Code] = [
            400: .internalError, 401: .unauthenticated, 403: .permissionDenied, 404: .unimplemented,
            429: .unavailable, 502: .unavailable, 503: .unavailable, 504: .unavailable, 500: .unknown,
        ]
        for (http, code) in expected { #expect(GRPCStatus.Code(httpStatus: http) == code, "HTTP \(http)") }
    }

    @Test func http2ErrorCodeMapping() {
        #expect(GRPCStatus.Code(http2ErrorCode: 0x8) == .cancelled)
        #expect(GRPCStatus.Code(http2ErrorCode: 0x7) == .unavailable)
        #expect(GRPCStatus.Code(http2ErrorCode: 0xB) == .resourceExhausted)
        #expect(GRPCStatus.Code(http2ErrorCode: 0x2) == .internalError)
    }

    @Test func metadataIsLowerCasedAndFiltered() {
        let result = UpstreamMetadata.validated([
            ("Authorization", "Bearer x"), ("X-Request-Id", "  42 "), ("connection", "close"),
            (":path", "/evil"), ("te", "gzip"), ("bad name", "v"), ("x-inject", "a\r\nb: c"),
            ("grpc-timeout", "1S"), ("trace-bin", "AAEC"),
        ])
        #expect(result.map(\.name) == ["authorization", "x-request-id", "trace-bin"])
        #expect(result.map(\.value) == ["Bearer x", "42", "AAEC"])
    }

    @Test func grpcContentTypes() {
        #expect(UpstreamCallStateMachine.isGRPCContentType("application/grpc"))
        #expect(UpstreamCallStateMachine.isGRPCContentType("application/grpc+proto"))
        #expect(UpstreamCallStateMachine.isGRPCContentType("Application/GRPC;charset=utf-8"))
        #expect(!UpstreamCallStateMachine.isGRPCContentType("application/grpcx"))
        #expect(!UpstreamCallStateMachine.isGRPCContentType("text/html"))
    }
}
