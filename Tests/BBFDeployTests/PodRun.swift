/// What a kubelet would run for one container of a pod: its environment
/// resolved from ConfigMaps and Secrets, `$(VAR)` expanded in command and
/// args, the volumes' contents, the identity and the restrictions; and the
/// `docker run` command line that reproduces it. Pure: the test turns the
/// plan into files and a process.

/// The cluster's state a pod reads: ConfigMaps and Secrets by name.
struct ClusterState {
    var configMaps: [String: [String: String]] = [:]
    var secrets: [String: [String: String]] = [:]
}

/// A file a secret or configMap volume holds, as the kubelet writes it.
struct ProjectedFile: Equatable {
    var path: String
    var contents: String
    var mode: Int
}

enum PlannedMount: Equatable {
    /// An emptyDir: tmpfs capped at its sizeLimit (a hard cap, stricter than
    /// the kubelet's eviction, so what fits here fits in a cluster).
    case emptyDir(volume: String, path: String, sizeBytes: Int64)
    /// A secret or configMap volume: files owned by root and `group`, read-only.
    case files(volume: String, path: String, files: [ProjectedFile], group: Int?)
}

struct PodRunPlan {
    var image: String
    var pullPolicy: String
    var entrypoint: String?
    var arguments: [String]
    var environment: [(name: String, value: String)]
    var user: Int?
    var group: Int?
    var supplementaryGroups: [Int]
    var readOnlyRootFilesystem: Bool
    var noNewPrivileges: Bool
    var privileged: Bool
    var capabilitiesDropped: [String]
    var capabilitiesAdded: [String]
    var seccomp: String
    var memoryLimitBytes: Int64?
    var cpuLimit: Double?
    var workingDirectory: String?
    var mounts: [PlannedMount]

    /// The `docker run` arguments (before the caller's `--name` and network
    /// choice), given where the env file and each file volume were written.
    func dockerArguments(envFile: String, volumeDirectories: [String: String], network: String) throws -> [String] {
        var arguments = ["run", "--network", network, "--pull", Self.dockerPull(pullPolicy)]
        if let user { arguments += ["--user", group.map { "\(user):\($0)" } ?? String(user)] }
        for extra in supplementaryGroups { arguments += ["--group-add", String(extra)] }
        if readOnlyRootFilesystem { arguments.append("--read-only") }
        if noNewPrivileges { arguments += ["--security-opt", "no-new-privileges"] }
        if privileged { arguments.append("--privileged") }
        for capability in capabilitiesDropped { arguments += ["--cap-drop", capability] }
        for capability in capabilitiesAdded { arguments += ["--cap-add", capability] }
        switch seccomp {
        case "RuntimeDefault": break  // the engine's default profile
        case "Unconfined": arguments += ["--security-opt", "seccomp=unconfined"]
        default: throw ManifestError("seccompProfile \(seccomp) cannot be reproduced here")
        }
        if let memoryLimitBytes { arguments += ["--memory", String(memoryLimitBytes), "--memory-swap", String(memoryLimitBytes)] }
        if let cpuLimit { arguments += ["--cpus", String(cpuLimit)] }
        arguments += ["--env-file", envFile]
        for mount in mounts {
            switch mount {
            case .emptyDir(_, let path, let size):
                arguments += ["--mount", "type=tmpfs,destination=\(path),tmpfs-size=\(size),tmpfs-mode=1777"]
            case .files(let volume, let path, _, _):
                guard let source = volumeDirectories[volume] else { throw ManifestError("no directory for volume \(volume)") }
                arguments += ["--mount", "type=bind,source=\(source),destination=\(path),readonly"]
            }
        }
        if let workingDirectory { arguments += ["--workdir", workingDirectory] }
        if let entrypoint { arguments += ["--entrypoint", entrypoint] }
        return arguments + [image] + self.arguments
    }

    /// The env file's text (docker's format: NAME=value lines).
    func envFileText() throws -> String {
        for variable in environment where variable.value.contains("\n") {
            throw ManifestError("\(variable.name) holds a newline, which docker's --env-file cannot carry")
        }
        return environment.map { "\($0.name)=\($0.value)\n" }.joined()
    }

    static func dockerPull(_ policy: String) -> String {
        switch policy {
        case "Always": return "always"
        case "Never": return "never"
        default: return "missing"
        }
    }
}

