import BBFSystem
import Foundation

/// The real Docker engine the image tests drive (DOCKER_HOST, or
/// BBF_TEST_DOCKER_HOST when the daemon listens on a private socket).
public struct DockerEngine: Sendable {
    public let executable: String
    public let host: String?
    /// More variables for the CLI (podman: CONTAINERS_CONF).
    public var extraEnvironment: [String: String] = [:]

    public init(executable: String, host: String?, extraEnvironment: [String: String] = [:]) {
        self.executable = executable
        self.host = host
        self.extraEnvironment = extraEnvironment
    }

    /// nil when no docker client or no running daemon is reachable.
    public static let available: DockerEngine? = {
        let environment = ProcessEnvironment.current()
        guard let docker = TestTools.onPath("docker") else { return nil }
        let host = environment["BBF_TEST_DOCKER_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? environment["DOCKER_HOST"]
        let engine = DockerEngine(executable: docker, host: host)
        guard let result = try? engine.run(["info", "--format", "{{.ServerVersion}}"]), result.status.isSuccess else { return nil }
        return engine
    }()

    public static let reason = "needs a running Docker engine: start dockerd and set DOCKER_HOST or BBF_TEST_DOCKER_HOST (.ci/run does)"

    public var environment: [String: String] {
        var environment = ["PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME": "/tmp"]
        if let host { environment["DOCKER_HOST"] = host }
        environment.merge(extraEnvironment) { $1 }
        return environment
    }

    public func run(_ arguments: [String]) throws -> CommandResult {
        try Command.run(executable, arguments, environment: environment)
    }

    /// Runs docker to its end with a timeout, its output captured in files
    /// under `directory` (for long runs such as a container in the foreground).
    public func runToEnd(_ arguments: [String], in directory: String, timeoutSeconds: Int = 900) throws -> Finished {
        try runProgram(executable, arguments, environment: environment, in: directory, timeoutSeconds: timeoutSeconds)
    }

    /// Runs docker and fails with its output when it does not succeed.
    @discardableResult
    public func must(_ arguments: [String]) throws -> String {
        let result = try run(arguments)
        guard result.status.isSuccess else {
            throw TestSupportError(
                "docker \(arguments.joined(separator: " ")) \(result.status): \(result.standardError)\(result.standardOutput)")
        }
        return result.standardOutput
    }

    /// The daemon's version (`docker version`), nil when it does not say.
    public func serverVersion() -> String? {
        guard let result = try? run(["version", "--format", "{{.Server.Version}}"]), result.status.isSuccess else { return nil }
        let version = result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        return version.isEmpty ? nil : version
    }

    /// Waits until the container's health check says healthy (or fails).
    public func waitHealthy(_ container: String, seconds: Double = 180) throws {
        var last = ""
        let healthy = waitUntil(seconds: seconds, every: 250) {
            last =
                (try? run(["inspect", "--format", "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}", container]))?
                .standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            return last == "running healthy" || last.hasPrefix("exited")
        }
        guard healthy, last == "running healthy" else {
            let logs = (try? run(["logs", container])).map { $0.standardOutput + $0.standardError } ?? ""
            throw TestSupportError("container \(container) is not healthy (\(last)):\n\(logs)")
        }
    }
}

extension DockerEngine {
    /// A built engine image in that daemon (BBF_TEST_ENGINE_IMAGE, e.g.
    /// babelfish-dev:4.2, or CI's plain-PostgreSQL engine image).
    public static let engineImage: String? = {
        guard let image = ProcessEnvironment.current()["BBF_TEST_ENGINE_IMAGE"], !image.isEmpty else { return nil }
        return image
    }()

    public static let engineImageReason =
        "needs a built engine image in the Docker engine: set BBF_TEST_ENGINE_IMAGE (e.g. babelfish-dev:4.2, or a plain-PostgreSQL engine image with BABELFISH_ENABLED=false) and BBF_TEST_DOCKER_HOST"

