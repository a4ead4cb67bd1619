import Yams

/// The part of the Kubernetes API the deployment uses, as rendered by
/// `kubectl kustomize`: enough to check the objects and to run their
/// containers the way a kubelet would. Unknown fields are ignored here (the
/// schema validation is kubernetes-validate's job).
struct ObjectMeta: Decodable, Equatable {
    var name: String
    var namespace: String?
    var labels: [String: String]?
    var annotations: [String: String]?
}

struct CronJob: Decodable {
    var metadata: ObjectMeta
    var spec: Spec

    struct Spec: Decodable {
        var schedule: String
        var timeZone: String?
        var concurrencyPolicy: String?
        var startingDeadlineSeconds: Int?
        var successfulJobsHistoryLimit: Int?
        var failedJobsHistoryLimit: Int?
        var suspend: Bool?
        var jobTemplate: JobTemplate
    }

    struct JobTemplate: Decodable {
        var spec: JobSpec
    }

    struct JobSpec: Decodable {
        var backoffLimit: Int?
        var activeDeadlineSeconds: Int?
        var ttlSecondsAfterFinished: Int?
        var template: PodTemplate
    }

    struct PodTemplate: Decodable {
        var spec: PodSpec
    }

    var pod: PodSpec { spec.jobTemplate.spec.template.spec }
}

struct PodSpec: Decodable {
    var serviceAccountName: String?
    var automountServiceAccountToken: Bool?
    var enableServiceLinks: Bool?
    var restartPolicy: String?
    var hostNetwork: Bool?
    var hostPID: Bool?
    var hostIPC: Bool?
    var securityContext: PodSecurityContext?
    var initContainers: [Container]?
    var containers: [Container]
    var volumes: [Volume]?

    var allContainers: [Container] { (initContainers ?? []) + containers }
}

struct SeccompProfile: Decodable, Equatable {
    var type: String
}

struct PodSecurityContext: Decodable {
    var runAsUser: Int?
    var runAsGroup: Int?
    var runAsNonRoot: Bool?
    var fsGroup: Int?
    var supplementalGroups: [Int]?
    var seccompProfile: SeccompProfile?
}

struct SecurityContext: Decodable {
    var runAsUser: Int?
    var runAsGroup: Int?
    var runAsNonRoot: Bool?
    var privileged: Bool?
    var allowPrivilegeEscalation: Bool?
    var readOnlyRootFilesystem: Bool?
    var capabilities: Capabilities?
    var seccompProfile: SeccompProfile?

    struct Capabilities: Decodable {
        var add: [String]?
        var drop: [String]?
    }
}

struct Container: Decodable {
    var name: String
    var image: String
    var imagePullPolicy: String?
    var command: [String]?
    var args: [String]?
    var workingDir: String?
    var env: [EnvVar]?
    var envFrom: [EnvFromSource]?
    var volumeMounts: [VolumeMount]?
    var resources: Resources?
    var securityContext: SecurityContext?
    var ports: [Port]?

    struct Port: Decodable {
        var containerPort: Int
        var hostPort: Int?
    }

    struct Resources: Decodable {
        var requests: [String: String]?
        var limits: [String: String]?
    }
}

struct KeyReference: Decodable, Equatable {
    var name: String
    var key: String
    var optional: Bool?
}

struct EnvVar: Decodable {
    var name: String
    var value: String?
    var valueFrom: Source?

    struct Source: Decodable {
        var configMapKeyRef: KeyReference?
        var secretKeyRef: KeyReference?
        var fieldRef: FieldReference?
    }

    struct FieldReference: Decodable {
        var fieldPath: String
    }
}

struct EnvFromSource: Decodable {
    var prefix: String?
    var configMapRef: NameReference?
    var secretRef: NameReference?

    struct NameReference: Decodable {
        var name: String
        var optional: Bool?
    }
}

struct VolumeMount: Decodable {
    var name: String
    var mountPath: String
    var readOnly: Bool?
    var subPath: String?
}

struct KeyToPath: Decodable {
    var key: String
    var path: String
    var mode: Int?
}

