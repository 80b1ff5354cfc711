public import ProtoSchema
public import Upstream

/// Everything `Gateway.yaml` says, as plain values. Decoding and validation live in
/// `GatewayConfig+YAML.swift`; turning it into a runnable ``GatewaySnapshot`` lives there too.
///
/// ```yaml
/// listen: 0.0.0.0:8080
/// protos: [Protos/demo.binpb]
/// backends:
///   demo: { endpoints: [127.0.0.1:50051], timeout: 10s }
/// services:
///   demo.user.v1.UserService: demo
///   demo.file.v1.*: demo
/// http:
///   rules:
///     - selector: demo.chat.v1.ChatService.TextChat
///       post: /v1/chat
///       body: "*"
/// json: { emitUnpopulated: false, useProtoNames: false, enumsAsInts: false, rejectUnknownFields: true }
/// headers: { deny: [cookie] }
/// limits: { maxRequestBodyBytes: 4194304 }
/// streaming: { envelope: false, maxMessageBytes: 4194304, bufferBytes: 262144, rawContentType: application/octet-stream }
/// methods:
///   demo.file.v1.FileService.DownLoad: { rawContentType: application/zip }
///   demo.echo.v1.EchoService.Echo: { json: { emitUnpopulated: true } }
/// ```
public struct GatewayConfig: Sendable {
    /// Where the HTTP/1.1 front end listens.
    public var listen: HostPort
    /// Descriptor set files (`protoc --include_imports --descriptor_set_out`), `.proto` files
    /// and folders of `.proto` files (compiled by `protoc` at load: ``ProtoCompiler``), resolved
    /// against the config file's folder. Merged in order.
    public var protos: [String]
    /// `protoPaths:` folders where the `.proto` files of `protos` find their imports (besides
    /// the folder each was named in); `google/api`, `google/rpc` and `google/protobuf` need none.
    public var protoPaths: [String] = []
    /// `protoc:` the compiler for `.proto` entries; nil = `protoc` on `PATH`.
    public var protoc: String?
    /// Named gRPC backends.
    public var backends: [String: Backend]
    /// `package.Service` (or `package.*`) → backend name.
    public var services: [(pattern: String, backend: String)]
    /// `http.rules` in google.api.Service format; a rule replaces the annotation of its selector.
    public var httpRules: [YAMLHttpRule]
    /// `http.autoMapping`: every method of a served service without a binding (annotation or
    /// rule) is reachable as `POST /<package.Service>/<Method>`, the request message as the body.
    public var autoMapping = false
    /// proto3 JSON options.
    public var json: JSONSettings
    /// Which request headers are forwarded as gRPC metadata.
    public var headers: HeaderSettings
    /// Request size limits.
    public var limits: Limits
    /// Streaming options.
    public var streaming: StreamingSettings
    /// Per-method settings, by full method name (`package.Service.Method`).
    public var methods: [String: MethodSettings]
    /// Number of event loops (each owns its upstream connections). Defaults to the core count.
    public var eventLoops: Int?
    /// TLS termination on the listener (`tls: {cert, key}`); nil serves plain HTTP.
    public var tls: ListenerTLS?
    /// gzip of responses for clients that accept it.
    public var compression = CompressionSettings()
    /// The admin listener (`admin: { listen: 127.0.0.1:9901 }`); nil = none. See
    /// `GatewayConfig+Operations.swift`.
    public var admin: AdminSettings?
    /// Who may call which method (`auth:`); empty = everyone.
    public var auth = AuthSettings()
    /// Token-bucket limits per method (`rateLimits:`).
    public var rateLimits: [RateLimitRule] = []
    /// Peers whose `X-Forwarded-For` names the client (`trustedProxies:`), as written.
    public var trustedProxies: [String] = []
    /// The OpenAPI document served on the data listener too (`openapi: { path: /openapi.json }`);
    /// nil = on the admin listener only.
    public var openapi: OpenAPISettings?
    /// Graceful drain on SIGTERM/SIGINT (`shutdown: { gracePeriod: 25s }`).
    public var shutdown = ShutdownSettings()
    /// Reload when the file or a descriptor set it names changes (`watch: true`).
    public var watch = false
    /// The access log and the log format (`logging`).
    public var logging = LoggingSettings()
    /// Whether requests and calls are recorded in the Prometheus metrics (`metrics.enabled`).
    public var metricsEnabled = true
    /// CORS for every route (`cors:`, see `GatewayConfig+CORS.swift`); nil = none.
    public var cors: CORSSettings?

    /// A `host:port` pair (the listener's address).
    public struct HostPort: Hashable, Sendable, CustomStringConvertible {
        /// Host name or IP address.
        public var host: String
        /// TCP port (0 = any free port).
        public var port: Int
        /// Creates a pair.
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
        /// A one-line account, for logs and error bodies.
        public var description: String {
            host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }

