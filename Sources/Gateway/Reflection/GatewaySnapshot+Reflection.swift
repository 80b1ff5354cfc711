import Logging
import NIOCore
import NIOPosix
import Upstream

extension GatewaySnapshot {
    /// This snapshot rebuilt with the schema of every backend with `reflection` fetched once,
    /// now, over a cluster of its own (for the commands that do not serve: `portico check
    /// --reflect`, `portico routes --reflect`, `portico openapi --reflect`).
    /// - Throws: ``ConfigError`` with a problem at `backends.<name>.reflection` for each backend
    ///   that could not be asked, or the builder's problems with the fetched schemas.
    public func reflectingOnce() async throws(ConfigError) -> GatewaySnapshot {
        let names = config.backends.filter { $0.value.reflection != nil }.keys.sorted()
        guard !names.isEmpty else { return self }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var schemas: [String: ReflectedSchema] = [:]
        var problems: [ConfigProblem] = []
        for definition in backends where names.contains(definition.name) {
            let cluster = Cluster(
                configuration: definition.cluster,
                eventLoops: [group.next()],
                logger: Logger(label: "portico.reflection")
            )
            cluster.start()
            do {
                schemas[definition.name] = try await ReflectionClient(cluster: cluster, backend: definition.name)
                    .fetch()
            } catch {
                problems.append(ConfigProblem(path: "backends.\(definition.name).reflection", message: error.message))
            }
            await cluster.shutdown()
        }
        try? await group.shutdownGracefully()
        guard problems.isEmpty else { throw ConfigError.invalid(problems) }
        return try SnapshotBuilder(config: config, baseDirectory: baseDirectory, reflected: schemas).build()
    }
}
