/// Where things live in the repository, relative to its root.
public struct RepositoryLayout: Equatable, Sendable {
    /// The repository root (absolute, without a trailing slash).
    public var root: String

    public init(root: String) {
        var trimmed = root
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.root = trimmed
    }

    public static let versionsFile = "versions.json"

    public var versionsPath: String { path(RepositoryLayout.versionsFile) }

    /// `root/relative`.
    public func path(_ relative: String) -> String { root + "/" + relative }

    /// The committed Dockerfile of a line and distribution, relative to the root:
    /// `docker/<line>/Dockerfile` for the line's own distribution,
    /// `docker/<line>/<distribution>.Dockerfile` for the others.
    public static func dockerfile(line: String, distribution: String, isLineDefault: Bool) -> String {
        isLineDefault ? "docker/\(line)/Dockerfile" : "docker/\(line)/\(distribution).Dockerfile"
    }

    /// The directory of a line's patches, relative to the root.
    public static func patchesDirectory(line: String) -> String { "patches/\(line)" }

    /// Finds the repository root: the nearest directory at or above `start`
    /// holding both versions.json and Package.swift.
    public static func find(from start: String, exists: (String) -> Bool) -> RepositoryLayout? {
        var directory = RepositoryLayout(root: start).root
        while true {
            let prefix = directory == "/" ? "" : directory
            if exists(prefix + "/" + versionsFile) && exists(prefix + "/Package.swift") {
                return RepositoryLayout(root: directory)
            }
            guard directory != "/", let slash = directory.lastIndex(of: "/") else { return nil }
            directory = slash == directory.startIndex ? "/" : String(directory[..<slash])
        }
    }
}

/// One Dockerfile the generator owns.
public struct DockerfileTarget: Equatable, Sendable {
    public var line: String
    public var distribution: String
    /// Path relative to the repository root.
    public var path: String

    public init(line: String, distribution: String, path: String) {
        self.line = line
        self.distribution = distribution
        self.path = path
    }
}

extension Versions {
    /// Every Dockerfile the generator writes: each line on each distribution.
    public var dockerfileTargets: [DockerfileTarget] {
        lineNames.flatMap { name -> [DockerfileTarget] in
            guard let line = lines[name] else { return [] }
            return dockerfileTargets(line: name, lineDefault: line.distribution)
        }
    }

    /// The Dockerfiles of one line, its own distribution first.
    public func dockerfileTargets(line name: String, lineDefault: String) -> [DockerfileTarget] {
        let order = [lineDefault] + distributionNames.filter { $0 != lineDefault }
        return order.map { distribution in
            DockerfileTarget(
                line: name, distribution: distribution,
                path: RepositoryLayout.dockerfile(line: name, distribution: distribution, isLineDefault: distribution == lineDefault))
        }
    }

    /// The committed Dockerfile for `line` on `distribution` (the line's own when nil).
    public func dockerfileTarget(line name: String, distribution: String?) throws(BuildToolError) -> DockerfileTarget {
        let line = try self.line(named: name)
        let chosen = distribution ?? line.distribution
        _ = try self.distribution(named: chosen)
        return DockerfileTarget(
            line: name, distribution: chosen,
            path: RepositoryLayout.dockerfile(line: name, distribution: chosen, isLineDefault: chosen == line.distribution))
    }
}
