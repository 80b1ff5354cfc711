import Foundation

/// What the link between the gateway's host and the backend's host does to each frame
/// (`scripts/weather-link.py` applies it).
struct Weather: Sendable, CustomStringConvertible {
    /// Mean one-way delay, in milliseconds.
    var delayMilliseconds = 0
    /// Each frame's delay is uniform in delay ± this, in milliseconds (reorders frames).
    var jitterMilliseconds = 0
    /// Frames dropped, in percent, each direction.
    var lossPercent = 0.0
    /// Frames sent at once, ahead of the delayed ones, in percent (netem's `reorder`).
    var reorderPercent = 0.0

    /// No delay, no loss: the link as fast as the bridge forwards.
    static let clean = Weather()
    /// Issue 18's weather: 50 ms ± 20 ms each way, 2 % loss, 5 % of frames reordered.
    static let stormy = Weather(delayMilliseconds: 50, jitterMilliseconds: 20, lossPercent: 2, reorderPercent: 5)

    /// The link's `weather` command.
    var command: String {
        "weather delay=\(delayMilliseconds) jitter=\(jitterMilliseconds) loss=\(lossPercent) reorder=\(reorderPercent)"
    }

    var description: String {
        "\(delayMilliseconds) ms ± \(jitterMilliseconds) ms each way, \(lossPercent) % loss, \(reorderPercent) % reordered"
    }
}

/// How a partition cuts the link.
enum PartitionMode: String, Sendable, CaseIterable {
    /// Every frame dropped in both directions, silently: a dead router, a dropped firewall state.
    case blackhole
    /// The link's interface on the gateway's side set down (`ip link set ... down`): no carrier,
    /// so the gateway's host also stops resolving the backend's address.
    case linkDown = "link down"
}

/// Two hosts joined by a link with weather: the root network namespace (the gateway's) and a
/// namespace for the backend, each with one end of a veth pair whose other end sits in a third
/// namespace, the link's, where ``WeatherLink`` forwards frames between them.
///
/// ```
/// root: <id>g 10.237.N.1 ─veth─ <id>a [link ns: weather-link.py] <id>b ─veth─ <id>e 10.237.N.2 :backend ns
/// ```
///
/// Names carry this process's id and a random suffix, so runs never collide; ``with(_:)`` removes
/// everything however the body ends, and removes what crashed runs (dead pids) left behind.
final class ChaosNetwork: Sendable {
    /// The backend's namespace (`ip netns exec` it).
    let backendNamespace: String
    /// The link's namespace.
    let linkNamespace: String
    /// The gateway's address on the link.
    let gatewayAddress: String
    /// The backend's address on the link.
    let backendAddress: String
    /// The bridge that applies the weather.
    let link: WeatherLink
    private let linkInterface: String

    private static let prefix = "portico-chaos-"

    private init(id: String, subnet: Int, link: WeatherLink) {
        self.backendNamespace = "\(Self.prefix)\(getpid())-\(id)-backend"
        self.linkNamespace = "\(Self.prefix)\(getpid())-\(id)-link"
        self.gatewayAddress = "10.237.\(subnet).1"
        self.backendAddress = "10.237.\(subnet).2"
        self.linkInterface = "pw\(id)a"
        self.link = link
    }

    /// Why chaos tests cannot run here, or nil when they can: they need root, iproute2's `ip`,
    /// network namespaces and veth pairs the kernel lets us create, and python3 for the link.
    static let unavailableReason: String? = {
        guard getuid() == 0 else { return "chaos tests need root (network namespaces and veth pairs)" }
        guard let ip = ChaosShell.path(of: "ip") else {
            return "chaos tests need iproute2's ip (apt-get install iproute2)"
        }
        guard ChaosShell.path(of: "python3") != nil else { return "chaos tests need python3 (the link's bridge)" }
        let probe = "\(ChaosNetwork.prefix)\(getpid())-probe"
        defer { _ = ChaosShell.run(ip, ["netns", "del", probe]) }
        let steps: [[String]] = [
            ["netns", "add", probe],
            ["-n", probe, "link", "add", "pwprobe0", "type", "veth", "peer", "name", "pwprobe1", "gso_max_segs", "1"],
        ]
        for step in steps {
            let result = ChaosShell.run(ip, step)
            if result.status != 0 {
                return "network namespaces are not permitted here (ip \(step.joined(separator: " ")): \(result.output))"
            }
        }
        return nil
    }()

