import BBFProcess
import Foundation

/// skopeo: copies images between registries, OCI layouts and local engines,
/// and inspects them, without a daemon or privileges. It reuses blobs the
/// destination already has, so pushing a new top layer uploads only it.
public struct Skopeo: Sendable {
    public var executable: String
    public var environment: [String: String]
    /// false for plain-HTTP (test) registries: `--tls-verify=false`.
    public var tlsVerify: Bool
    /// A registry credentials file (`auth.json` / Docker `config.json` format).
    public var authFile: String?

    public init(environment: [String: String], tlsVerify: Bool = true, authFile: String? = nil) throws(ContainerError) {
        guard let executable = ToolProcess.find(environment["BBF_SKOPEO"] ?? "skopeo", path: environment["PATH"]) else {
            throw ContainerError(
                .tool, "skopeo is not on PATH: install it (apt-get install skopeo; the pipeline image ships it), or set BBF_SKOPEO")
        }
        self.executable = executable
        self.environment = environment
        self.tlsVerify = tlsVerify
        self.authFile = authFile
    }

    /// Copies `source` to `destination`, blobs unchanged.
    public func copy(from source: ImageLocation, to destination: ImageLocation, doing action: String) throws(ContainerError) {
        var arguments = ["copy", "--quiet"]
        if case .registry = source {
            arguments.append("--src-tls-verify=\(tlsVerify)")
            if let authFile { arguments += ["--src-authfile", authFile] }
        }
        if case .registry = destination {
            arguments.append("--dest-tls-verify=\(tlsVerify)")
            if let authFile { arguments += ["--dest-authfile", authFile] }
        }
        if case .dockerDaemon = source, let host = dockerHost { arguments += ["--src-daemon-host", host] }
        if case .dockerDaemon = destination, let host = dockerHost { arguments += ["--dest-daemon-host", host] }
        if case .registry = destination { arguments.append("--preserve-digests") }
        arguments += [source.skopeo, destination.skopeo]
        try run(arguments, doing: action)
    }

    /// DOCKER_HOST, which skopeo's docker-daemon transport does not read by itself.
    var dockerHost: String? { environment["DOCKER_HOST"].flatMap { $0.isEmpty ? nil : $0 } }

    /// `skopeo inspect` (the image's labels, digest, layers), as JSON.
    public func inspect(_ location: ImageLocation, raw: Bool = false, config: Bool = false) throws(ContainerError) -> Data {
        var arguments = ["inspect"]
        if raw { arguments.append("--raw") }
        if config { arguments.append("--config") }
        if case .registry = location {
            arguments.append("--tls-verify=\(tlsVerify)")
            if let authFile { arguments += ["--authfile", authFile] }
        }
        if case .dockerDaemon = location, let host = dockerHost { arguments += ["--daemon-host", host] }
        arguments.append(location.skopeo)
        return try run(arguments, doing: "inspect \(location)").standardOutput
    }

    /// The labels of an image, or nil when it does not exist.
    public func labelsIfPresent(_ location: ImageLocation) throws(ContainerError) -> [String: String]? {
        do {
            let data = try inspect(location)
            struct Inspection: Decodable {
                var labels: [String: String]?
                enum CodingKeys: String, CodingKey { case labels = "Labels" }
            }
            return (try? JSONDecoder().decode(Inspection.self, from: data))?.labels ?? [:]
        } catch let error where error.code == .notFound {
            return nil
        }
    }

    @discardableResult
    func run(_ arguments: [String], doing action: String) throws(ContainerError) -> ToolResult {
        let result: ToolResult
        do {
            result = try ToolProcess.run(executable, arguments, environment: environment)
        } catch {
            throw ContainerError(.tool, "cannot \(action): \(error)")
        }
        guard result.succeeded else {
            let text = result.errorTail(lines: 8)
            let lower = text.lowercased()
            if lower.contains("manifest unknown") || lower.contains("not found") || lower.contains("no such image")
                || lower.contains("does not exist")
            {
                throw ContainerError(.notFound, "cannot \(action): no such image (\(text))")
            }
            if lower.contains("unauthorized") || lower.contains("authentication required") || lower.contains("denied") {
                throw ContainerError(
                    .registry,
                    "cannot \(action): the registry refused the credentials (\(text)). Log in (docker login / podman login, or pass --registry-auth-file; for ECR: bbf bake --ecr-login)."
                )
            }
            if lower.contains("http response to https client") {
                throw ContainerError(
                    .registry, "cannot \(action): the registry speaks plain HTTP: pass --no-tls-verify for a test registry (\(text))")
            }
            if lower.contains("connection refused") || lower.contains("no such host") || lower.contains("i/o timeout") {
                throw ContainerError(.registry, "cannot \(action): the registry is not reachable (\(text))")
            }
            throw ContainerError(.tool, "cannot \(action): skopeo \(result.statusDescription): \(text)")
        }
        return result
    }
}
