import Foundation

/// What `image inspect` says about a local image, the same for docker and
/// podman. Pure decoding of the engines' JSON.
public struct ImageInspection: Equatable, Sendable {
    /// `sha256:<hex>` (podman prints the bare hex; it is normalized).
    public var id: String
    public var repoTags: [String]
    /// `repository@sha256:<hex>`: the registry manifest digests it was pulled by.
    public var repoDigests: [String]
    public var created: String?
    public var labels: [String: String]
    /// `NAME=value` pairs of the image's configuration.
    public var environment: [String: String]
    public var user: String?
    public var hasHealthcheck: Bool

    public init(
        id: String, repoTags: [String], repoDigests: [String], created: String?, labels: [String: String], environment: [String: String],
        user: String?, hasHealthcheck: Bool
    ) {
        self.id = id
        self.repoTags = repoTags
        self.repoDigests = repoDigests
        self.created = created
        self.labels = labels
        self.environment = environment
        self.user = user
        self.hasHealthcheck = hasHealthcheck
    }

    /// The registry digests (`sha256:...`) recorded for `repository`.
    public func digests(forRepository repository: String) -> [String] {
        repoDigests.compactMap { entry in
            guard let at = entry.lastIndex(of: "@") else { return nil }
            let name = String(entry[..<at])
            return Self.sameRepository(name, repository) ? String(entry[entry.index(after: at)...]) : nil
        }
    }

    /// docker writes `docker.io/library/x` as `x`; podman keeps `localhost/x`.
    static func sameRepository(_ a: String, _ b: String) -> Bool {
        func normal(_ name: String) -> String {
            var value = name
            for prefix in ["docker.io/library/", "docker.io/", "index.docker.io/library/", "localhost/"] where value.hasPrefix(prefix) {
                value = String(value.dropFirst(prefix.count))
                break
            }
            return value
        }
        return normal(a) == normal(b)
    }

    public static func decode(_ data: Data) throws(ContainerError) -> ImageInspection {
        let raw = try firstObject(data, what: "image inspect")
        let config = raw.object("Config")
        let test = (config.object("Healthcheck").strings("Test") ?? raw.object("Healthcheck").strings("Test")) ?? []
        return ImageInspection(
            id: normalizedID(raw.string("Id") ?? ""), repoTags: raw.strings("RepoTags") ?? [],
            repoDigests: raw.strings("RepoDigests") ?? [],
            created: raw.string("Created"), labels: config.stringMap("Labels") ?? raw.stringMap("Labels") ?? [:],
            environment: environmentPairs(config.strings("Env") ?? []), user: config.string("User").flatMap { $0.isEmpty ? nil : $0 },
            hasHealthcheck: !test.isEmpty && test.first != "NONE")
    }
}

/// What `container inspect` says, for docker and podman.
public struct ContainerInspection: Equatable, Sendable {
    public struct Mount: Equatable, Sendable {
        public var type: String
        /// The volume name (named volumes) or the host path (binds).
        public var source: String
        public var destination: String
        public var readWrite: Bool

        public init(type: String, source: String, destination: String, readWrite: Bool) {
            self.type = type
            self.source = source
            self.destination = destination
            self.readWrite = readWrite
        }
    }

    public struct PortBinding: Equatable, Sendable, Hashable {
        public var hostAddress: String
        public var hostPort: Int
        public var containerPort: Int

        public init(hostAddress: String, hostPort: Int, containerPort: Int) {
            self.hostAddress = hostAddress
            self.hostPort = hostPort
            self.containerPort = containerPort
        }
    }

    public var id: String
    public var name: String
    /// created, running, paused, restarting, exited, dead (podman also: configured, stopped).
    public var status: String
    public var exitCode: Int
    public var startedAt: String?
    public var finishedAt: String?
    /// starting, healthy, unhealthy; nil when the image has no health check.
    public var health: String?
    /// The last health-check output, if any.
    public var healthOutput: String?
    /// `sha256:<hex>` of the image it runs.
    public var imageID: String
    /// The reference it was created from.
    public var imageReference: String
    public var labels: [String: String]
    public var mounts: [Mount]
    public var ports: [PortBinding]

    public var isRunning: Bool { status == "running" }

    public init(
        id: String, name: String, status: String, exitCode: Int, startedAt: String?, finishedAt: String?, health: String?,
        healthOutput: String?, imageID: String, imageReference: String, labels: [String: String], mounts: [Mount], ports: [PortBinding]
    ) {
        self.id = id
        self.name = name
        self.status = status
        self.exitCode = exitCode
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.health = health
        self.healthOutput = healthOutput
        self.imageID = imageID
        self.imageReference = imageReference
        self.labels = labels
        self.mounts = mounts
        self.ports = ports
    }

