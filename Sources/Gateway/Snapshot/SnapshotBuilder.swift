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

    /// Creates a builder.
    public init(config: GatewayConfig, baseDirectory: String) {
        self.config = config
        self.baseDirectory = baseDirectory
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

        let assignment = Self.assignBackends(config: config, pool: pool, problems: &problems)
        for (name, settings) in config.methods where pool.method(named: name) == nil {
            problems.append(
                ConfigProblem(path: settings.yamlPath, message: "no method \"\(name)\" in the descriptor sets")
            )
        }
        let definitions = Self.routeDefinitions(
            config: config,
            pool: pool,
            backendByService: assignment.served,
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
        let plans = compilePlans(table: table, pool: pool, backends: backends, backendByService: assignment.served)
        return GatewaySnapshot(
            config: config,
            baseDirectory: baseDirectory,
            pool: pool,
            routes: table,
            plans: plans,
            backends: backends,
            unservedServices: assignment.unserved,
            listenerTLS: listenerTLS,
            errorTranscoder: ResponseTranscoder(pool: pool, options: Self.codecOptions(config.json))
        )
    }

    /// Reads and merges the descriptor sets of `protos:`, its `.proto` files and folders
    /// compiled by ``ProtoCompiler`` (one protoc run, merged after the sets).
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
        do {
            return try DescriptorPool(serializedSets: sets, fallbackSets: [Self.builtinDescriptorSet])
        } catch {
            problems.append(ConfigProblem(path: "protos", message: error.description))
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
