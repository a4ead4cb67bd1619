import BBFSystem
import Foundation

/// The real Docker engine the image tests drive (DOCKER_HOST, or
/// BBF_TEST_DOCKER_HOST when the daemon listens on a private socket).
public struct DockerEngine: Sendable {
    public let executable: String
    public let host: String?

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
        var environment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp"]
        if let host { environment["DOCKER_HOST"] = host }
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
