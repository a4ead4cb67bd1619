import BBFProcess
import BBFSystem
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The local container engine's command-line interface: docker, or podman
/// (which speaks the same verbs; the differences are handled here). Every
/// call is one child process through `ToolProcess`; secrets reach the child
/// through its environment (`-e NAME`), never through its arguments.
public struct Engine: Sendable {
    public enum Kind: String, Equatable, Sendable, CaseIterable {
        case docker
        case podman

        /// Whether this engine, its server at `serverVersion`, takes a health
        /// check's start interval (`HEALTHCHECK --start-interval`, `run
        /// --health-start-interval`): Docker 25.0 and later. Debian 12's
        /// docker.io 20.10 and podman 4.3 refuse the flag; podman is not
        /// counted until a version that takes it is verified.
        public func takesHealthStartInterval(serverVersion: String?) -> Bool {
            guard self == .docker, let serverVersion, let major = Int(serverVersion.prefix { $0.isNumber }) else { return false }
            return major >= 25
        }
    }

    public var kind: Kind
    public var executable: String
    /// The engine CLI's environment (DOCKER_HOST, CONTAINER_HOST, DOCKER_CONFIG, HOME, ...).
    public var environment: [String: String]

    public init(kind: Kind, executable: String, environment: [String: String]) {
        self.kind = kind
        self.executable = executable
        self.environment = environment
    }

    /// The engine to drive: `requested` ("docker", "podman" or a path), else
    /// docker, else podman on PATH. A `docker` that is podman's shim counts as podman.
    public static func locate(requested: String?, environment: [String: String]) throws(ContainerError) -> Engine {
        let path = environment["PATH"]
        if let requested, !requested.isEmpty {
            guard let executable = ToolProcess.find(requested, path: path) else {
                throw ContainerError(
                    .engine,
                    "the container engine \"\(requested)\" is not installed (not on PATH, or not an executable): install it, or name another one (--engine docker, --engine podman, --engine /path/to/docker)."
                )
            }
            return Engine(kind: kind(of: executable, environment: environment), executable: executable, environment: environment)
        }
        if let docker = ToolProcess.find("docker", path: path) {
            return Engine(kind: kind(of: docker, environment: environment), executable: docker, environment: environment)
        }
        if let podman = ToolProcess.find("podman", path: path) {
            return Engine(kind: .podman, executable: podman, environment: environment)
        }
        throw ContainerError(
            .engine,
            "no container engine is installed: neither docker nor podman is on PATH. Install Docker (Docker Desktop, or apt-get install docker.io) or podman, or pass --engine /path/to/it."
        )
    }

    static func kind(of executable: String, environment: [String: String]) -> Kind {
        let name = (executable as NSString).lastPathComponent
        if name.contains("podman") { return .podman }
        // podman-docker installs a `docker` that runs podman.
        if let result = try? ToolProcess.run(executable, ["--version"], environment: environment),
            result.output.lowercased().contains("podman")
        {
            return .podman
        }
        return .docker
    }

    public var name: String { kind.rawValue }

    // MARK: - the engine itself

