public import GRPCCore

/// The tutorial's app-key check: a call that carries `appid` or `appkey` metadata must carry
/// both, with the expected values, or it fails `UNAUTHENTICATED` before reaching the service.
/// Calls that carry neither header pass, so plain clients need no credentials.
public struct AuthInterceptor: ServerInterceptor {
    /// The accepted `appid`.
    public var appID: String
    /// The accepted `appkey`.
    public var appKey: String

    /// Creates the interceptor.
    /// - Parameters:
    ///   - appID: The accepted `appid` (the tutorial's `itxs`).
    ///   - appKey: The accepted `appkey` (the tutorial's `11223344`).
    public init(appID: String = "itxs", appKey: String = "11223344") {
        self.appID = appID
        self.appKey = appKey
    }

    /// Rejects the call when its credentials are present but wrong; otherwise calls `next`.
    public func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        guard self.isAuthorized(request.metadata) else {
            return StreamingServerResponse(error: RPCError(code: .unauthenticated, message: "invalid appid/appkey"))
        }
        return try await next(request, context)
    }

    /// Whether `metadata` passes the check.
    /// - Parameter metadata: The request metadata.
    /// - Returns: `true` when neither header is present, or both are present with only the
    ///   expected values.
    public func isAuthorized(_ metadata: Metadata) -> Bool {
        let ids = metadata[stringValues: "appid"].map { $0 }
        let keys = metadata[stringValues: "appkey"].map { $0 }
        if ids.isEmpty && keys.isEmpty {
            return true
        }
        // A repeated header must not smuggle a wrong value next to the right one.
        return !ids.isEmpty && !keys.isEmpty
            && ids.allSatisfy { $0 == self.appID }
            && keys.allSatisfy { $0 == self.appKey }
    }
}