    /// The engine and the image, or a skip with the reason.
    public static func requireEngineImage() throws -> (DockerEngine, String) {
        guard let engine = available else { throw TestPrerequisite(reason) }
        guard let image = engineImage else { throw TestPrerequisite(engineImageReason) }
        guard (try? engine.run(["image", "inspect", image]))?.status.isSuccess == true else {
            throw TestPrerequisite("BBF_TEST_ENGINE_IMAGE=\(image) is not in the Docker engine: build it (bbf build) or pull it")
        }
        return (engine, image)
    }

    /// An image's labels and environment.
    public func configuration(of image: String) throws -> (labels: [String: String], environment: [String: String]) {
        let text = try must(["image", "inspect", "--format", "{{json .Config}}", image])
        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        var environment: [String: String] = [:]
        for entry in (object["Env"] as? [String]) ?? [] {
            if let equals = entry.firstIndex(of: "=") {
                environment[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
            }
        }
        return ((object["Labels"] as? [String: String]) ?? [:], environment)
    }

    /// podman, when it is installed and runs containers here; it speaks the
    /// same verbs, so the same helpers drive it. CONTAINERS_CONF is passed on.
    public static let podman: DockerEngine? = {
        let environment = ProcessEnvironment.current()
        guard let podman = TestTools.onPath("podman") else { return nil }
        let engine = DockerEngine(
            executable: podman, host: nil, extraEnvironment: environment["CONTAINERS_CONF"].map { ["CONTAINERS_CONF": $0] } ?? [:])
        guard let result = try? engine.run(["info", "--format", "{{.Version.Version}}"]), result.status.isSuccess else { return nil }
        return engine
    }()

    /// podman and an engine image in its store (BBF_TEST_PODMAN_IMAGE), or a skip with the reason.
    public static func requirePodmanImage() throws -> (DockerEngine, String) {
        guard let engine = podman else { throw TestPrerequisite("needs podman installed and able to run containers here") }
        guard let image = ProcessEnvironment.current()["BBF_TEST_PODMAN_IMAGE"], !image.isEmpty else {
            throw TestPrerequisite(
                "needs an engine image in podman's store: set BBF_TEST_PODMAN_IMAGE (e.g. after skopeo copy docker-daemon:IMAGE containers-storage:localhost/IMAGE)"
            )
        }
        guard (try? engine.run(["image", "inspect", image]))?.status.isSuccess == true else {
            throw TestPrerequisite("BBF_TEST_PODMAN_IMAGE=\(image) is not in podman's image store")
        }
        return (engine, image)
    }

    /// Whether the image serves TDS (has Babelfish, and BABELFISH_ENABLED is not false).
    public func servesTDS(_ image: String) throws -> Bool {
        let (labels, environment) = try configuration(of: image)
        if environment["BABELFISH_ENABLED"]?.lowercased() == "false" { return false }
        return labels["babelfish-dev.babelfish.version"] != nil
    }

    /// A new image: `base` with Dockerfile-style `changes` (LABEL, ENTRYPOINT ...), tagged `tag`.
    public func derive(from base: String, tag: String, changes: [String]) throws {
        let helper = "bbf-test-derive-\(Instant.now().nanoseconds)"
        try must(["create", "--name", helper, base])
        defer { _ = try? run(["rm", "-f", helper]) }
        try must(["commit"] + changes.flatMap { ["--change", $0] } + [helper, tag])
    }

    /// Removes what a test made; what is already gone is fine.
    public func removeQuietly(containers: [String] = [], volumes: [String] = [], images: [String] = []) {
        for container in containers { _ = try? run(["rm", "-f", container]) }
        for volume in volumes { _ = try? run(["volume", "rm", "-f", volume]) }
        for image in images { _ = try? run(["rmi", "-f", image]) }
    }

    public func exists(container name: String) -> Bool {
        (try? run(["container", "inspect", name]))?.status.isSuccess == true
    }

    public func exists(volume name: String) -> Bool {
        (try? run(["volume", "inspect", name]))?.status.isSuccess == true
    }
}
