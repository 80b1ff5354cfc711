import NIOHTTP1

extension GatewayHarness {
    /// `connections` keep-alive clients at once, each sending `requestsPerConnection` requests
    /// in turn, GET `/v1/users/1` and POST `/v1/echo` alternating: the load the snapshot-swap
    /// and reload tests run while they change the configuration.
    /// - Returns: Every response that was not a 200, as `status body`.
    func sendMixedLoad(connections: Int = 50, requestsPerConnection: Int = 200) async throws -> [String] {
        try await withThrowingTaskGroup(of: [String].self) { group in
            for connection in 0..<connections {
                group.addTask {
                    let client = try await self.client()
                    var failures: [String] = []
                    for request in 0..<requestsPerConnection {
                        let response =
                            (connection + request) % 2 == 0
                            ? try await client.send(.GET, "/v1/users/1")
                            : try await client.send(.POST, "/v1/echo", body: "{\"fInt32\":\(request)}")
                        if response.status != 200 { failures.append("\(response.status) \(response.text)") }
                    }
                    await client.close()
                    return failures
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
    }
}