    /// Builds the network with a clean link, runs `body`, and stops the bridge and removes the
    /// namespaces (and with them the veth pairs), whether `body` returns or throws.
    static func with<T>(_ body: (ChaosNetwork) async throws -> T) async throws -> T {
        sweepDeadRuns()
        let id = String(UInt32.random(in: 0..<(1 << 24)), radix: 16).leftPadded(to: 6)
        let subnet = try freeSubnet()
        var network: ChaosNetwork?
        let linkNamespace = "\(prefix)\(getpid())-\(id)-link"
        let backendNamespace = "\(prefix)\(getpid())-\(id)-backend"
        defer {
            network?.link.stop()
            remove(namespaces: [backendNamespace, linkNamespace])
        }
        try build(id: id, subnet: subnet, link: linkNamespace, backend: backendNamespace)
        let link = try WeatherLink.start(namespace: linkNamespace, interfaces: ("pw\(id)a", "pw\(id)b"))
        network = ChaosNetwork(id: id, subnet: subnet, link: link)
        return try await body(network!)
    }

    /// Partitions the link.
    func partition(_ mode: PartitionMode) throws {
        switch mode {
        case .blackhole: try link.send("partition")
        case .linkDown: try ChaosShell.ip(["-n", linkNamespace, "link", "set", linkInterface, "down"])
        }
    }

    /// Heals a partition made by ``partition(_:)`` in `mode`.
    func heal(_ mode: PartitionMode) throws {
        switch mode {
        case .blackhole: try link.send("heal")
        case .linkDown: try ChaosShell.ip(["-n", linkNamespace, "link", "set", linkInterface, "up"])
        }
    }

    private static func build(id: String, subnet: Int, link: String, backend: String) throws {
        let (gateway, linkA, linkB, backendEnd) = ("pw\(id)g", "pw\(id)a", "pw\(id)b", "pw\(id)e")
        // gso_max_segs 1: every frame the hosts send is one packet, so the bridge can forward
        // (and drop) packets, not 64 KiB super-frames the other interface would refuse.
        let steps: [[String]] = [
            ["netns", "add", link],
            ["netns", "add", backend],
            ["link", "add", gateway, "gso_max_segs", "1", "type", "veth", "peer", "name", linkA, "netns", link],
            ["-n", link, "link", "add", linkB, "type", "veth", "peer", "name", backendEnd, "netns", backend],
            ["-n", backend, "link", "set", backendEnd, "gso_max_segs", "1"],
            ["addr", "add", "10.237.\(subnet).1/24", "dev", gateway],
            ["-n", backend, "addr", "add", "10.237.\(subnet).2/24", "dev", backendEnd],
            ["link", "set", gateway, "up"],
            ["-n", backend, "link", "set", backendEnd, "up"],
            ["-n", backend, "link", "set", "lo", "up"],
            ["-n", link, "link", "set", linkA, "up", "promisc", "on"],
            ["-n", link, "link", "set", linkB, "up", "promisc", "on"],
        ]
        for step in steps { try ChaosShell.ip(step) }
    }

    /// A /24 of 10.237.0.0/16 no interface of this host uses.
    private static func freeSubnet() throws -> Int {
        let used = ChaosShell.run(ChaosShell.path(of: "ip") ?? "ip", ["-4", "-o", "addr", "show"]).output
        for _ in 0..<50 {
            let subnet = Int.random(in: 1...254)
            if !used.contains("10.237.\(subnet).") { return subnet }
        }
        throw TestFailure("no free 10.237.N.0/24 subnet")
    }

    /// Kills what runs in `namespaces`, then deletes them; the veth pairs go with them (a veth's
    /// peer in the root namespace is deleted with it).
    private static func remove(namespaces: [String]) {
        guard let ip = ChaosShell.path(of: "ip") else { return }
        for namespace in namespaces {
            let pids = ChaosShell.run(ip, ["netns", "pids", namespace]).output.split(separator: "\n")
            for pid in pids.compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
        }
        for namespace in namespaces { _ = ChaosShell.run(ip, ["netns", "del", namespace]) }
    }

    /// Removes the namespaces of chaos runs whose process is gone (a crashed or killed run).
    private static func sweepDeadRuns() {
        guard let ip = ChaosShell.path(of: "ip") else { return }
        let names = ChaosShell.run(ip, ["netns", "list"]).output.split(separator: "\n").compactMap {
            $0.split(separator: " ").first.map(String.init)
        }
        let stale = names.filter { name in
            guard name.hasPrefix(prefix), let pid = Int32(name.dropFirst(prefix.count).prefix { $0.isNumber }) else {
                return false
            }
            return kill(pid, 0) != 0 && errno == ESRCH
        }
        remove(namespaces: stale)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
