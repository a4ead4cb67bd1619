import BBFContainer

/// The program that builds images: docker (with BuildKit) or podman.
public struct ContainerEngine: Equatable, Sendable {
    /// Which command-line interface the engine speaks: the engine driver's own kind.
    public typealias Kind = Engine.Kind

    public var kind: Kind
    /// The executable's path.
    public var path: String

    public init(kind: Kind, path: String) {
        self.kind = kind
        self.path = path
    }

    /// Picks the engine: `requested` (a name or a path; `BBF_CONTAINER_ENGINE`
    /// when nil), else docker, else podman, from `PATH` — located by
    /// BBFContainer's `Engine`, the driver `bbf dev` and `bbf bake` use, so a
    /// `docker` that is podman's shim (podman-docker) builds as podman.
    public static func find(requested: String?, environment: [String: String]) throws(BuildToolError) -> ContainerEngine {
        let chosen = (requested ?? environment["BBF_CONTAINER_ENGINE"]).flatMap { $0.isEmpty ? nil : $0 }
        do {
            let engine = try Engine.locate(requested: chosen, environment: environment)
            return ContainerEngine(kind: engine.kind, path: engine.executable)
        } catch {
            throw BuildToolError(
                .containerEngine, error.message + " bbf build needs Docker 20.10+ with BuildKit, or podman 4+ (buildah 1.28+).")
        }
    }
}