enum PodRunPlanner {
    /// The plan for `container` of `pod`, as the kubelet would start it.
    static func plan(pod: PodSpec, container: Container, cluster: ClusterState) throws -> PodRunPlan {
        let environment = try resolveEnvironment(container, cluster: cluster)
        var lookup: [String: String] = [:]
        for variable in environment { lookup[variable.name] = variable.value }
        let command = (container.command ?? []).map { expand($0, lookup) }
        let args = (container.args ?? []).map { expand($0, lookup) }

        let podSecurity = pod.securityContext
        let security = container.securityContext
        let user = security?.runAsUser ?? podSecurity?.runAsUser
        let group = security?.runAsGroup ?? podSecurity?.runAsGroup
        let nonRoot = security?.runAsNonRoot ?? podSecurity?.runAsNonRoot ?? false
        if nonRoot {
            guard let user else { throw ManifestError("\(container.name): runAsNonRoot without runAsUser: the image's user decides") }
            guard user != 0 else { throw ManifestError("\(container.name): runAsNonRoot but runAsUser 0: the kubelet refuses to start it") }
        }
        var supplementary = podSecurity?.supplementalGroups ?? []
        if let fsGroup = podSecurity?.fsGroup { supplementary.insert(fsGroup, at: 0) }

        let limits = container.resources?.limits ?? [:]
        return PodRunPlan(
            image: container.image,
            pullPolicy: container.imagePullPolicy ?? (container.image.hasSuffix(":latest") ? "Always" : "IfNotPresent"),
            entrypoint: command.first, arguments: Array(command.dropFirst()) + args, environment: environment, user: user, group: group,
            supplementaryGroups: supplementary, readOnlyRootFilesystem: security?.readOnlyRootFilesystem ?? false,
            noNewPrivileges: security?.allowPrivilegeEscalation == false, privileged: security?.privileged ?? false,
            capabilitiesDropped: security?.capabilities?.drop ?? [], capabilitiesAdded: security?.capabilities?.add ?? [],
            seccomp: security?.seccompProfile?.type ?? podSecurity?.seccompProfile?.type ?? "RuntimeDefault",
            memoryLimitBytes: try limits["memory"].map { try Quantity.bytes($0) },
            cpuLimit: try limits["cpu"].map { try Quantity.cores($0) },
            workingDirectory: container.workingDir, mounts: try mounts(pod: pod, container: container, cluster: cluster))
    }

    /// envFrom first, then env in order (a later name wins); `$(VAR)` in a
    /// value refers to the variables defined before it.
    static func resolveEnvironment(_ container: Container, cluster: ClusterState) throws -> [(name: String, value: String)] {
        var ordered: [(name: String, value: String)] = []
        func set(_ name: String, _ value: String) {
            if let index = ordered.firstIndex(where: { $0.name == name }) {
                ordered[index].value = value
            } else {
                ordered.append((name, value))
            }
        }
        for source in container.envFrom ?? [] {
            let prefix = source.prefix ?? ""
            if let reference = source.configMapRef {
                guard let data = cluster.configMaps[reference.name] else {
                    if reference.optional == true { continue }
                    throw ManifestError("\(container.name): envFrom ConfigMap \(reference.name) does not exist")
                }
                for key in data.keys.sorted() { set(prefix + key, data[key] ?? "") }
            }
            if let reference = source.secretRef {
                guard let data = cluster.secrets[reference.name] else {
                    if reference.optional == true { continue }
                    throw ManifestError("\(container.name): envFrom Secret \(reference.name) does not exist")
                }
                for key in data.keys.sorted() { set(prefix + key, data[key] ?? "") }
            }
        }
        for variable in container.env ?? [] {
            if let value = variable.value {
                var lookup: [String: String] = [:]
                for defined in ordered { lookup[defined.name] = defined.value }
                set(variable.name, expand(value, lookup))
            } else if let source = variable.valueFrom {
                let resolved: String?
                if let reference = source.configMapKeyRef {
                    resolved = try value(of: reference, in: cluster.configMaps, kind: "ConfigMap", for: variable.name)
                } else if let reference = source.secretKeyRef {
                    resolved = try value(of: reference, in: cluster.secrets, kind: "Secret", for: variable.name)
                } else {
                    throw ManifestError("\(variable.name): only configMapKeyRef and secretKeyRef are reproduced here")
                }
                if let resolved { set(variable.name, resolved) }
            } else {
                set(variable.name, "")
            }
        }
        return ordered
    }

    private static func value(
        of reference: KeyReference, in store: [String: [String: String]], kind: String, for name: String
    ) throws
        -> String?
    {
        guard let data = store[reference.name] else {
            if reference.optional == true { return nil }
            throw ManifestError("\(name): \(kind) \(reference.name) does not exist (the pod would not start)")
        }
        guard let value = data[reference.key] else {
            if reference.optional == true { return nil }
            throw ManifestError("\(name): \(kind) \(reference.name) has no key \(reference.key) (the pod would not start)")
        }
        return value
    }