    /// The engine's server version; a clear error when it is not running.
    public func info() throws(ContainerError) -> String {
        // `docker version`, not `docker info`: with no daemon, Docker 20.10's
        // `info --format` prints a template error instead of "Cannot connect".
        let arguments = kind == .docker ? ["version", "--format", "{{.Server.Version}}"] : ["info", "--format", "{{.Version.Version}}"]
        let result = try run(arguments, doing: "ask \(name) whether it is running")
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The message for an engine that is installed but does not answer, or nil.
    func notRunningMessage(_ stderr: String) -> String? {
        let lower = stderr.lowercased()
        let host = environment[kind == .docker ? "DOCKER_HOST" : "CONTAINER_HOST"].flatMap { $0.isEmpty ? nil : $0 }
        if lower.contains("permission denied") && (lower.contains("docker.sock") || lower.contains("daemon socket")) {
            return
                "\(executable) may not talk to the Docker daemon (permission denied on its socket): add yourself to the docker group (sudo usermod -aG docker $USER, then log in again), or use rootless Docker or podman."
        }
        if lower.contains("cannot connect to the docker daemon") || lower.contains("is the docker daemon running")
            || lower.contains("error during connect")
        {
            return
                "Docker is installed (\(executable)) but its daemon is not running\(host.map { " at \($0)" } ?? ""): start it (Docker Desktop, or sudo systemctl start docker)\(host == nil ? "" : ", or fix DOCKER_HOST"), then run the command again."
        }
        if lower.contains("cannot connect to podman") || lower.contains("unable to connect to podman")
            || lower.contains("podman machine")
        {
            return
                "podman is installed (\(executable)) but does not answer\(host.map { " at \($0)" } ?? ""): start it (podman machine start on macOS and Windows), then run the command again."
        }
        return nil
    }

    // MARK: - images

    /// `image inspect`, or nil when the image is not in the local store.
    public func imageInspect(_ reference: String) throws(ContainerError) -> ImageInspection? {
        guard let result = try runIfPresent(["image", "inspect", reference], doing: "inspect the image \(reference)") else { return nil }
        return try ImageInspection.decode(result.standardOutput)
    }

    /// `pull`, its progress lines handed to `progress`.
    public func pull(_ reference: String, progress: @escaping @Sendable (String) -> Void) throws(ContainerError) {
        try run(["pull", reference], doing: "pull \(reference)", output: .lines(progress))
    }

    /// `tag SOURCE TARGET`.
    public func tag(_ source: String, _ target: String) throws(ContainerError) {
        try run(["tag", source, target], doing: "tag \(source) as \(target)")
    }

    /// `login --password-stdin`: the password goes to the child's standard input.
    public func login(registry: String, username: String, password: String) throws(ContainerError) {
        try run(
            ["login", "--username", username, "--password-stdin", registry], doing: "log \(name) in to \(registry)",
            input: Data(password.utf8))
    }

    // MARK: - containers

    /// `container inspect`, or nil when there is no such container.
    public func containerInspect(_ name: String) throws(ContainerError) -> ContainerInspection? {
        guard let result = try runIfPresent(["container", "inspect", name], doing: "inspect the container \(name)") else { return nil }
        return try ContainerInspection.decode(result.standardOutput)
    }

    /// `create`: returns the new container's id. `secrets` are the values of
    /// `spec.environmentNames` that are not in `spec.environment`; they reach
    /// the engine CLI through its own environment only.
    @discardableResult
    public func create(_ spec: ContainerSpec, secrets: [String: String] = [:]) throws(ContainerError) -> String {
        var childEnvironment = environment
        childEnvironment.merge(secrets) { $1 }
        let result = try run(
            spec.createArguments(engine: kind), doing: "create the container \(spec.name)", environment: childEnvironment)
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `start`. podman's start leaves conmon running, and conmon inherits the
    /// CLI's descriptors, among them the one Foundation.Process watches to see
    /// its child end: through ToolProcess, this call would return only when
    /// the container stops. So this one child is a plain fork/exec with
    /// waitpid (BBFSystem), its output in a file.
    public func start(_ name: String) throws(ContainerError) {
        let action = "start the container \(name)"
        let log = NSTemporaryDirectory() + "bbf-engine-start-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
        defer { unlink(log) }
        let descriptor = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ContainerError(.engine, "cannot \(action): cannot create \(log)") }
        let status: TerminationStatus
        do {
            defer { close(descriptor) }
            let child = try ChildProcess.spawn(
                executable: executable, arguments: ["start", name], environment: environment, stdin: .null, stdout: .null,
                stderr: .descriptor(descriptor), killWithParent: false)
            status = child.wait()
        } catch {
            throw ContainerError(.engine, "cannot \(action): \(error)")
        }
        guard status.isSuccess else {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            let tail = text.split(separator: "\n", omittingEmptySubsequences: true).suffix(8).joined(separator: "\n")
            throw failure(text: tail, status: status.description, doing: action)
        }
    }

    /// `stop -t`: the image's stop signal (SIGINT: a fast PostgreSQL shutdown), SIGKILL after `timeoutSeconds`.
    public func stop(_ name: String, timeoutSeconds: Int = 60) throws(ContainerError) {
        try run(["stop", "-t", String(timeoutSeconds), name], doing: "stop the container \(name)", output: .discard)
    }

    /// `rm` (`-f`: stop it first, at once). A missing container is not an error.
    public func remove(_ name: String, force: Bool = false) throws(ContainerError) {
        _ = try runIfPresent(["rm"] + (force ? ["-f"] : []) + [name], doing: "remove the container \(name)")
    }

    /// `exec`: runs a command in a running container and returns how it ended
    /// (a failing command is a result, not an error).
    public func exec(_ name: String, _ command: [String], user: String? = nil) throws(ContainerError) -> ToolResult {
        var arguments = ["exec"]
        if let user { arguments += ["--user", user] }
        arguments += [name] + command
        return try launch(arguments, doing: "run \(command.first ?? "") in \(name)")
    }

    /// The last lines of a container's output (both streams).
    public func logs(_ name: String, tail: Int) -> String {
        guard let result = try? ToolProcess.run(executable, ["logs", "--tail", String(tail), name], environment: environment) else {
            return ""
        }
        return (result.output + result.standardError).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The host ports each running container publishes (`ps`), by container name.
    public func publishedPorts() -> [String: [Int]] {
        guard let result = try? launch(["ps", "--format", "{{.Names}}\t{{.Ports}}"], doing: "list containers"), result.succeeded else {
            return [:]
        }
        return Self.parsePublishedPorts(result.output)
    }

    /// Parses `NAME<TAB>127.0.0.1:1434->1433/tcp, 0.0.0.0:5432->5432/tcp` lines. Pure.
    static func parsePublishedPorts(_ text: String) -> [String: [Int]] {
        var result: [String: [Int]] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "\t", maxSplits: 1).map(String.init)
            guard fields.count == 2 else { continue }
            for mapping in fields[1].split(separator: ",") {
                guard let arrow = mapping.range(of: "->") else { continue }
                let host = mapping[..<arrow.lowerBound]
                guard let colon = host.lastIndex(of: ":") else { continue }
                let ports = host[host.index(after: colon)...].split(separator: "-").compactMap { Int($0) }
                if let first = ports.first { result[fields[0], default: []].append(contentsOf: first...(ports.last ?? first)) }
            }
        }
        return result
    }

