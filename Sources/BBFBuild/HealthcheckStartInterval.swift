import BBFContainer
import BBFProcess

/// `HEALTHCHECK --start-interval`: during the start period the engine probes
/// at this shorter interval, so `docker ps` says `healthy` within a second of
/// the server being ready instead of after the first full interval (10 s).
/// Docker 25 and later build and honour it; Debian 12's docker.io 20.10 and
/// podman 4.3 refuse the whole Dockerfile ("flag provided but not defined:
/// -start-interval"). So the committed Dockerfiles never carry it, and
/// `bbf build` adds it to the staged copy only for an engine that takes it.
public enum HealthcheckStartInterval {
    public static let flag = "--start-interval=1s"

    /// Whether an engine of `kind` whose server is `serverVersion` builds a
    /// Dockerfile with the flag: Docker 25.0 or later. Podman: not until it is
    /// verified (4.3.1 refuses it).
    public static func supported(kind: ContainerEngine.Kind, serverVersion: String?) -> Bool {
        kind.takesHealthStartInterval(serverVersion: serverVersion)
    }

    /// `dockerfile` with the flag added to its HEALTHCHECK instructions (one
    /// per engine runtime stage); unchanged where one has none or already has it.
    public static func adding(to dockerfile: String) -> String {
        dockerfile.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            guard line.hasPrefix("HEALTHCHECK "), !line.hasPrefix("HEALTHCHECK NONE"), !line.contains("--start-interval") else {
                return String(line)
            }
            return "HEALTHCHECK " + flag + " " + line.dropFirst("HEALTHCHECK ".count)
        }.joined(separator: "\n")
    }

    /// What the build says about it, for the summary.
    public static func remark(kind: ContainerEngine.Kind, serverVersion: String?) -> String {
        let engine = "\(kind.rawValue) \(serverVersion ?? "(server version unknown)")"
        return supported(kind: kind, serverVersion: serverVersion)
            ? "health check: HEALTHCHECK \(flag) added for \(engine): healthy within a second of being ready"
            : "health check: \(engine) does not take HEALTHCHECK --start-interval (Docker 25+ does), so the first probe comes after the 10 s interval; bbf dev up waits on readiness itself"
    }
}

extension ContainerEngine {
    /// The engine's server version (`docker version` / `podman version`), nil when it does not say.
    public func serverVersion(environment: [String: String]) -> String? {
        guard
            let result = try? ProcessRunner.run(
                path, ["version", "--format", "{{.Server.Version}}"], environment: environment, timeout: Self.infoTimeout),
            result.status.isSuccess
        else { return nil }
        let version = result.standardOutput.trimmed()
        return version.isEmpty || version == "<no value>" ? nil : version
    }
}
