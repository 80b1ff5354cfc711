public import GRPCCore

/// Counts every call a demo backend receives, by method name, in its ``DemoCallObserver``, so
/// tests can see which of several instances served a request.
public struct CallCountingInterceptor: ServerInterceptor {
    /// Where the counts go.
    public let observer: DemoCallObserver

    /// Creates the interceptor.
    public init(observer: DemoCallObserver) {
        self.observer = observer
    }

    /// Records the call's method, then calls `next`.
    public func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        observer.recordCall(method: context.descriptor.method)
        return try await next(request, context)
    }
}