    /// Kubernetes' `$(VAR)` expansion (k8s.io/kubernetes third_party/forked/golang/expansion):
    /// a defined VAR is replaced, an undefined one stays as written, `$$` is `$`.
    static func expand(_ input: String, _ variables: [String: String]) -> String {
        let characters = Array(input)
        var output = ""
        var index = 0
        while index < characters.count {
            let character = characters[index]
            guard character == "$", index + 1 < characters.count else {
                output.append(character)
                index += 1
                continue
            }
            let next = characters[index + 1]
            if next == "$" {
                output.append("$")
                index += 2
            } else if next == "(", let close = characters[(index + 2)...].firstIndex(of: ")") {
                let name = String(characters[(index + 2)..<close])
                output += variables[name] ?? "$(\(name))"
                index = close + 1
            } else {
                output.append("$")
                output.append(next)
                index += 2
            }
        }
        return output
    }

    static func mounts(pod: PodSpec, container: Container, cluster: ClusterState) throws -> [PlannedMount] {
        let volumes = Dictionary((pod.volumes ?? []).map { ($0.name, $0) }) { first, _ in first }
        let fsGroup = pod.securityContext?.fsGroup
        return try (container.volumeMounts ?? []).map { mount in
            guard mount.subPath == nil else { throw ManifestError("\(mount.name): subPath is not reproduced here") }
            guard let volume = volumes[mount.name] else { throw ManifestError("volumeMount \(mount.name) names no volume") }
            if let emptyDir = volume.emptyDir {
                guard let limit = emptyDir.sizeLimit else { throw ManifestError("emptyDir \(volume.name) has no sizeLimit") }
                return .emptyDir(volume: volume.name, path: mount.mountPath, sizeBytes: try Quantity.bytes(limit))
            }
            if let secret = volume.secret {
                let files = try project(
                    cluster.secrets[secret.secretName], items: secret.items, defaultMode: secret.defaultMode, optional: secret.optional,
                    what: "Secret \(secret.secretName)", fsGroup: fsGroup)
                return .files(volume: volume.name, path: mount.mountPath, files: files, group: fsGroup)
            }
            if let configMap = volume.configMap {
                let files = try project(
                    cluster.configMaps[configMap.name], items: configMap.items, defaultMode: configMap.defaultMode,
                    optional: configMap.optional,
                    what: "ConfigMap \(configMap.name)", fsGroup: fsGroup)
                return .files(volume: volume.name, path: mount.mountPath, files: files, group: fsGroup)
            }
            throw ManifestError("volume \(volume.name): only emptyDir, secret and configMap volumes are reproduced here")
        }
    }

    /// The files of a secret/configMap volume: the listed items (or every
    /// key), at defaultMode (0644 by default) or the item's mode; with an
    /// fsGroup the kubelet makes them group-owned and adds group read (0440).
    static func project(
        _ data: [String: String]?, items: [KeyToPath]?, defaultMode: Int?, optional: Bool?, what: String, fsGroup: Int?
    ) throws -> [ProjectedFile] {
        guard let data else {
            if optional == true { return [] }
            throw ManifestError("\(what) does not exist (the pod would not start)")
        }
        let mode = defaultMode ?? 0o644
        let groupRead = fsGroup == nil ? 0 : 0o440
        guard let items else {
            return data.keys.sorted().map { ProjectedFile(path: $0, contents: data[$0] ?? "", mode: mode | groupRead) }
        }
        return try items.compactMap { item in
            guard let contents = data[item.key] else {
                if optional == true { return nil }
                throw ManifestError("\(what) has no key \(item.key) (the pod would not start)")
            }
            return ProjectedFile(path: item.path, contents: contents, mode: (item.mode ?? mode) | groupRead)
        }
    }
}

/// Kubernetes resource quantities (the forms the manifests use).
enum Quantity {
    static func bytes(_ text: String) throws -> Int64 {
        let suffixes: [(String, Int64)] = [
            ("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30), ("Ti", 1 << 40), ("k", 1000), ("M", 1_000_000), ("G", 1_000_000_000),
            ("T", 1_000_000_000_000),
        ]
        for (suffix, factor) in suffixes where text.hasSuffix(suffix) {
            guard let number = Int64(text.dropLast(suffix.count)) else { break }
            return number * factor
        }
        guard let plain = Int64(text) else { throw ManifestError("\(text) is not a byte quantity this test reads") }
        return plain
    }

    static func cores(_ text: String) throws -> Double {
        if text.hasSuffix("m"), let milli = Double(text.dropLast()) { return milli / 1000 }
        guard let cores = Double(text) else { throw ManifestError("\(text) is not a CPU quantity this test reads") }
        return cores
    }
}