    /// `cp SOURCE DESTINATION` (`CONTAINER:PATH` on either side).
    public func copy(_ source: String, _ destination: String) throws(ContainerError) {
        try run(["cp", source, destination], doing: "copy \(source) to \(destination)")
    }

    /// A throwaway container (`run --rm`, no network) from `image`: for
    /// reading or writing a volume while the instance is stopped.
    public func runThrowaway(
        image: String, volumes: [ContainerSpec.VolumeMount], user: String? = nil, entrypoint: String, arguments: [String],
        inputFile: String? = nil, output: ToolOutput = .capture, doing action: String
    ) throws(ContainerError) -> ToolResult {
        var command = ["run", "--rm", "--network", "none", "--no-healthcheck"]
        if inputFile != nil { command.append("-i") }
        if let user { command += ["--user", user] }
        for volume in volumes { command += ["-v", volume.argument] }
        command += ["--entrypoint", entrypoint, image] + arguments
        let result = try launch(command, doing: action, inputFile: inputFile, output: output)
        guard result.succeeded else {
            throw ContainerError(.engine, "cannot \(action): \(name) run \(result.statusDescription): \(result.errorTail(lines: 8))")
        }
        return result
    }

    // MARK: - volumes

    public func volumeInspect(_ name: String) throws(ContainerError) -> VolumeInspection? {
        guard let result = try runIfPresent(["volume", "inspect", name], doing: "inspect the volume \(name)") else { return nil }
        return try VolumeInspection.decode(result.standardOutput)
    }

    public func volumeCreate(_ name: String, labels: [String: String] = [:]) throws(ContainerError) {
        var arguments = ["volume", "create"]
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) { arguments += ["--label", "\(key)=\(value)"] }
        try run(arguments + [name], doing: "create the volume \(name)", output: .discard)
    }

    /// `volume rm`. Only the developer commands that were asked to drop a volume call it.
    public func volumeRemove(_ name: String) throws(ContainerError) {
        _ = try runIfPresent(["volume", "rm", name], doing: "remove the volume \(name)")
    }

    // MARK: - running the CLI

    @discardableResult
    func run(
        _ arguments: [String], doing action: String, environment childEnvironment: [String: String]? = nil, input: Data? = nil,
        output: ToolOutput = .capture
    ) throws(ContainerError) -> ToolResult {
        let result = try launch(arguments, doing: action, environment: childEnvironment, input: input, output: output)
        guard result.succeeded else { throw failure(result, doing: action) }
        return result
    }

    /// Like `run`, but nil when the engine says there is no such object.
    func runIfPresent(_ arguments: [String], doing action: String) throws(ContainerError) -> ToolResult? {
        let result = try launch(arguments, doing: action)
        if result.succeeded { return result }
        if Self.saysNotFound(result.standardError) { return nil }
        throw failure(result, doing: action)
    }

    func launch(
        _ arguments: [String], doing action: String, environment childEnvironment: [String: String]? = nil, input: Data? = nil,
        inputFile: String? = nil, output: ToolOutput = .capture
    ) throws(ContainerError) -> ToolResult {
        do {
            return try ToolProcess.run(
                executable, arguments, environment: childEnvironment ?? environment, input: input, inputFile: inputFile,
                standardOutput: output)
        } catch {
            throw ContainerError(.engine, "cannot \(action): \(error)")
        }
    }

    static func saysNotFound(_ stderr: String) -> Bool {
        let lower = stderr.lowercased()
        return lower.contains("no such container") || lower.contains("no such image") || lower.contains("no such volume")
            || lower.contains("no such object") || lower.contains("image not known") || lower.contains("no container with name")
            || lower.contains("volume not found") || (lower.contains("no such") && lower.contains("not found"))
    }

    func failure(_ result: ToolResult, doing action: String) -> ContainerError {
        failure(text: result.errorTail(lines: 8), status: result.statusDescription, doing: action)
    }

    func failure(text: String, status: String, doing action: String) -> ContainerError {
        if let message = notRunningMessage(text) { return ContainerError(.engine, message) }
        if Self.saysNotFound(text) { return ContainerError(.notFound, "cannot \(action): \(text)") }
        let lower = text.lowercased()
        // Registry refusals only: "OCI permission denied" and the like are not about credentials.
        if lower.contains("unauthorized") || lower.contains("authentication required") || lower.contains("denied: ")
            || lower.contains("access to the resource is denied") || lower.contains("no basic auth credentials")
        {
            return ContainerError(
                .registry,
                "cannot \(action): the registry refused (\(text)). Log in first (\(name) login REGISTRY; for Amazon ECR: bbf dev login ecr)."
            )
        }
        if lower.contains("manifest unknown") || lower.contains("not found: manifest") || lower.contains("manifest for")
            || lower.contains("repository does not exist")
        {
            return ContainerError(.notFound, "cannot \(action): the registry has no such image (\(text))")
        }
        if lower.contains("no space left on device") {
            return ContainerError(
                .engine,
                "cannot \(action): the engine's disk is full (\(text)). Free space: \(name) system df shows what uses it; \(name) image prune and \(name) builder prune remove unused images and build cache (named volumes are kept)."
            )
        }
        return ContainerError(.engine, "cannot \(action): \(name) \(status): \(text)")
    }
}

