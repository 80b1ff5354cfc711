import NIOHTTP1

/// `POST /reload`: reload the configuration file now.
extension AdminEndpoints {
    /// `200` with what changed:
    /// `{"status":"reloaded","routes":{"added":[…],"removed":[…]},"backends":{"added","removed","changed","kept"},"restart_required":[…]}`;
    /// or `400` with every problem, as `portico check` prints them and with the old configuration
    /// still serving: `{"status":"rejected","message":"…","problems":[{"path":"backends.x.endpoints[0]","message":"…","line":"5:20"}]}`.
    /// A server not started from a file (``GatewayServer/reloader`` is nil) answers `409`.
    func reload() async -> AdminResponse {
        guard let reloader = server.reloader else {
            return .json(
                .conflict,
                .object([("status", "rejected"), ("message", "the server was not started from a configuration file")])
            )
        }
        do {
            let summary = try await reloader.reload(trigger: "admin")
            return .json(.ok, Self.json(summary))
        } catch {
            return .json(.badRequest, Self.json(error))
        }
    }

    /// A reload's summary as JSON.
    static func json(_ summary: ReloadSummary) -> AdminJSON {
        .object([
            ("status", "reloaded"),
            (
                "routes",
                .object([("added", .strings(summary.routesAdded)), ("removed", .strings(summary.routesRemoved))])
            ),
            (
                "backends",
                .object([
                    ("added", .strings(summary.backendsAdded)),
                    ("removed", .strings(summary.backendsRemoved)),
                    ("changed", .strings(summary.backendsChanged)),
                    ("kept", .strings(summary.backendsKept)),
                ])
            ),
            ("restart_required", .strings(summary.restartRequired)),
        ])
    }

    /// A rejected configuration as JSON: every problem with its YAML path.
    static func json(_ error: ConfigError) -> AdminJSON {
        var problems = error.problems.map { problem -> AdminJSON in
            var members: [(String, AdminJSON)] = [
                ("path", .string(problem.path)), ("message", .string(problem.message)),
            ]
            if let location = problem.location { members.append(("line", .string(location))) }
            return .object(members)
        }
        if problems.isEmpty {
            // An unreadable file has no YAML path: the document itself.
            let message = error.cause.map { "\(error.message): \($0)" } ?? error.message
            problems = [.object([("path", ""), ("message", .string(message))])]
        }
        return .object([("status", "rejected"), ("message", .string(error.message)), ("problems", .array(problems))])
    }
}
