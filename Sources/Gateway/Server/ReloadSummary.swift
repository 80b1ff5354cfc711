import Routing

/// What a reload changed: routes and backends added and removed, backends changed (new
/// cluster, new connections) or kept (same cluster, same connections), and the keys the file
/// changed that only a restart applies (`listen`, `admin`, `eventLoops`).
public struct ReloadSummary: Sendable {
    /// Routes new in this configuration (`GET /v1/users/{id} -> demo.user.v1.UserService/GetUser`).
    public var routesAdded: [String]
    /// Routes no longer served.
    public var routesRemoved: [String]
    /// Backends new in this configuration.
    public var backendsAdded: [String]
    /// Backends no longer configured (their clusters drain and close).
    public var backendsRemoved: [String]
    /// Backends whose settings changed (a new cluster; the old one drains and closes).
    public var backendsChanged: [String]
    /// Backends that kept their cluster and connections.
    public var backendsKept: [String]
    /// Keys the file changed that are not applied until a restart.
    public var restartRequired: [String]
    /// The snapshot now serving.
    public var snapshot: GatewaySnapshot

    /// The differences between `old` (serving until now) and `new`.
    init(from old: GatewaySnapshot, to new: GatewaySnapshot, restartRequired: [String]) {
        let oldRoutes = Set(old.plans.map(Self.routeKey))
        let newRoutes = Set(new.plans.map(Self.routeKey))
        routesAdded = newRoutes.subtracting(oldRoutes).sorted()
        routesRemoved = oldRoutes.subtracting(newRoutes).sorted()
        let oldBackends = Dictionary(uniqueKeysWithValues: old.backends.map { ($0.name, $0) })
        backendsAdded = []
        backendsChanged = []
        backendsKept = []
        for backend in new.backends {
            guard let previous = oldBackends[backend.name] else {
                backendsAdded.append(backend.name)
                continue
            }
            if previous.isSameBackend(as: backend) {
                backendsKept.append(backend.name)
            } else {
                backendsChanged.append(backend.name)
            }
        }
        let newNames = Set(new.backends.map(\.name))
        backendsRemoved = old.backends.map(\.name).filter { !newNames.contains($0) }
        self.restartRequired = restartRequired
        self.snapshot = new
    }

    /// How a route is named in a summary.
    private static func routeKey(_ plan: RoutePlan) -> String {
        "\(plan.route.verb) \(plan.route.pathTemplate) -> \(plan.labels.rpcMethod)"
    }

    /// A one-line account for logs.
    public var logDescription: String {
        var parts = [
            "routes +\(routesAdded.count) -\(routesRemoved.count)",
            "backends +\(backendsAdded.count) -\(backendsRemoved.count) ~\(backendsChanged.count) =\(backendsKept.count)",
        ]
        if !restartRequired.isEmpty { parts.append("restart required for \(restartRequired.joined(separator: ", "))") }
        return parts.joined(separator: "; ")
    }
}
