import BBFSystem
import BBFTestSupport
import Foundation
import Testing

let overlayNames = (try? Deployment.overlays()) ?? []

@Suite("deploy/kubernetes: every overlay renders, validates against the Kubernetes schemas, and keeps the policy")
struct ManifestTests {
    @Test("There are the two documented overlays")
    func overlaysExist() {
        #expect(overlayNames == ["aws", "local"])
    }

    @Test(
        "kubectl kustomize renders the overlay: namespace, two ServiceAccounts, the settings ConfigMap, two CronJobs",
        arguments: overlayNames)
    func renders(overlay: String) throws {
        let manifests = try skippingIfMissing { try RenderedManifests(yaml: try Deployment.renderOverlay(overlay)) }
        #expect(manifests.objects.map(\.label).sorted().count == 6)
        #expect(manifests.all("Namespace").map(\.metadata.name) == ["babelfish-dev-pipeline"])
        #expect(Set(try manifests.cronJobs.map(\.metadata.name)) == ["bbf-backup", "bbf-bake"])
        #expect(Set(try manifests.serviceAccounts.map(\.metadata.name)) == ["bbf-backup", "bbf-bake"])
        for object in manifests.objects where object.kind != "Namespace" {
            #expect(object.metadata.namespace == "babelfish-dev-pipeline", "\(object.label)")
        }
        let namespace = try #require(manifests.all("Namespace").first)
        #expect(namespace.metadata.labels?["pod-security.kubernetes.io/enforce"] == "restricted", "the API server enforces the profile too")
    }

    @Test(
        "Every rendered object validates offline against the Kubernetes 1.27 and 1.37 schemas (kubernetes-validate --strict)",
        arguments: overlayNames)
    func validates(overlay: String) throws {
        let yaml = try skippingIfMissing { try Deployment.renderOverlay(overlay) }
        let validator = try skippingIfMissing { () throws -> String in
            guard let found = Deployment.validator else { throw TestPrerequisite(Deployment.validatorReason) }
            return found
        }
        let scratch = try Scratch()
        let file = scratch.path + "/\(overlay).yaml"
        try FileSystem.writeAtomically(file, yaml, permissions: 0o644)
        for version in Deployment.kubernetesVersions {
            let result = try runProgram(
                validator, ["--strict", "--quiet", "--kubernetes-version", version, file], environment: ProcessEnvironment.current(),
                in: scratch.path)
            #expect(result.succeeded, "examples/\(overlay) against Kubernetes \(version): \(result.output)")
        }
    }

    @Test("The validator is real: a misspelled field and a wrongly typed one are refused")
    func validatorRefusesBadObjects() throws {
        let yaml = try skippingIfMissing { try Deployment.renderOverlay("local") }
        let validator = try skippingIfMissing { () throws -> String in
            guard let found = Deployment.validator else { throw TestPrerequisite(Deployment.validatorReason) }
            return found
        }
        let scratch = try Scratch()
        for (name, broken) in [
            (
                "misspelled",
                yaml.replacingOccurrences(of: "  concurrencyPolicy: Forbid", with: "  concurrencyPolicy: Forbid\n  concurrency: Forbid")
            ),
            ("mistyped", yaml.replacingOccurrences(of: "backoffLimit: 2", with: "backoffLimit: twice")),
        ] {
            #expect(broken != yaml)
            let file = scratch.path + "/\(name).yaml"
            try FileSystem.writeAtomically(file, broken, permissions: 0o644)
            let result = try runProgram(
                validator, ["--strict", "--quiet", "--kubernetes-version", "1.37.0", file], environment: ProcessEnvironment.current(),
                in: scratch.path)
            #expect(!result.succeeded, "\(name) passed: \(result.output)")
        }
    }

    @Test("The restricted profile and the deployment's own rules hold for every rendered object", arguments: overlayNames)
    func policy(overlay: String) throws {
        let manifests = try skippingIfMissing { try RenderedManifests(yaml: try Deployment.renderOverlay(overlay)) }
        let violations = try DeploymentPolicy.violations(in: manifests)
        #expect(violations.isEmpty, "examples/\(overlay):\n\(violations.joined(separator: "\n"))")
    }

