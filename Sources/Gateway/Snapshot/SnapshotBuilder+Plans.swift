import NIOCore
import ProtoSchema
import Routing
import Transcoding

/// Compiling each route into its ``RoutePlan``: every per-method setting (`methods.<name>`) and
/// per-backend setting a request needs is resolved here, once.
extension SnapshotBuilder {
    /// One plan per route of `table`, in route order.
    func compilePlans(
        table: RouteTable,
        pool: DescriptorPool,
        backends: [BackendDefinition],
        backendByService: [String: String],
        admissions: [String: RouteAdmission]
    ) -> [RoutePlan] {
        // Transcoders are shared by every route with the same options.
        var transcoders: [JSONCodecOptions: (RequestTranscoder, ResponseTranscoder)] = [:]
        let backendByName = Dictionary(uniqueKeysWithValues: backends.map { ($0.name, $0) })
        // One policy per `cors:` entry (the global one, or a method's own), shared by its routes.
        var corsPolicies: [String: CORSPolicy] = [:]
        func corsPolicy(_ settings: GatewayConfig.CORSSettings?) -> CORSPolicy? {
            guard let settings else { return nil }
            if let made = corsPolicies[settings.yamlPath] { return made }
            let made = CORSPolicy(settings)
            corsPolicies[settings.yamlPath] = made
            return made
        }
        return table.routes.map { route in
            let method = route.method
            let settings = config.methods[method.fullName]
            let json = settings.map { config.json.applying($0.json) } ?? config.json
            let options = Self.codecOptions(json)
            let (requestTranscoder, responseTranscoder) =
                transcoders[options]
                ?? {
                    let made = (
                        RequestTranscoder(pool: pool, options: options),
                        ResponseTranscoder(pool: pool, options: options)
                    )
                    transcoders[options] = made
                    return made
                }()
            // Routes exist only for served services (see routeDefinitions).
            let backend = backendByName[backendByService[method.serviceFullName]!]!
            let defaultTimeout: TimeAmount? =
                settings?.timeoutMilliseconds.map { .milliseconds($0) }
                ?? (method.kind == .unary ? backend.unaryTimeout : nil)
            return RoutePlan(
                route: route,
                backend: backend,
                request: RequestPlan(
                    input: method.input,
                    body: RequestBodyForm(route: route, pool: pool),
                    transcoder: requestTranscoder,
                    impliedUpdateMask: Self.impliedUpdateMask(route: route, pool: pool)
                ),
                response: ResponseBodyWriter(
                    route: route,
                    transcoder: responseTranscoder,
                    rawContentType: settings?.rawContentType ?? config.streaming.rawContentType
                ),
                defaultTimeout: defaultTimeout,
                retry: retryPolicy(for: method, backend: backend),
                cors: corsPolicy(settings?.cors ?? config.cors),
                admission: admissions[method.fullName]
            )
        }
    }

    /// The retry policy of a unary method: its own `retry`, else its backend's; nil when it would
    /// never retry.
    private func retryPolicy(for method: MethodDescriptor, backend: BackendDefinition) -> GatewayConfig.RetryPolicy? {
        guard method.kind == .unary,
            let policy = config.methods[method.fullName]?.retry ?? backend.settings.retry,
            policy.maxAttempts > 1, !policy.codes.isEmpty
        else { return nil }
        return policy
    }

    /// The `update_mask` a PATCH route's body implies (grpc-gateway's `allow_patch_feature`): a
    /// `PATCH` rule whose `body` names a singular message field, on a request message with a
    /// singular `google.protobuf.FieldMask update_mask`. Whether the URL sets the mask itself is
    /// decided per request.
    static func impliedUpdateMask(route: Route, pool: DescriptorPool) -> (field: FieldDescriptor, bodyType: MessageID)?
    {
        guard route.verb == "PATCH", case .field(let bodyField) = route.body, !bodyField.isRepeated,
            case .message(let bodyType) = bodyField.type,
            let mask = pool[route.method.input].field(named: "update_mask"), !mask.isRepeated,
            case .message(let maskType) = mask.type, pool[maskType].wellKnownType == .fieldMask
        else { return nil }
        return (mask, bodyType)
    }
}
