import Foundation
import NIOCore
import ProtoSchema
import Routing
import Transcoding
import Upstream

/// Turns a ``GatewayConfig`` (plain data) and the descriptor sets it names into a
/// ``GatewaySnapshot``: descriptors loaded and merged, every route validated and compiled into its
/// ``RoutePlan``, every backend into a ``BackendDefinition`` with its TLS context, the listener's
/// TLS context built. Every problem is reported at once, with its YAML path.
///
/// Building reads files and does real work: run it off the event loops (the server does, for a
/// reload); `portico check` runs it and prints the result.
///
/// ```swift
/// let loaded = try GatewayConfig.load(path: "Gateway.yaml")
/// let snapshot = try SnapshotBuilder(config: loaded.config, baseDirectory: loaded.baseDirectory).build()
/// ```
public struct SnapshotBuilder: Sendable {
    /// What to build.
    public let config: GatewayConfig
    /// The folder relative paths are resolved against (the config file's).
    public let baseDirectory: String
    /// Schemas fetched by server reflection, by backend name (those of backends without
    /// `reflection` in ``config`` are ignored).
    public let reflected: [String: ReflectedSchema]

    /// Creates a builder.
    public init(config: GatewayConfig, baseDirectory: String, reflected: [String: ReflectedSchema] = [:]) {
        self.config = config
        self.baseDirectory = baseDirectory
        self.reflected = reflected.filter { config.backends[$0.key]?.reflection != nil }
    }

    /// Backends with `reflection` whose schema is not here yet, sorted.
    var reflectionPending: [String] {
        config.backends.filter { $0.value.reflection != nil && reflected[$0.key] == nil }.keys.sorted()
    }

    /// google.rpc's error types, added to the loaded sets when they lack them so that backend
    /// error details (`grpc-status-details-bin`) render whatever descriptors a user ships.
    static let builtinDescriptorSet: [UInt8] = Array(
        Data(base64Encoded: builtinDescriptorSetBase64, options: .ignoreUnknownCharacters) ?? Data()
    )

    /// Builds the snapshot.
    /// - Throws: ``ConfigError`` listing every problem with its YAML path.
    public func build() throws(ConfigError) -> GatewaySnapshot {
        var problems: [ConfigProblem] = []
        let listenerTLS = listenerTLSContext(problems: &problems)
        var backendTLS: [String: UpstreamTLS] = [:]
        for (name, backend) in config.backends.sorted(by: { $0.key < $1.key }) {
            guard let tls = backend.tls else { continue }
            backendTLS[name] = upstreamTLS(tls, problems: &problems)
        }
        let pool = loadDescriptors(problems: &problems)
        guard problems.isEmpty, let pool else { throw ConfigError.invalid(problems) }

        let assignment = assignBackends(pool: pool, problems: &problems)
        // A name only a schema still to come can resolve waits for it.
        let awaitingReflection = !reflectionPending.isEmpty
        for (name, settings) in config.methods where pool.method(named: name) == nil && !awaitingReflection {
            problems.append(
                ConfigProblem(path: settings.yamlPath, message: "no method \"\(name)\" in the descriptor sets")
            )
        }
        let definitions = Self.routeDefinitions(
            config: config,
            pool: pool,
            backendByService: assignment.served,
            awaitingReflection: awaitingReflection,
            problems: &problems
        )
        var table: RouteTable?
        do {
            table = try RouteTable(definitions: definitions, pool: pool)
        } catch {
            for problem in error.problems {
                let isYAML = problem.source.hasPrefix("http.rules")
                problems.append(
                    ConfigProblem(
                        path: isYAML ? problem.source : "protos",
                        message: isYAML ? problem.message : "\(problem.source): \(problem.message)"
                    )
                )
            }
        }
        let admissionByMethod = table.map { admissions(for: $0.routes.map(\.method), problems: &problems) } ?? [:]
        guard problems.isEmpty, let table else { throw ConfigError.invalid(problems) }

        let backends = config.backends.keys.sorted().enumerated().map { index, name in
            BackendDefinition(
                name: name,
                index: index,
                settings: config.backends[name]!,
                streaming: config.streaming,
                tls: backendTLS[name],
                tlsFiles: tlsFileContents(config.backends[name]!.tls)
            )
        }
        let plans = compilePlans(
            table: table,
            pool: pool,
            backends: backends,
            backendByService: assignment.served,
            admissions: admissionByMethod
        )
        let snapshot = GatewaySnapshot(
            config: config,
            baseDirectory: baseDirectory,
            pool: pool,
            routes: table,
            plans: plans,
            backends: backends,
            unservedServices: assignment.unserved,
            listenerTLS: listenerTLS,
            errorTranscoder: ResponseTranscoder(pool: pool, options: Self.codecOptions(config.json)),
            reflected: reflected,
            reflectionPending: reflectionPending
        )
        guard let openapi = config.openapi else { return snapshot }
        // The document is answered only where no route matches (the lookup's miss path).
        if case .notFound = (try? table.lookup(method: "GET", path: openapi.path[...], query: nil)) ?? .notFound {
            let body = ByteBuffer(string: OpenAPIDocument.jsonText(of: snapshot))
            return snapshot.serving(.init(path: openapi.path, contentType: "application/json", body: body))
        }
        throw ConfigError.invalid([
            ConfigProblem(path: "openapi.path", message: "\(openapi.path) is a route's path; choose another")
        ])
    }