    /// A gRPC backend: one or more endpoints serving the same services.
    public struct Backend: Sendable, Equatable {
        /// Endpoints (`host:port` or `unix:<path>`), balanced by each event loop (see ``balancing``).
        public var endpoints: [UpstreamTarget]
        /// Deadline applied to calls that don't carry `Grpc-Timeout`; nil = none.
        public var timeoutMilliseconds: Int64?
        /// How each event loop picks an endpoint for a call.
        public var balancing = Balancing.roundRobin
        /// Passive health: an endpoint whose connects fail this many times in a row is left out.
        public var ejectAfterFailures = 2
        /// How long an endpoint is left out the first time; doubled on each further failure.
        public var ejectionMilliseconds: Int64 = 5_000
        /// The longest an endpoint is left out.
        public var maxEjectionMilliseconds: Int64 = 30_000
        /// Calls in flight to this backend at once, across event loops; more get 503. nil = no limit.
        public var maxConcurrentRequests: Int?
        /// HTTP/2 over TLS towards the backend; nil = cleartext (h2c).
        public var tls: BackendTLS?
        /// Send request messages gzip-compressed (`grpc-encoding: gzip`).
        public var compressRequests = false
        /// Keepalive PING after this long without a byte from the backend; nil = none (the
        /// default, as for gRPC clients: grpc-go servers answer pings more frequent than every 5
        /// minutes, by default, with GOAWAY `too_many_pings`).
        public var keepaliveIntervalMilliseconds: Int64?
        /// How long a keepalive PING may go unanswered before the connection is dropped.
        public var keepaliveTimeoutMilliseconds: Int64 = 10_000
        /// The largest header or trailer block accepted from the backend (RFC 9113 size).
        public var maxResponseMetadataBytes = 16 << 10
        /// Connections with no call for this long are closed; nil = never.
        public var idleTimeoutMilliseconds: Int64? = 300_000
        /// Active health checks with `grpc.health.v1.Health/Check`; nil = passive health only.
        public var healthCheck: HealthCheck?
        /// Resolve endpoints given by host name every this long, each address becoming an
        /// endpoint (`dns:`); nil = connect by name, to whichever address answers first.
        public var dnsRefreshMilliseconds: Int64?
        /// Connections each event loop may open to one endpoint: another opens when every one is
        /// at the backend's `SETTINGS_MAX_CONCURRENT_STREAMS`.
        public var maxConnectionsPerEndpoint = 16
        /// Schemas from the backend's gRPC server reflection (`reflection:`); nil = only `protos:`.
        public var reflection: Reflection?
        /// Retries of this backend's unary calls; nil = none (methods may still set their own).
        public var retry: RetryPolicy?
        /// The retry throttle shared by every retry to this backend.
        public var retryBudget = RetryBudget()

        /// `backends.<name>.healthCheck`.
        public struct HealthCheck: Sendable, Equatable {
            /// Time between checks of each endpoint.
            public var intervalMilliseconds: Int64 = 5_000
            /// A check not answered within this time fails.
            public var timeoutMilliseconds: Int64 = 1_000
            /// Failed checks in a row that take an endpoint out of rotation.
            public var unhealthyThreshold = 2
            /// Passed checks in a row that bring it back.
            public var healthyThreshold = 1
            /// The `service` asked about (`""`: the server as a whole).
            public var service = ""
        }

        /// `backends.<name>.reflection`: `true`, or `{ refreshInterval: 5m }`.
        public struct Reflection: Sendable, Equatable {
            /// How often the schema is asked again once loaded (a failed fetch is retried sooner,
            /// with backoff).
            public var refreshIntervalMilliseconds: Int64 = 300_000

            /// Reflection with the default refresh interval.
            public init() {}
        }

        /// Endpoint choice per call (`round-robin` or `least-outstanding`).
        public typealias Balancing = ClusterConfiguration.Balancing
    }

    /// One `http.rules` entry with the YAML path it came from.
    public struct YAMLHttpRule: Sendable, Equatable {
        /// The decoded rule (`selector` set).
        public var rule: HttpRule
        /// `http.rules[3]`, for error messages.
        public var yamlPath: String
    }

    /// proto3 JSON mapping options.
    public struct JSONSettings: Sendable, Equatable {
        /// Write fields that hold their default value.
        public var emitUnpopulated = false
        /// Write proto field names instead of lowerCamelCase JSON names.
        public var useProtoNames = false
        /// Write enum values as numbers.
        public var enumsAsInts = false
        /// Write 64-bit integers as bare numbers instead of strings.
        public var int64AsNumbers = false
        /// Reject unknown JSON fields with 400 (the default), and unknown query parameters too
        /// unless ``rejectUnknownQueryParameters`` says otherwise.
        public var rejectUnknownFields = true
        /// Reject unknown query parameters with 400; nil follows ``rejectUnknownFields``. `false`
        /// keeps JSON bodies strict while ignoring parameters the gateway does not know (cache
        /// busters, `utm_*` tracking parameters added by links).
        public var rejectUnknownQueryParameters: Bool?

