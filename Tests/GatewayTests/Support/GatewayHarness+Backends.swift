import DemoServices
import Foundation
import NIOConcurrencyHelpers

extension GatewayHarness {
    /// The demo backends of one harness (and the relay in front of backend 0): each started
    /// server is recorded before the next one starts, so ``stopAll()`` stops exactly what runs.
    final class Backends: Sendable {
        /// The files directory every backend serves.
        let filesDirectory: String
        /// The bind address of each backend (`unix:<path>` for a unix socket).
        let hosts: [String]
        /// One observer per backend, kept across restarts.
        let observers: [DemoCallObserver]
        /// One health status per backend, kept across restarts.
        let healths: [DemoHealthStatus]
        private let template: DemoBackendOptions
        private let state = NIOLockedValueBox<(servers: [DemoBackendServer], relay: HTTP2SniffingRelay?)>(([], nil))

        /// Prepares `hosts.count` backends started from `template` (bind address, port, files
        /// directory, observer and health are filled in per backend); creates the files directory.
        init(hosts: [String], template: DemoBackendOptions) throws {
            self.filesDirectory = NSTemporaryDirectory() + "portico-test-\(UUID().uuidString)"
            self.hosts = hosts
            self.observers = hosts.map { _ in DemoCallObserver() }
            self.healths = hosts.map { _ in DemoHealthStatus() }
            self.template = template
            try FileManager.default.createDirectory(atPath: filesDirectory, withIntermediateDirectories: true)
        }

        /// The current server of each backend.
        var servers: [DemoBackendServer] { state.withLockedValue { $0.servers } }
        /// The port each backend is bound to.
        var ports: [Int] { servers.map(\.port) }
        /// The relay in front of backend 0, if started.
        var relay: HTTP2SniffingRelay? { state.withLockedValue { $0.relay } }

        /// Starts every backend, then the relay when asked for.
        /// - Returns: The ports the gateway should use: each backend's, the relay's for backend 0.
        func start(sharedPort: Bool, throughRelay: Bool) async throws -> [Int] {
            for index in hosts.indices {
                let port = sharedPort && index > 0 ? ports[0] : 0
                let server = try await DemoBackendServer.start(options(index, port: port))
                state.withLockedValue { $0.servers.append(server) }
            }
            var configPorts = ports
            if throughRelay {
                let relay = try await HTTP2SniffingRelay.start(backendPort: configPorts[0])
                state.withLockedValue { $0.relay = relay }
                configPorts[0] = relay.port
            }
            return configPorts
        }

        /// Stops backend `index` (stopping a stopped server again is harmless).
        func stop(_ index: Int) async {
            await servers[index].stop()
        }

        /// Starts backend `index` again where it was bound before.
        func restart(_ index: Int) async throws {
            let server = try await DemoBackendServer.start(options(index, port: ports[index]))
            state.withLockedValue { $0.servers[index] = server }
        }

        /// Stops every backend in order, then the relay.
        func stopAll() async {
            for server in servers { await server.stop() }
            await relay?.stop()
        }

        /// Removes the files directory.
        func removeFiles() {
            try? FileManager.default.removeItem(atPath: filesDirectory)
        }

        private func options(_ index: Int, port: Int) -> DemoBackendOptions {
            var options = template
            options.filesDirectory = filesDirectory
            options.observer = observers[index]
            options.health = healths[index]
            if hosts[index].hasPrefix("unix:") {
                options.unixSocketPath = String(hosts[index].dropFirst("unix:".count))
            } else {
                options.host = hosts[index]
                options.port = port
            }
            return options
        }
    }
}
