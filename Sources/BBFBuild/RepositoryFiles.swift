import BBFSystem

/// Reading and writing repository files: the live implementation works on the
/// file system, tests use an in-memory one.
public protocol RepositoryFiles {
    /// The file's text, or nil when it does not exist.
    func read(_ path: String) throws(BuildToolError) -> String?
    /// Names in a directory, sorted; nil when it does not exist.
    func list(_ path: String) throws(BuildToolError) -> [String]?
    func isDirectory(_ path: String) -> Bool
    /// Writes a file (creating its directory) so that a crash leaves the old or the new content.
    func write(_ path: String, _ text: String) throws(BuildToolError)
}

/// `RepositoryFiles` on the real file system.
public struct LiveRepositoryFiles: RepositoryFiles {
    public init() {}

    public func read(_ path: String) throws(BuildToolError) -> String? {
        do {
            return try FileSystem.readTextIfPresent(path)
        } catch {
            throw BuildToolError(.fileSystem, "cannot read \(path): \(error)")
        }
    }

    public func list(_ path: String) throws(BuildToolError) -> [String]? {
        guard FileSystem.isDirectoryFollowingLinks(path) else { return nil }
        do {
            return try FileSystem.contents(ofDirectory: path)
        } catch {
            throw BuildToolError(.fileSystem, "cannot list \(path): \(error)")
        }
    }

    public func isDirectory(_ path: String) -> Bool {
        FileSystem.isDirectoryFollowingLinks(path)
    }

    public func write(_ path: String, _ text: String) throws(BuildToolError) {
        do {
            try FileSystem.createDirectory(FileSystem.parent(of: path))
            try FileSystem.writeAtomically(path, text, permissions: 0o644)
        } catch {
            throw BuildToolError(.fileSystem, "cannot write \(path): \(error)")
        }
    }
}

/// `RepositoryFiles` in memory, keyed by absolute path.
public final class MemoryRepositoryFiles: RepositoryFiles {
    public var files: [String: String]

    public init(_ files: [String: String] = [:]) {
        self.files = files
    }

    public func read(_ path: String) throws(BuildToolError) -> String? { files[path] }

    public func list(_ path: String) throws(BuildToolError) -> [String]? {
        let prefix = path.hasSuffix("/") ? path : path + "/"
        let names = Set(
            files.keys.filter { $0.hasPrefix(prefix) }.compactMap {
                $0.dropFirst(prefix.count).split(separator: "/").first.map(String.init)
            })
        return names.isEmpty ? nil : names.sorted()
    }

    public func isDirectory(_ path: String) -> Bool {
        let prefix = path.hasSuffix("/") ? path : path + "/"
        return files.keys.contains { $0.hasPrefix(prefix) }
    }

    public func write(_ path: String, _ text: String) throws(BuildToolError) {
        files[path] = text
    }
}

extension RepositoryLayout {
    /// Reads and validates versions.json.
    public func loadVersions(_ files: some RepositoryFiles) throws(BuildToolError) -> Versions {
        guard let text = try files.read(versionsPath) else {
            throw BuildToolError(.unreadableVersions, "\(versionsPath) does not exist (run bbf from the repository, or pass --root)")
        }
        return try Versions.parse(text, fileName: RepositoryLayout.versionsFile)
    }
}
