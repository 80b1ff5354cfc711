import Foundation
import Testing
import Yams

/// `deploy/kubernetes`: kustomize builds `base` and `overlays/demo`, kubernetes-validate accepts
/// every object in strict mode, and the objects say what the issue asks of them (probes on the
/// admin port, the restricted security profile, a drain inside the grace period, a ConfigMap
/// that `portico check` accepts).
@Suite("Kubernetes manifests", .serialized)
struct KubernetesManifestTests {
    static let folders = ["base", "overlays/demo"]

    @Test(arguments: folders)
    func kustomizeBuildsAndKubernetesValidateAcceptsEveryObjectStrictly(folder: String) async throws {
        let build = try await KubernetesBuild.build(folder)
        let file = NSTemporaryDirectory() + "portico-k8s-\(UUID().uuidString).yaml"
        try build.yaml.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try await TestTool.run("kubernetes-validate", ["--strict", file])
        #expect(result.status == 0, "\(result.text)\(result.stderr)")
        let passed = result.text.split(separator: "\n").filter { $0.contains(" passed for resource ") }
        #expect(passed.count == build.objects.count, "\(result.text)")
        let kinds = Set(build.objects.compactMap { $0["kind"].string })
        #expect(
            kinds.isSuperset(of: [
                "ConfigMap", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget",
            ])
        )
    }

    /// Readiness `/readyz` and liveness `/healthz` on the port the ConfigMap's `admin.listen`
    /// binds; the scrape annotations name the same port.
    @Test(arguments: folders)
    func probesAndScrapingPointAtTheAdminListener(folder: String) async throws {
        let build = try await KubernetesBuild.build(folder)
        let adminPort = try Self.adminPort(of: build)
        let deployment = try build.object("Deployment", "portico")
        let container = deployment["spec"]["template"]["spec"]["containers"][0]
        let ports = Dictionary(
            uniqueKeysWithValues: container["ports"].array.map { ($0["name"].string ?? "", $0["containerPort"].int) }
        )
        #expect(ports["admin"] == adminPort)
        #expect(ports["http"] == 8080)
        for (probe, path) in [("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")] {
            let get = container[probe]["httpGet"]
            #expect(get["path"].string == path, "\(probe)")
            let port = get["port"].int ?? get["port"].string.flatMap { ports[$0] ?? nil }
            #expect(port == adminPort, "\(probe) probes port \(get["port"])")
        }
        let annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        #expect(annotations["prometheus.io/scrape"].string == "true")
        #expect(annotations["prometheus.io/port"].string == String(adminPort))
        #expect(annotations["prometheus.io/path"].string == "/metrics")
        #expect(container["args"].strings == ["serve", "--config", "/etc/portico/Gateway.yaml"])
        let mount = container["volumeMounts"].array.first { $0["mountPath"].string == "/etc/portico" }
        #expect(mount?["readOnly"].bool == true)
        #expect(mount?["subPath"].value == nil, "a subPath mount never sees ConfigMap updates")
    }

    /// Every pod meets the Pod Security "restricted" profile, with a read-only root and no
    /// service-account token.
    @Test(arguments: folders)
    func everyPodIsRestricted(folder: String) async throws {
        let build = try await KubernetesBuild.build(folder)
        #expect(!build.podSpecs.isEmpty)
        let allowedVolumes: Set<String> = [
            "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret",
        ]
        for (name, spec) in build.podSpecs {
            #expect(spec["automountServiceAccountToken"].bool == false, "\(name)")
            #expect(spec["securityContext"]["runAsNonRoot"].bool == true, "\(name)")
            let user = try #require(spec["securityContext"]["runAsUser"].int, "\(name): runAsUser must be numeric")
            #expect(user != 0, "\(name)")
            #expect(spec["securityContext"]["seccompProfile"]["type"].string == "RuntimeDefault", "\(name)")
            for volume in spec["volumes"].array {
                let types = Set(volume.mapping.keys).subtracting(["name"])
                #expect(types.isSubset(of: allowedVolumes), "\(name): volume \(volume)")
            }
            for container in spec["containers"].array + spec["initContainers"].array {
                let context = container["securityContext"]
                #expect(context["allowPrivilegeEscalation"].bool == false, "\(name)")
                #expect(context["capabilities"]["drop"].strings == ["ALL"], "\(name)")
                #expect(context["capabilities"]["add"].value == nil, "\(name)")
                #expect(context["readOnlyRootFilesystem"].bool == true, "\(name)")
                #expect(context["privileged"].bool != true, "\(name)")
                #expect(container["resources"]["requests"]["cpu"].string != nil, "\(name)")
                #expect(container["resources"]["limits"]["memory"].string != nil, "\(name)")
            }
        }
    }

    /// preStop sleeps, then SIGTERM drains for `shutdown.gracePeriod`: both fit inside
    /// `terminationGracePeriodSeconds`, or the kubelet kills streams mid-drain.
    @Test func theDrainFitsInsideTheTerminationGracePeriod() async throws {
        let build = try await KubernetesBuild.build("base")
        let spec = try build.object("Deployment", "portico")["spec"]["template"]["spec"]
        let preStop = try #require(spec["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"].int)
        let termination = try #require(spec["terminationGracePeriodSeconds"].int)
        let config = YAMLTree(try Self.gatewayConfig(of: build))
        let grace = try gatewayDurationSeconds(try #require(config["shutdown"]["gracePeriod"].string))
        #expect(preStop >= 2, "endpoints need a moment to drop the pod")
        #expect(Double(preStop) + grace < Double(termination), "\(preStop) + \(grace) ≥ \(termination)")
        #expect(config["watch"].bool == true, "a ConfigMap edit must reach running pods")
    }

    /// Replicas, spread over nodes, a Service on the data port only, an autoscaler on CPU and a
    /// disruption budget, all selecting the Deployment's pods.
    @Test func scalingObjectsSelectThePorticoPods() async throws {
        let build = try await KubernetesBuild.build("base")
        let deployment = try build.object("Deployment", "portico")
        let labels = deployment["spec"]["template"]["metadata"]["labels"].mapping.mapValues { $0.string }
        func selects(_ selector: YAMLTree) -> Bool {
            !selector.mapping.isEmpty && selector.mapping.allSatisfy { labels[$0.key] == $0.value.string }
        }
        #expect(deployment["spec"]["replicas"].int == 2)
        #expect(selects(deployment["spec"]["selector"]["matchLabels"]))
        let spread = deployment["spec"]["template"]["spec"]["topologySpreadConstraints"][0]
        #expect(spread["topologyKey"].string == "kubernetes.io/hostname")
        #expect(selects(spread["labelSelector"]["matchLabels"]))
        let service = try build.object("Service", "portico")
        #expect(selects(service["spec"]["selector"]))
        #expect(
            service["spec"]["ports"].array.map { $0["targetPort"].string } == ["http"],
            "admin stays off the Service"
        )
        let autoscaler = try build.object("HorizontalPodAutoscaler", "portico")
        #expect(autoscaler["spec"]["scaleTargetRef"]["name"].string == "portico")
        #expect(autoscaler["spec"]["metrics"][0]["resource"]["name"].string == "cpu")
        #expect((autoscaler["spec"]["minReplicas"].int ?? 0) >= 2)
        let budget = try build.object("PodDisruptionBudget", "portico")
        #expect(selects(budget["spec"]["selector"]["matchLabels"]))
    }

    /// The demo overlay's backend sits behind a headless Service, and Portico's backend names
    /// that Service with `dns:` discovery (one endpoint per pod).
    @Test func theDemoBackendIsReachedThroughAHeadlessServiceWithDNSDiscovery() async throws {
        let build = try await KubernetesBuild.build("overlays/demo")
        let service = try build.object("Service", "demo-backend")
        #expect(service["spec"]["clusterIP"].string == "None")
        let backendPods = try build.object("Deployment", "demo-backend")["spec"]["template"]["metadata"]["labels"]
        #expect(service["spec"]["selector"].mapping.allSatisfy { backendPods[$0.key].string == $0.value.string })
        let config = YAMLTree(try Self.gatewayConfig(of: build))
        let backend = config["backends"]["demo"]
        #expect(backend["endpoints"].strings == ["demo-backend:\(service["spec"]["ports"][0]["port"].int ?? 0)"])
        #expect(backend["dns"].value != nil)
        #expect(Set(build.objects.compactMap { $0["metadata"]["namespace"].string }) == ["portico-demo"])
    }

    /// The ConfigMap's `Gateway.yaml` with its descriptor set (binaryData) passes
    /// `portico check` and serves the repository's route table.
    @Test(arguments: folders)
    func theConfigMapPassesPorticoCheck(folder: String) async throws {
        let executable = try #require(ServeCommandTests.executable, "portico is not built")
        let build = try await KubernetesBuild.build(folder)
        let volume = try build.writeConfigMap("portico-config")
        defer { try? FileManager.default.removeItem(atPath: volume) }
        let descriptor = try Data(contentsOf: URL(fileURLWithPath: "\(volume)/demo.binpb"))
        #expect(descriptor == (try Data(contentsOf: URL(fileURLWithPath: "\(repositoryRoot)/Protos/demo.binpb"))))
        let check = try await runTool(executable, ["check", "--config", "\(volume)/Gateway.yaml"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(
            try await routeTable(ofConfig: "\(volume)/Gateway.yaml")
                == (try await routeTable(ofConfig: "\(repositoryRoot)/Gateway.yaml"))
        )
    }

    /// The port of the ConfigMap's `admin.listen`.
    static func adminPort(of build: KubernetesBuild) throws -> Int {
        let listen = try #require(YAMLTree(try gatewayConfig(of: build))["admin"]["listen"].string)
        #expect(listen.hasPrefix("0.0.0.0:"), "the kubelet probes the pod's address")
        return try #require(Int(listen.split(separator: ":").last ?? ""))
    }

    /// The ConfigMap's `Gateway.yaml`, parsed.
    static func gatewayConfig(of build: KubernetesBuild) throws -> Any? {
        let text = try #require(try build.object("ConfigMap", "portico-config")["data"]["Gateway.yaml"].string)
        return try Yams.load(yaml: text)
    }
}