        /// These settings with `overrides` applied.
        public func applying(_ overrides: JSONOverrides) -> JSONSettings {
            var merged = self
            merged.emitUnpopulated = overrides.emitUnpopulated ?? emitUnpopulated
            merged.useProtoNames = overrides.useProtoNames ?? useProtoNames
            merged.enumsAsInts = overrides.enumsAsInts ?? enumsAsInts
            merged.int64AsNumbers = overrides.int64AsNumbers ?? int64AsNumbers
            merged.rejectUnknownFields = overrides.rejectUnknownFields ?? rejectUnknownFields
            merged.rejectUnknownQueryParameters = overrides.rejectUnknownQueryParameters ?? rejectUnknownQueryParameters
            return merged
        }
    }

    /// Header → metadata forwarding policy.
    public struct HeaderSettings: Sendable, Equatable {
        /// When set, only these request headers (lower-cased) are forwarded.
        public var allow: Set<String>?
        /// Request headers never forwarded (lower-cased), on top of hop-by-hop ones.
        public var deny: Set<String> = []
    }

    /// Size limits.
    public struct Limits: Sendable, Equatable {
        /// Largest accepted request body for non-streaming requests, in bytes.
        public var maxRequestBodyBytes = 4 * 1024 * 1024
        /// With no request in progress, a connection whose next request head is not complete
        /// within this time is closed (idle keep-alive, slowloris). 0 = never.
        public var idleTimeoutMilliseconds: Int64 = 60_000
        /// A unary or server-streaming request body must be complete within this time of its
        /// head, or the request gets 408. 0 = never.
        public var requestReadTimeoutMilliseconds: Int64 = 30_000
    }

    /// `compression:` gzip of HTTP responses for clients that send `Accept-Encoding: gzip`.
    public struct CompressionSettings: Sendable, Equatable {
        /// Whether complete JSON and text responses are compressed for such clients.
        public var enabled = true
        /// Smaller bodies are sent as they are (compressing them costs more than it saves).
        public var minBytes = 1024
        /// zlib level, 1 (fastest) to 9 (smallest).
        public var level = 6
    }

    /// Streaming calls: response framing and per-stream buffer bounds.
    public struct StreamingSettings: Sendable, Equatable {
        /// Wrap each streamed message as `{"result": message}` (grpc-gateway compatibility).
        public var envelope = false
        /// Largest single JSON value in a streamed request body, in bytes.
        public var maxMessageBytes = 4 * 1024 * 1024
        /// Request bytes buffered for the backend per stream before Portico stops reading the
        /// client; the same bound applies to responses waiting for a slow client.
        public var bufferBytes = 256 * 1024
        /// Content-Type of raw responses from a `bytes` field (HttpBody carries its own).
        public var rawContentType = "application/octet-stream"
    }

    /// JSON options one method overrides; nil keeps the global `json` value.
    public struct JSONOverrides: Sendable, Equatable {
        /// Overrides `json.emitUnpopulated`.
        public var emitUnpopulated: Bool?
        /// Overrides `json.useProtoNames`.
        public var useProtoNames: Bool?
        /// Overrides `json.enumsAsInts`.
        public var enumsAsInts: Bool?
        /// Overrides `json.int64AsNumbers`.
        public var int64AsNumbers: Bool?
        /// Overrides `json.rejectUnknownFields`.
        public var rejectUnknownFields: Bool?
        /// Overrides `json.rejectUnknownQueryParameters`.
        public var rejectUnknownQueryParameters: Bool?

        /// Whether any option is overridden.
        public var isEmpty: Bool {
            emitUnpopulated == nil && useProtoNames == nil && enumsAsInts == nil && int64AsNumbers == nil
                && rejectUnknownFields == nil && rejectUnknownQueryParameters == nil
        }
    }

    /// Settings for the routes of one gRPC method, overriding the global ones.
    public struct MethodSettings: Sendable, Equatable {
        /// Content-Type of this method's raw `bytes` responses (instead of
        /// `streaming.rawContentType`); `google.api.HttpBody` responses still carry their own.
        public var rawContentType: String?
        /// JSON options for this method's requests and responses.
        public var json = JSONOverrides()
        /// Retries of this (unary) method, replacing its backend's policy.
        public var retry: RetryPolicy?
        /// Deadline of this method's calls without `Grpc-Timeout`, replacing the backend's
        /// `timeout` (and applying to streaming methods too).
        public var timeoutMilliseconds: Int64?
        /// CORS for this method's routes, replacing the top-level `cors`.
        public var cors: CORSSettings?
        /// The YAML path of the entry (`methods.pkg.Service.Method`), for load-time errors.
        public var yamlPath: String
    }

    /// The defaults used for keys a file leaves out.
    public static var defaults: GatewayConfig {
        GatewayConfig(
            listen: HostPort(host: "0.0.0.0", port: 8080),
            protos: [],
            backends: [:],
            services: [],
            httpRules: [],
            json: JSONSettings(),
            headers: HeaderSettings(),
            limits: Limits(),
            streaming: StreamingSettings(),
            methods: [:],
            eventLoops: nil
        )
    }
}
