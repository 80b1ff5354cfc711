import Foundation
import Testing
import Yams

/// What `kubectl kustomize` builds from a folder of `deploy/kubernetes`: the YAML stream and
/// its objects.
struct KubernetesBuild {
    /// The folder, relative to `deploy/kubernetes` (`base`, `overlays/demo`).
    let folder: String
    /// The built YAML stream, as `kubectl apply` would receive it.
    let yaml: String
    /// Every object of the stream.
    let objects: [YAMLTree]

    /// Runs `kubectl kustomize` on `folder`; a failed build throws with kustomize's message.
    static func build(_ folder: String) async throws -> KubernetesBuild {
        let result = try await TestTool.run(
            "kubectl",
            ["kustomize", "\(repositoryRoot)/deploy/kubernetes/\(folder)"]
        )
        guard result.status == 0 else { throw TestFailure("kubectl kustomize \(folder): \(result.stderr)") }
        let yaml = result.text
        let objects = try Yams.load_all(yaml: yaml).map(YAMLTree.init)
        return KubernetesBuild(folder: folder, yaml: yaml, objects: objects)
    }

    /// The object of `kind` named `name`.
    func object(_ kind: String, _ name: String) throws -> YAMLTree {
        try #require(
            objects.first { $0["kind"].string == kind && $0["metadata"]["name"].string == name },
            "\(folder) has no \(kind) \(name)"
        )
    }

    /// The objects of `kind`.
    func objects(_ kind: String) -> [YAMLTree] {
        objects.filter { $0["kind"].string == kind }
    }

    /// `(kind/name, pod spec)` of every workload's pod template.
    var podSpecs: [(name: String, spec: YAMLTree)] {
        objects.compactMap { object in
            let spec = object["spec"]["template"]["spec"]
            guard spec.value != nil else { return nil }
            return ("\(object["kind"].string ?? "?")/\(object["metadata"]["name"].string ?? "?")", spec)
        }
    }

    /// The files of the ConfigMap `name`, written into a new folder as its volume shows them
    /// (`data` as text, `binaryData` decoded); returns the folder.
    func writeConfigMap(_ name: String) throws -> String {
        let configMap = try object("ConfigMap", name)
        let folder = NSTemporaryDirectory() + "portico-configmap-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (key, value) in configMap["data"].mapping {
            try Data((value.string ?? "").utf8).write(to: URL(fileURLWithPath: "\(folder)/\(key)"))
        }
        for (key, value) in configMap["binaryData"].mapping {
            let base64 = (value.string ?? "").filter { !$0.isWhitespace }
            let bytes = try #require(Data(base64Encoded: base64), "binaryData \(key) is not base64")
            try bytes.write(to: URL(fileURLWithPath: "\(folder)/\(key)"))
        }
        return folder
    }
}
