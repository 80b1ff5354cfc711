public import NIOCore
public import NIOSSL
public import ProtoSchema
public import Routing
public import Transcoding

/// Everything requests read that is decided once: descriptors, the route table and each route's
/// ``RoutePlan``, the backend definitions, the listener's TLS context and the front end's
/// settings. Built and validated by ``SnapshotBuilder`` off the event loops, then only read.
///
/// The running server holds the current snapshot on each event loop; a reload builds a new one
/// and swaps it in, while requests in flight keep the one they started with. A snapshot holds no
/// connection: backends are ``BackendDefinition``s, and the server keeps their live clusters.
/// A class: every request holds it, and sharing one reference costs one retain.
public final class GatewaySnapshot: Sendable {
    /// The configuration the snapshot was built from (plain data).
    public let config: GatewayConfig
    /// The folder relative paths of ``config`` are resolved against.
    public let baseDirectory: String
    /// The merged descriptor pool.
    public let pool: DescriptorPool
    /// Compiled routes.
    public let routes: RouteTable
    /// One plan per route, at the route's ``Route/index``.
    public let plans: [RoutePlan]
    /// Every backend, sorted by name, at its ``BackendDefinition/index``.
    public let backends: [BackendDefinition]
    /// Services that have annotations but no backend, so no routes (reported by `portico check`).
    public let unservedServices: [String]
    /// The listener's TLS context (`tls:`); nil serves plain HTTP.
    public let listenerTLS: NIOSSLContext?
    /// Header → metadata policy.
    public let headerPolicy: HeaderPolicy
    /// protobuf → JSON with the global options: error bodies and their details.
    public let errorTranscoder: ResponseTranscoder
    /// `https` behind the TLS listener, else `http` (`x-forwarded-proto`).
    public let scheme: String
    /// The query parameters credentials travel in (`apiKey: { query: ... }`, a `jwt` provider's
    /// `from: [{ query: ... }]`): left out of route matching, so no route refuses them as
    /// unknown fields.
    let credentialQueryParameters: Set<String>
    /// The document the data listener serves itself (`openapi.path`); nil = none.
    public let servedDocument: ServedDocument?
    /// The schemas from server reflection the snapshot was built with, by backend name.
    public let reflected: [String: ReflectedSchema]
    /// Backends with `reflection` whose schema is not in the snapshot yet (not fetched yet),
    /// sorted: their services have no routes, and names only they could resolve (`http.rules`
    /// selectors, `methods`, `services` entries) wait for them.
    public let reflectionPending: [String]

    init(
        config: GatewayConfig,
        baseDirectory: String,
        pool: DescriptorPool,
        routes: RouteTable,
        plans: [RoutePlan],
        backends: [BackendDefinition],
        unservedServices: [String],
        listenerTLS: NIOSSLContext?,
        errorTranscoder: ResponseTranscoder,
        reflected: [String: ReflectedSchema],
        reflectionPending: [String],
        servedDocument: ServedDocument? = nil
    ) {
        self.config = config
        self.baseDirectory = baseDirectory
        self.pool = pool
        self.routes = routes
        self.plans = plans
        self.backends = backends
        self.unservedServices = unservedServices
        self.listenerTLS = listenerTLS
        self.headerPolicy = HeaderPolicy(allow: config.headers.allow, deny: config.headers.deny)
        self.errorTranscoder = errorTranscoder
        self.scheme = config.tls == nil ? "http" : "https"
        self.credentialQueryParameters = Set(
            config.auth.providers.values.flatMap { provider -> [String] in
                switch provider {
                case .apiKey(let settings):
                    guard case .query(let name) = settings.source else { return [] }
                    return [name]
                case .jwt(let settings):
                    return settings.sources.compactMap { if case .query(let name) = $0 { name } else { nil } }
                }
            }
        )
        self.reflected = reflected
        self.reflectionPending = reflectionPending
        self.servedDocument = servedDocument
    }

    /// This snapshot, serving `document` on the data listener.
    func serving(_ document: ServedDocument) -> GatewaySnapshot {
        GatewaySnapshot(
            config: config,
            baseDirectory: baseDirectory,
            pool: pool,
            routes: routes,
            plans: plans,
            backends: backends,
            unservedServices: unservedServices,
            listenerTLS: listenerTLS,
            errorTranscoder: errorTranscoder,
            reflected: reflected,
            reflectionPending: reflectionPending,
            servedDocument: document
        )
    }

    /// Builds a snapshot from `config` (``SnapshotBuilder/build()``), on the calling thread.
    /// - Throws: ``ConfigError`` listing every problem with its YAML path.
    public convenience init(config: GatewayConfig, baseDirectory: String) throws(ConfigError) {
        let built = try SnapshotBuilder(config: config, baseDirectory: baseDirectory).build()
        self.init(
            config: built.config,
            baseDirectory: built.baseDirectory,
            pool: built.pool,
            routes: built.routes,
            plans: built.plans,
            backends: built.backends,
            unservedServices: built.unservedServices,
            listenerTLS: built.listenerTLS,
            errorTranscoder: built.errorTranscoder,
            reflected: built.reflected,
            reflectionPending: built.reflectionPending,
            servedDocument: built.servedDocument
        )
    }

    /// Reads, parses and builds a snapshot from a `Gateway.yaml` path.
    /// - Throws: ``ConfigError`` with every problem found, titled with the file's path.
    public static func load(configPath: String) throws(ConfigError) -> GatewaySnapshot {
        let loaded = try GatewayConfig.load(path: configPath)
        do {
            return try SnapshotBuilder(config: loaded.config, baseDirectory: loaded.baseDirectory).build()
        } catch {
            throw error.titled(configPath)
        }
    }

    /// A document the data listener answers itself, made when the snapshot is built.
    public struct ServedDocument: Sendable {
        /// The path it is served at.
        public let path: String
        /// Its `Content-Type`.
        public let contentType: String
        /// Its bytes.
        public let body: ByteBuffer
    }

    /// The plan of a matched route.
    @inline(__always)
    public func plan(for route: Route) -> RoutePlan {
        plans[route.index]
    }

    /// The backend definition of `plan`.
    public func backend(of plan: RoutePlan) -> BackendDefinition {
        backends[plan.backend]
    }
}
