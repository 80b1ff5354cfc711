import Synchronization

/// Runs a server's reloads one at a time, in the order they were asked for: a watched file
/// change, a SIGHUP and a `POST /reload` arriving together each read the file, build and swap
/// in turn, so each summary compares against the snapshot the one before installed.
final class ReloadQueue: Sendable {
    /// The reload that runs last, or nil when none was asked for yet.
    private let tail = Mutex<Task<Void, Never>?>(nil)

    /// Runs `body` once every reload asked for before it has ended, and returns its result.
    func run<Success: Sendable, Failure: Error>(
        _ body: @escaping @Sendable () async -> Result<Success, Failure>
    ) async -> Result<Success, Failure> {
        let task = tail.withLock { tail in
            let previous = tail
            let task = Task {
                await previous?.value
                return await body()
            }
            tail = Task { _ = await task.value }
            return task
        }
        return await task.value
    }
}