    public static func decode(_ data: Data) throws(ContainerError) -> ContainerInspection {
        let raw = try firstObject(data, what: "container inspect")
        let state = raw.object("State")
        let health = state["Health"] != nil ? state.object("Health") : state.object("Healthcheck")
        var ports: [PortBinding] = []
        for (key, value) in raw.object("HostConfig").object("PortBindings") {
            guard let containerPort = Int(key.split(separator: "/").first ?? ""), let bindings = value as? [[String: Any]] else { continue }
            for binding in bindings {
                guard let hostPort = Int(binding.string("HostPort") ?? "") else { continue }
                ports.append(PortBinding(hostAddress: binding.string("HostIp") ?? "", hostPort: hostPort, containerPort: containerPort))
            }
        }
        ports.sort { ($0.containerPort, $0.hostPort) < ($1.containerPort, $1.hostPort) }
        let mounts = ((raw["Mounts"] as? [[String: Any]]) ?? []).map { mount in
            let type = mount.string("Type") ?? ""
            return Mount(
                type: type,
                source: type == "volume" ? (mount.string("Name") ?? mount.string("Source") ?? "") : (mount.string("Source") ?? ""),
                destination: mount.string("Destination") ?? "", readWrite: (mount["RW"] as? Bool) ?? true)
        }
        var name = raw.string("Name") ?? ""
        if name.hasPrefix("/") { name.removeFirst() }
        let log = (health["Log"] as? [[String: Any]]) ?? []
        return ContainerInspection(
            id: raw.string("Id") ?? "", name: name, status: state.string("Status")?.lowercased() ?? "unknown",
            exitCode: (state["ExitCode"] as? Int) ?? 0, startedAt: state.string("StartedAt"), finishedAt: state.string("FinishedAt"),
            health: health.string("Status").flatMap { $0.isEmpty ? nil : $0 },
            healthOutput: log.last?.string("Output")?.trimmingCharacters(in: .whitespacesAndNewlines),
            imageID: normalizedID(raw.string("Image") ?? ""),
            imageReference: raw.object("Config").string("Image") ?? raw.string("ImageName") ?? "",
            labels: raw.object("Config").stringMap("Labels") ?? [:], mounts: mounts, ports: ports)
    }
}

/// What `volume inspect` says, for docker and podman.
public struct VolumeInspection: Equatable, Sendable {
    public var name: String
    public var driver: String
    public var createdAt: String?
    public var labels: [String: String]
    public var mountpoint: String?

    public init(name: String, driver: String, createdAt: String?, labels: [String: String], mountpoint: String?) {
        self.name = name
        self.driver = driver
        self.createdAt = createdAt
        self.labels = labels
        self.mountpoint = mountpoint
    }

    public static func decode(_ data: Data) throws(ContainerError) -> VolumeInspection {
        let raw = try firstObject(data, what: "volume inspect")
        return VolumeInspection(
            name: raw.string("Name") ?? "", driver: raw.string("Driver") ?? "local", createdAt: raw.string("CreatedAt"),
            labels: raw.stringMap("Labels") ?? [:], mountpoint: raw.string("Mountpoint"))
    }
}

/// `sha256:<hex>` whether the engine printed the prefix (docker) or not (podman).
func normalizedID(_ id: String) -> String {
    if id.isEmpty || id.hasPrefix("sha256:") { return id }
    return id.count == 64 && id.allSatisfy(\.isHexDigit) ? "sha256:" + id : id
}

func environmentPairs(_ entries: [String]) -> [String: String] {
    var result: [String: String] = [:]
    for entry in entries {
        guard let equals = entry.firstIndex(of: "=") else { continue }
        result[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
    }
    return result
}

/// Both engines print a JSON array with one object per inspected thing.
private func firstObject(_ data: Data, what: String) throws(ContainerError) -> [String: Any] {
    let parsed = try? JSONSerialization.jsonObject(with: data)
    guard let list = parsed as? [Any] else {
        let text = String(decoding: data.prefix(300), as: UTF8.self)
        throw ContainerError(.engine, "cannot read what \(what) printed (not a JSON array): \(text)")
    }
    guard let first = list.first as? [String: Any] else { throw ContainerError(.notFound, "\(what) printed an empty list") }
    return first
}

extension Dictionary where Key == String, Value == Any {
    fileprivate func string(_ key: String) -> String? { self[key] as? String }
    fileprivate func strings(_ key: String) -> [String]? { self[key] as? [String] }
    fileprivate func object(_ key: String) -> [String: Any] { (self[key] as? [String: Any]) ?? [:] }
    fileprivate func stringMap(_ key: String) -> [String: String]? { self[key] as? [String: String] }
}
