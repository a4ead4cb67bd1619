import BBFSystem

/// The PostgreSQL whose `postgres` comes first on PATH.
public struct PostgresInstallation: Equatable, Sendable {
    public var binDirectory: String
    /// e.g. "17.5".
    public var version: String
    public var major: Int
    /// `pg_config --sharedir`, when pg_config is there.
    public var shareDirectory: String?
    /// `pg_config --pkglibdir`, when pg_config is there.
    public var libraryDirectory: String?

    public var postgres: String { binDirectory + "/postgres" }

    /// The Babelfish extensions and what they need, by control file.
    public static let babelfishExtensions = ["babelfishpg_common", "babelfishpg_money", "babelfishpg_tds", "babelfishpg_tsql", "uuid-ossp"]

    /// Finds `postgres` on `path` and asks the `pg_config` beside it (0.6 ms)
    /// rather than `postgres --version` (7 ms) for the version.
    public static func locate(path: String?) throws -> PostgresInstallation {
        guard let postgres = findExecutable("postgres", path: path) else {
            throw EntrypointError(
                .installation,
                "no postgres executable on PATH (\(path ?? "unset")). Put the bin directory of a PostgreSQL + Babelfish build first on PATH."
            )
        }
        let binDirectory = FileSystem.parent(of: postgres)
        let pgConfig = binDirectory + "/pg_config"
        if FileSystem.exists(pgConfig) {
            let output = try runTool(pgConfig, ["--version", "--sharedir", "--pkglibdir"])
            let lines = output.split(whereSeparator: \.isNewline).map { String($0).trimmedWhitespace() }
            guard lines.count >= 3, let version = parseVersion(lines[0]) else {
                throw EntrypointError(.installation, "\(pgConfig) printed something unexpected: \(output)")
            }
            return PostgresInstallation(
                binDirectory: binDirectory, version: version.full, major: version.major,
                shareDirectory: lines[1], libraryDirectory: lines[2])
        }
        let output = try runTool(postgres, ["--version"])
        guard let version = parseVersion(output) else {
            throw EntrypointError(.installation, "\(postgres) --version printed something unexpected: \(output)")
        }
        return PostgresInstallation(binDirectory: binDirectory, version: version.full, major: version.major)
    }

    /// A program of this installation (initdb, psql, ...).
    public func tool(_ name: String) throws -> String {
        let candidate = binDirectory + "/" + name
        guard FileSystem.exists(candidate) else {
            throw EntrypointError(.installation, "\(candidate) is missing: the PostgreSQL installation in \(binDirectory) is incomplete.")
        }
        return candidate
    }

    /// Babelfish files missing from this installation (empty when complete or unknown).
    public func missingBabelfishFiles() -> [String] {
        guard let shareDirectory, let libraryDirectory else { return [] }
        var missing: [String] = []
        for name in Self.babelfishExtensions {
            let control = "\(shareDirectory)/extension/\(name).control"
            if !FileSystem.exists(control) { missing.append(control) }
        }
        let library = "\(libraryDirectory)/babelfishpg_tds.so"
        if !FileSystem.exists(library) { missing.append(library) }
        return missing
    }

    /// The `default_version` of an extension's control file.
    public func defaultVersion(ofExtension name: String) -> String? {
        guard let shareDirectory,
            let text = try? FileSystem.readTextIfPresent("\(shareDirectory)/extension/\(name).control")
        else { return nil }
        return ConfigurationFile.lastValue(of: "default_version", in: ConfigurationFile.parse(text))
    }

    /// "PostgreSQL 15.18 (Debian ...)" or "postgres (PostgreSQL) 17.5" -> ("15.18", 15).
    static func parseVersion(_ text: String) -> (full: String, major: Int)? {
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            guard let first = word.first, first.isNumber else { continue }
            let digits = word.prefix { $0.isNumber || $0 == "." }
            guard let major = Int(digits.split(separator: ".").first ?? "") else { continue }
            return (String(digits), major)
        }
        return nil
    }

    /// Runs a tool of the installation with its own bin directory first on
    /// PATH: pg_config and postgres find their installation from argv[0],
    /// which is a bare name, so another pg_config earlier on PATH would
    /// answer for a different installation.
    private static func runTool(_ executable: String, _ arguments: [String]) throws -> String {
        var environment = ProcessEnvironment.current()
        environment["PATH"] = FileSystem.parent(of: executable) + (environment["PATH"].map { ":" + $0 } ?? "")
        do {
            return try Command.output(executable, arguments, environment: environment)
        } catch {
            throw EntrypointError(.installation, "\(error)")
        }
    }
}
