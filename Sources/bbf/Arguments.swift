import ArgumentParser
import BBFBuild

// Values the bbf options take, so that ArgumentParser checks them and
// `--help` lists the choices.

extension SourceLayout: ExpressibleByArgument {}

extension ImageTarget: ExpressibleByArgument {}

extension DockerfileRenderer.Runtime: ExpressibleByArgument {}

extension TargetPlatform: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(parsing: argument)
    }
}

/// `--engine`: docker, podman, or the name or path of either.
struct EngineArgument: ExpressibleByArgument {
    var value: String

    init?(argument: String) {
        guard !argument.isEmpty else { return nil }
        value = argument
    }

    static var allValueStrings: [String] { ContainerEngine.Kind.allCases.map(\.rawValue) }
}

extension ImageOverrides {
    /// `--base` values parsed, or a usage error naming the bad one.
    static func validated(_ values: [String]) throws -> ImageOverrides {
        do {
            return try ImageOverrides.parse(values)
        } catch {
            throw ValidationError(error.message)
        }
    }
}
