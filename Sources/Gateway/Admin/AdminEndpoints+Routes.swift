import NIOHTTP1

/// `GET /routes`: the live route table.
extension AdminEndpoints {
    /// A JSON array, one object per route of the snapshot new requests use:
    /// `{"verb","template","grpc_method","backend","body","response_body","source"}`.
    func routes() -> AdminResponse {
        .json(.ok, .array(RouteListing.rows(of: server.snapshot).map(Self.json)))
    }

    /// One route as JSON.
    static func json(_ row: RouteListing) -> AdminJSON {
        .object([
            ("verb", .string(row.verb)),
            ("template", .string(row.template)),
            ("grpc_method", .string(row.grpcMethod)),
            ("backend", .string(row.backend)),
            ("body", .string(row.body)),
            ("response_body", .string(row.responseBody)),
            ("source", .string(row.source.rawValue)),
        ])
    }
}