extension ContainerError {
    /// The engine could not publish a host port (another program or container holds it).
    public var isPortConflict: Bool {
        let lower = message.lowercased()
        return lower.contains("port is already allocated") || lower.contains("address already in use")
            || lower.contains("bind: address already")
    }
}

/// What `create` makes: a container of one image with named volumes,
/// published ports, labels and environment variables. Pure.
public struct ContainerSpec: Equatable, Sendable {
    public struct VolumeMount: Equatable, Sendable {
        public var volume: String
        public var path: String
        public var readOnly: Bool

        public init(volume: String, path: String, readOnly: Bool = false) {
            self.volume = volume
            self.path = path
            self.readOnly = readOnly
        }

        var argument: String { "\(volume):\(path)" + (readOnly ? ":ro" : "") }
    }

    public struct Port: Equatable, Sendable, Hashable {
        public var hostAddress: String
        public var hostPort: Int
        public var containerPort: Int

        public init(hostAddress: String, hostPort: Int, containerPort: Int) {
            self.hostAddress = hostAddress
            self.hostPort = hostPort
            self.containerPort = containerPort
        }

        var argument: String {
            let address = hostAddress.contains(":") ? "[\(hostAddress)]" : hostAddress
            return (address.isEmpty ? "" : address + ":") + "\(hostPort):\(containerPort)"
        }
    }

    public var name: String
    public var image: String
    public var labels: [String: String] = [:]
    public var volumes: [VolumeMount] = []
    public var ports: [Port] = []
    /// Variables whose values are fine in the container's configuration and argv.
    public var environment: [String: String] = [:]
    /// Variables passed as `-e NAME`: the value comes from the engine CLI's environment.
    public var environmentNames: [String] = []
    /// `/dev/shm` size (PostgreSQL's parallel queries use it; the engines' default is 64 MB).
    public var shmSize: String?
    /// `--health-start-interval`: how often the engine probes the image's own
    /// health check during its start period (Docker 25 and later; see
    /// `Engine.Kind.takesHealthStartInterval`). Only the interval changes: the
    /// engine keeps the image's command, interval, timeout and retries.
    public var healthStartInterval: String?

    public init(name: String, image: String) {
        self.name = name
        self.image = image
    }

    public func createArguments(engine: Engine.Kind) -> [String] {
        var arguments = ["create", "--name", name]
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) { arguments += ["--label", "\(key)=\(value)"] }
        for volume in volumes { arguments += ["-v", volume.argument] }
        for port in ports { arguments += ["-p", port.argument] }
        for (key, value) in environment.sorted(by: { $0.key < $1.key }) { arguments += ["-e", "\(key)=\(value)"] }
        for key in environmentNames.sorted() { arguments += ["-e", key] }
        if let shmSize { arguments += ["--shm-size", shmSize] }
        if let healthStartInterval, engine == .docker { arguments += ["--health-start-interval", healthStartInterval] }
        arguments.append(image)
        return arguments
    }
}