    /// Reads and merges the descriptor sets of `protos:`, its `.proto` files and folders
    /// compiled by ``ProtoCompiler`` (one protoc run, merged after the sets), and the schemas
    /// from reflection.
    private func loadDescriptors(problems: inout [ConfigProblem]) -> DescriptorPool? {
        var sets: [[UInt8]] = []
        var sources: [ProtoCompiler.Entry] = []
        for (i, path) in config.protos.enumerated() {
            if ProtoCompiler.isSource(resolve(path)) {
                sources.append(ProtoCompiler.Entry(index: i, path: resolve(path)))
            } else if let data = FileManager.default.contents(atPath: resolve(path)) {
                sets.append([UInt8](data))
            } else {
                problems.append(
                    ConfigProblem(path: "protos[\(i)]", message: "cannot read descriptor set \(resolve(path))")
                )
            }
        }
        if !sources.isEmpty {
            // A bare name (`protoc: protoc-25`) is looked up on PATH, a path against this file's folder.
            let protoc = config.protoc.map { $0.contains("/") ? resolve($0) : $0 }
            let compiler = ProtoCompiler(protoc: protoc, importPaths: config.protoPaths.map(resolve))
            if let compiled = compiler.compile(sources, problems: &problems) { sets.append(compiled) }
        }
        guard problems.isEmpty else { return nil }
        let fromReflection = reflected.sorted { $0.key < $1.key }
        do {
            return try DescriptorPool(
                serializedSets: sets + fromReflection.map(\.value.descriptorSet),
                fallbackSets: [Self.builtinDescriptorSet]
            )
        } catch {
            // Say whose schema does not fit: the first set that fails when added in turn.
            var accepted = sets
            var culprit = "protos"
            for (name, schema) in [("protos", nil)] + fromReflection.map({ ($0.key, Optional($0.value)) }) {
                if let schema { accepted.append(schema.descriptorSet) }
                if (try? DescriptorPool(serializedSets: accepted, fallbackSets: [Self.builtinDescriptorSet])) == nil {
                    culprit = schema == nil ? "protos" : "backends.\(name).reflection"
                    break
                }
            }
            problems.append(ConfigProblem(path: culprit, message: error.description))
            return nil
        }
    }

    /// The codec options for JSON settings.
    static func codecOptions(_ json: GatewayConfig.JSONSettings) -> JSONCodecOptions {
        JSONCodecOptions(
            emitUnpopulated: json.emitUnpopulated,
            useProtoNames: json.useProtoNames,
            enumsAsInts: json.enumsAsInts,
            ignoreUnknownFields: !json.rejectUnknownFields,
            int64AsNumbers: json.int64AsNumbers
        )
    }
}