    @Test("The policy checks are real: each loosened field is named")
    func policyCatchesLooseObjects() throws {
        let yaml = try skippingIfMissing { try Deployment.renderOverlay("local") }
        let cases: [(change: (String) -> String, expected: String)] = [
            (
                { $0.replacingOccurrences(of: "readOnlyRootFilesystem: true", with: "readOnlyRootFilesystem: false") },
                "readOnlyRootFilesystem"
            ),
            (
                { $0.replacingOccurrences(of: "allowPrivilegeEscalation: false", with: "allowPrivilegeEscalation: true") },
                "allowPrivilegeEscalation"
            ),
            ({ $0.replacingOccurrences(of: "- ALL", with: "- NET_RAW") }, "drop ALL"),
            ({ $0.replacingOccurrences(of: "runAsUser: 999", with: "runAsUser: 0") }, "runAsUser"),
            ({ $0.replacingOccurrences(of: "type: RuntimeDefault", with: "type: Unconfined") }, "seccompProfile"),
            ({ $0.replacingOccurrences(of: "concurrencyPolicy: Forbid", with: "concurrencyPolicy: Allow") }, "concurrencyPolicy"),
            ({ $0.replacingOccurrences(of: "image: babelfish-dev-pipeline:4.2", with: "image: babelfish-dev-pipeline:latest") }, ":latest"),
            ({ $0.replacingOccurrences(of: "image: babelfish-dev-pipeline:4.2", with: "image: babelfish-dev-pipeline") }, "no tag"),
            ({ $0.replacingOccurrences(of: "              sizeLimit: 1Gi\n", with: "") }, "sizeLimit"),
            ({ $0.replacingOccurrences(of: "                cpu: 500m\n", with: "") }, "requests.cpu"),
            (
                { $0.replacingOccurrences(of: "automountServiceAccountToken: false", with: "automountServiceAccountToken: true") },
                "automount"
            ),
            (
                {
                    $0.replacingOccurrences(
                        of: "- emptyDir:\n              sizeLimit: 1Gi\n            name: tmp",
                        with: "- hostPath:\n              path: /var/run/docker.sock\n            name: tmp")
                }, "hostPath volumes are not allowed"
            ),
            (
                {
                    $0.replacingOccurrences(
                        of:
                            "- name: PGPASSWORD\n              valueFrom:\n                secretKeyRef:\n                  key: password\n                  name: bbf-dev-db",
                        with: "- name: PGPASSWORD\n              value: hunter2")
                }, "inline value"
            ),
            (
                { $0 + "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: leaked\nstringData:\n  password: hunter2\n" },
                "Secrets are created out of band"
            ),
            ({ $0.replacingOccurrences(of: "BBF_BAKE_JOBS: \"2\"", with: "BBF_BAKE_JOBS: \"8\"") }, "BBF_BAKE_JOBS"),
            (
                { $0.replacingOccurrences(of: "BBF_BAKE_LAYER_COMPRESSION: gzip", with: "BBF_BAKE_LAYER_COMPRESSION: lz4") },
                "BBF_BAKE_LAYER_COMPRESSION lz4"
            ),
            ({ $0.replacingOccurrences(of: "schedule: 0 2 * * *", with: "schedule: 0 5 * * *") }, "schedule is not settings"),
        ]
        for (change, expected) in cases {
            let loosened = change(yaml)
            #expect(loosened != yaml, "the change for \(expected) matched nothing")
            let violations = try DeploymentPolicy.violations(in: try RenderedManifests(yaml: loosened))
            #expect(violations.contains { $0.contains(expected) }, "\(expected) not reported: \(violations)")
        }
    }

    @Test("ECR logs in with the bake's IAM role; any other registry reads a dockerconfigjson Secret; only the local one skips TLS")
    func registryLogin() throws {
        let aws = try skippingIfMissing { try RenderedManifests(yaml: try Deployment.renderOverlay("aws")) }
        let local = try RenderedManifests(yaml: try Deployment.renderOverlay("local"))
        let awsArgs = try #require(try aws.cronJob("bbf-bake").pod.containers.first?.args)
        let localArgs = try #require(try local.cronJob("bbf-bake").pod.containers.first?.args)
        #expect(awsArgs.contains("--ecr-login") && !awsArgs.contains("--registry-auth-file") && !awsArgs.contains("--no-tls-verify"))
        #expect(!localArgs.contains("--ecr-login") && localArgs.contains("--no-tls-verify"))
        let authIndex = try #require(localArgs.firstIndex(of: "--registry-auth-file"))
        #expect(localArgs[authIndex + 1] == "/secrets/registry/config.json")
        #expect(try local.cronJob("bbf-bake").pod.volumes?.contains { $0.secret?.secretName == "bbf-registry-auth" } == true)
        #expect(try aws.cronJob("bbf-bake").pod.volumes?.contains { $0.secret?.secretName == "bbf-registry-auth" } == false)
        // The dated tag and latest come from one repository setting.
        let dated = try #require(awsArgs.firstIndex(of: "--dated-tag"))
        #expect(awsArgs[dated + 1] == "$(BBF_TARGET_REPOSITORY)")
    }
}
