import BBFSystem

/// The program that builds images: docker (with BuildKit) or podman.
public struct ContainerEngine: Equatable, Sendable {
    /// Which command-line interface the engine speaks.
    public enum Kind: String, Equatable, Sendable, CaseIterable {
        case docker
        case podman
    }

    public var kind: Kind
    /// The executable's path.
    public var path: String

    public init(kind: Kind, path: String) {
        self.kind = kind
        self.path = path
    }

    /// Picks the engine: `requested` (a name or a path; `BBF_CONTAINER_ENGINE`
    /// when nil), else docker, else podman, from `searchPath`.
    public static func find(requested: String?, environment: [String: String]) throws(BuildToolError) -> ContainerEngine {
        let searchPath = environment["PATH"]
        if let requested = requested ?? environment["BBF_CONTAINER_ENGINE"], !requested.isEmpty {
            guard let path = findExecutable(requested, path: searchPath) else {
                throw BuildToolError(
                    .containerEngine,
                    "container engine \"\(requested)\" is not an executable (on PATH or as a path); pass --engine docker, --engine podman or --engine /path/to/docker."
                )
            }
            let name = requested.split(separator: "/").last.map(String.init) ?? requested
            return ContainerEngine(kind: name.contains("podman") ? .podman : .docker, path: path)
        }
        if let docker = findExecutable("docker", path: searchPath) {
            return ContainerEngine(kind: .docker, path: docker)
        }
        if let podman = findExecutable("podman", path: searchPath) {
            return ContainerEngine(kind: .podman, path: podman)
        }
        throw BuildToolError(
            .containerEngine,
            "neither docker nor podman is on PATH: install one (Docker 20.10+ with BuildKit, or podman 4+/buildah 1.28+), or pass --engine PATH."
        )
    }
}