struct Volume: Decodable {
    var name: String
    var emptyDir: EmptyDir?
    var secret: SecretVolume?
    var configMap: ConfigMapVolume?
    var hostPath: HostPath?

    struct EmptyDir: Decodable {
        var medium: String?
        var sizeLimit: String?
    }

    struct SecretVolume: Decodable {
        var secretName: String
        var items: [KeyToPath]?
        var defaultMode: Int?
        var optional: Bool?
    }

    struct ConfigMapVolume: Decodable {
        var name: String
        var items: [KeyToPath]?
        var defaultMode: Int?
        var optional: Bool?
    }

    struct HostPath: Decodable {
        var path: String
    }
}

struct ServiceAccount: Decodable {
    var metadata: ObjectMeta
    var automountServiceAccountToken: Bool?
}

struct ConfigMap: Decodable {
    var metadata: ObjectMeta
    var data: [String: String]?
}

/// One rendered object: its kind and name, the raw tree (for checks that look
/// at every field), and typed views of the kinds the deployment has.
struct KubernetesObject {
    var apiVersion: String
    var kind: String
    var metadata: ObjectMeta
    var node: Node

    private struct Header: Decodable {
        var apiVersion: String
        var kind: String
        var metadata: ObjectMeta
    }

    init(node: Node) throws {
        let header = try YAMLDecoder().decode(Header.self, from: node)
        apiVersion = header.apiVersion
        kind = header.kind
        metadata = header.metadata
        self.node = node
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try YAMLDecoder().decode(type, from: node) }

    var label: String { "\(kind)/\(metadata.name)" }
}

/// The objects of one `kubectl kustomize` output.
struct RenderedManifests {
    var objects: [KubernetesObject]

    init(yaml: String) throws {
        objects = try Yams.compose_all(yaml: yaml).compactMap { $0 }.map { try KubernetesObject(node: $0) }
    }

    func all(_ kind: String) -> [KubernetesObject] { objects.filter { $0.kind == kind } }

    var cronJobs: [CronJob] { get throws { try all("CronJob").map { try $0.decode(CronJob.self) } } }
    var serviceAccounts: [ServiceAccount] { get throws { try all("ServiceAccount").map { try $0.decode(ServiceAccount.self) } } }
    var configMaps: [ConfigMap] { get throws { try all("ConfigMap").map { try $0.decode(ConfigMap.self) } } }

    func cronJob(_ name: String) throws -> CronJob {
        guard let job = try cronJobs.first(where: { $0.metadata.name == name }) else {
            throw ManifestError("no CronJob \(name) among \(objects.map(\.label))")
        }
        return job
    }

    /// The generated settings ConfigMap (its name carries kustomize's hash suffix).
    func settings() throws -> ConfigMap {
        let found = try configMaps.filter { $0.metadata.name.hasPrefix("bbf-pipeline-settings") }
        guard found.count == 1, let settings = found.first else {
            throw ManifestError("expected one bbf-pipeline-settings ConfigMap, found \(found.map(\.metadata.name))")
        }
        return settings
    }
}

struct ManifestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Node {
    /// Every scalar in the tree with its dotted path (`spec.jobTemplate...`).
    func scalars(path: String = "") -> [(path: String, value: String)] {
        switch self {
        case .scalar(let scalar):
            return [(path, scalar.string)]
        case .mapping(let mapping):
            return mapping.flatMap { key, value in value.scalars(path: path.isEmpty ? key.string ?? "?" : path + "." + (key.string ?? "?"))
            }
        case .sequence(let sequence):
            return sequence.enumerated().flatMap { index, value in value.scalars(path: "\(path)[\(index)]") }
        case .alias:
            return []
        }
    }

    /// Every mapping key in the tree with its dotted path.
    func keys(path: String = "") -> [String] {
        switch self {
        case .mapping(let mapping):
            return mapping.flatMap { key, value -> [String] in
                let here = path.isEmpty ? key.string ?? "?" : path + "." + (key.string ?? "?")
                return [here] + value.keys(path: here)
            }
        case .sequence(let sequence):
            return sequence.enumerated().flatMap { index, value in value.keys(path: "\(path)[\(index)]") }
        case .scalar, .alias:
            return []
        }
    }
}
