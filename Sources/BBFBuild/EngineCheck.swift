import BBFProcess

/// Whether the container engine can build before a long build starts:
/// `docker info` / `podman info`, turned into what is wrong and what to do.
extension ContainerEngine {
    /// Seconds `info` may take (an unreachable DOCKER_HOST can hang).
    public static let infoTimeout = 30.0

    /// Runs `<engine> info`; throws when the engine cannot build.
    public func checkAvailable(environment: [String: String]) throws(BuildToolError) {
        let result: ProcessResult
        do {
            result = try ProcessRunner.run(path, ["info"], environment: environment, timeout: Self.infoTimeout)
        } catch {
            throw BuildToolError(.containerEngine, "cannot run \(path) info: \(error); pass --engine with a working docker or podman.")
        }
        if let problem = unavailability(result) { throw problem }
    }

    /// What a failed `info` means, or nil when it succeeded.
    public func unavailability(_ result: ProcessResult) -> BuildToolError? {
        let other = kind == .docker ? "podman" : "docker"
        if result.timedOut {
            return BuildToolError(
                .containerEngine,
                "\(path) info did not answer within \(Int(Self.infoTimeout)) s: the \(kind == .docker ? "Docker daemon (or DOCKER_HOST)" : "podman service") is not responding. Fix it, or pass --engine \(other)."
            )
        }
        guard !result.status.isSuccess else { return nil }
        let said = (result.standardError + result.standardOutput).split(separator: "\n").map { String($0).trimmed() }
        // Docker 20.10 prints "Server:\nERROR: Cannot connect ..." on standard output
        // and only "errors pretty printing info" on standard error: the daemon's
        // own words first, then any error line.
        let message =
            (said.first { $0.contains("Cannot connect") || $0.lowercased().contains("permission denied") }
            ?? said.first { $0.lowercased().contains("error") } ?? said.last ?? "").droppingPrefix("ERROR: ")
        let quoted = message.isEmpty ? "" : " (\(kind.rawValue) info: \(message))"
        if kind == .docker && (message.contains("Cannot connect to the Docker daemon") || message.contains("Is the docker daemon running"))
        {
            return BuildToolError(
                .containerEngine,
                "the Docker daemon is not running\(quoted): start it (e.g. sudo systemctl start docker), or pass --engine podman (or --engine PATH for another engine)."
            )
        }
        if kind == .docker && message.lowercased().contains("permission denied") {
            return BuildToolError(
                .containerEngine,
                "cannot reach the Docker daemon: permission denied on its socket\(quoted): add your user to the docker group and log in again, or pass --engine podman."
            )
        }
        return BuildToolError(
            .containerEngine, "\(path) info \(result.status)\(quoted): the engine cannot build. Fix it, or pass --engine \(other).")
    }
}

extension String {
    fileprivate func droppingPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}
