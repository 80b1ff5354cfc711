/// A connect that failed before the backend's HTTP/2 preface (refused, timed out, not resolved,
/// closed or silent after connecting): the call never reached the backend.
struct UpstreamConnectError: Error {
    /// Why, for the call's `UNAVAILABLE` status.
    let reason: String
}
