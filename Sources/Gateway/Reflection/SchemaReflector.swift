import Logging
import Synchronization

/// Keeps the schemas of the backends with `reflection` current on a running server: one task per
/// such backend asks its reflection (``ReflectionClient``, through the backend's live cluster),
/// at start until it answers (with backoff: 250 ms doubling to 30 s), then every
/// `refreshInterval`. A schema that differs from the one serving is built into a new snapshot
/// with the running configuration and swapped in, in turn with reloads (``GatewayServer/reloads``),
/// so requests in flight finish on the snapshot they started with. A failed fetch, or a schema
/// the builder rejects, changes nothing: the last good schema keeps serving, and the problem is
/// logged, counted and reported by `/readyz` while the backend has no schema at all.
final class SchemaReflector: Sendable {
    private let tasks = Mutex<[String: Task<Void, Never>]>([:])
    private let problems = Mutex<[String: String]>([:])
    private let metrics: ReflectionMetrics

    /// The first retry's delay after a failed fetch; each further failure doubles it.
    static let firstRetryDelay: Duration = .milliseconds(250)
    /// The longest delay between retries (never longer than the refresh interval).
    static let maxRetryDelay: Duration = .seconds(30)

    init(metrics: ReflectionMetrics) {
        self.metrics = metrics
    }

    /// Starts a task for every backend of the serving snapshot with `reflection` that has none
    /// (at start and after each reload); tasks of backends that lost it end by themselves.
    func follow(_ snapshot: GatewaySnapshot, of server: GatewayServer) {
        let names = snapshot.config.backends.filter { $0.value.reflection != nil }.keys.sorted()
        tasks.withLock { tasks in
            for name in names where tasks[name] == nil {
                tasks[name] = Task { [self] in await self.run(backend: name, of: server) }
            }
        }
    }

    /// Why backend `name` has no schema from reflection yet, when it has none.
    func problem(of name: String) -> String? {
        problems.withLock { $0[name] }
    }

    /// Stops every task.
    func stop() async {
        let running = tasks.withLock { tasks in
            defer { tasks.removeAll() }
            return Array(tasks.values)
        }
        for task in running { task.cancel() }
        for task in running { await task.value }
    }

    /// One backend's loop: fetch, apply when changed, wait; until the backend loses
    /// `reflection` or the server stops.
    private func run(backend name: String, of server: GatewayServer) async {
        var retryDelay = Self.firstRetryDelay
        while !Task.isCancelled {
            guard let settings = server.snapshot.config.backends[name]?.reflection else { break }
            let interval = Duration.milliseconds(settings.refreshIntervalMilliseconds)
            var wait = interval
            do {
                guard let cluster = await server.installer.cluster(named: name) else { break }
                let schema = try await ReflectionClient(cluster: cluster, backend: name).fetch()
                metrics.fetched(backend: name, success: true)
                if server.snapshot.reflected[name] != schema {
                    try await apply(schema, of: name, to: server)
                }
                problems.withLock { $0[name] = nil }
                retryDelay = Self.firstRetryDelay
            } catch {
                if !(error is CancellationError) { record(error, of: name, on: server) }
                wait = min(retryDelay, interval)
                retryDelay = min(retryDelay * 2, Self.maxRetryDelay)
            }
            try? await Task.sleep(for: wait)
        }
        problems.withLock { $0[name] = nil }
        // A stop() in progress has taken the tasks already; a backend that lost `reflection`
        // leaves room for a new task should a later reload bring it back.
        if !Task.isCancelled { tasks.withLock { $0[name] = nil } }
    }

    /// Builds the serving configuration with `schema` for backend `name` and swaps it in.
    /// - Throws: ``ReflectionError`` (`badAnswer`) with the builder's problems when the schema
    ///   does not build; nothing changes.
    private func apply(_ schema: ReflectedSchema, of name: String, to server: GatewayServer) async throws {
        let outcome = await server.reloads.run { () async -> Result<ReloadSummary, ConfigError> in
            let running = server.snapshot
            var schemas = running.reflected
            schemas[name] = schema
            do throws(ConfigError) {
                let next = try SnapshotBuilder(
                    config: running.config,
                    baseDirectory: running.baseDirectory,
                    reflected: schemas
                ).build()
                await server.install(next)
                return .success(ReloadSummary(from: running, to: next, restartRequired: []))
            } catch {
                return .failure(error)
            }
        }
        switch outcome {
        case .success(let summary):
            server.logger.info(
                "schema from reflection applied",
                metadata: [
                    "backend": "\(name)", "reflection": "\(schema.version)",
                    "services": "\(schema.services.joined(separator: ","))", "files": "\(schema.files.count)",
                    "changes": "\(summary.logDescription)",
                ]
            )
        case .failure(let error):
            throw ReflectionError(.badAnswer, "backend \(name): the schema from reflection does not build: \(error)")
        }
    }

    private func record(_ error: any Error, of name: String, on server: GatewayServer) {
        metrics.fetched(backend: name, success: false)
        let message = "\(error)"
        let changed = problems.withLock { problems in
            defer { problems[name] = message }
            return problems[name] != message
        }
        // Once per new problem: a backend down for an hour is not a log line every 30 seconds.
        if changed {
            let keeps = server.snapshot.reflected[name] != nil
            server.logger.warning(
                keeps ? "reflection refresh failed; the last schema keeps serving" : "reflection failed; retrying",
                metadata: ["backend": "\(name)", "problem": "\(message)"]
            )
        }
    }
}
