import BBFContainer
import Foundation

/// The roles dump, prepared for a restore. Pure.
public enum RolesScript {
    /// Removes `\restrict` / `\unrestrict` meta-commands (pg_dump 17.6+ writes
    /// them; the psql of an older minor rejects them). Returns the text and how
    /// many lines went.
    public static func strippingRestrict(_ text: String) -> (text: String, removed: Int) {
        var removed = 0
        var lines: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix("\\restrict") || trimmed.hasPrefix("\\unrestrict") {
                removed += 1
            } else {
                lines.append(line)
            }
        }
        return (lines.joined(separator: "\n"), removed)
    }

    /// Drops `CREATE ROLE x;` for roles that exist already (the superuser in a
    /// plain pg_dumpall); their `ALTER ROLE` lines stay. Returns the text and the roles skipped.
    public static func skippingExisting(_ text: String, existing: Set<String>) -> (text: String, skipped: [String]) {
        var skipped: [String] = []
        var lines: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("CREATE ROLE "), let name = SQLNames.firstIdentifier(in: line.dropFirst("CREATE ROLE ".count)),
                existing.contains(name)
            {
                skipped.append(name)
            } else {
                lines.append(line)
            }
        }
        return (lines.joined(separator: "\n"), skipped)
    }

    /// The roles the script creates (`CREATE ROLE name;`, quoted or not).
    public static func createdRoles(_ text: String) -> [String] {
        var roles: [String] = []
        for line in text.split(separator: "\n") where line.hasPrefix("CREATE ROLE ") {
            if let name = SQLNames.firstIdentifier(in: line.dropFirst("CREATE ROLE ".count)) { roles.append(name) }
        }
        return roles
    }
}

/// Identifier scanning in dump SQL. Pure.
public enum SQLNames {
    /// The identifier at the start of `text`: `"quoted ""name"""` or a bare word.
    public static func firstIdentifier(in text: Substring) -> String? {
        var rest = text.drop { $0 == " " }
        if rest.first == "\"" {
            rest.removeFirst()
            var name = ""
            while let c = rest.first {
                rest.removeFirst()
                if c == "\"" {
                    if rest.first == "\"" {
                        name.append("\"")
                        rest.removeFirst()
                    } else {
                        return name
                    }
                } else {
                    name.append(c)
                }
            }
            return nil
        }
        let word = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "$" }
        return word.isEmpty ? nil : word.lowercased()
    }

    /// The role names a schema-only dump's SQL grants to, revokes from, or
    /// makes owners (`OWNER TO x`, `GRANT ... TO x`, `REVOKE ... FROM x`,
    /// `AUTHORIZATION x`).
    public static func referencedRoles(inSchemaSQL sql: String) -> Set<String> {
        var names: Set<String> = []
        for line in sql.split(separator: "\n") {
            let upper = line.uppercased()
            var markers: [String] = []
            if upper.contains(" OWNER TO ") { markers.append(" OWNER TO ") }
            if upper.hasPrefix("GRANT ") { markers.append(" TO ") }
            if upper.hasPrefix("REVOKE ") { markers.append(" FROM ") }
            if upper.contains(" AUTHORIZATION ") { markers.append(" AUTHORIZATION ") }
            for marker in markers {
                guard let range = upper.range(of: marker, options: .backwards) else { continue }
                let offset = upper.distance(from: upper.startIndex, to: range.upperBound)
                let tail = line.dropFirst(offset)
                for part in tail.split(separator: ",") {
                    if let name = firstIdentifier(in: part), name.lowercased() != "public" { names.insert(name) }
                }
            }
        }
        return names
    }
}

/// Roles Aurora PostgreSQL creates for itself, which a community server lacks.
/// bbf_dumpall leaves them out, but grants to them and objects they own can
/// be in the data dump; the bake creates them as NOLOGIN placeholders.
public enum AuroraRoles {
    public static let builtIn: Set<String> = [
        "rds_superuser", "rds_replication", "rds_password", "rds_iam", "rds_ad", "rds_extension", "rds_reserved",
        "rdsadmin", "rdsrepladmin", "rdstopmgr", "rdsproxyadmin", "rds_aurora_limitless", "rds_superuser_no_bypassrls",
    ]

    /// Which referenced roles to create as placeholders: Aurora's, when missing.
    public static func placeholders(referenced: Set<String>, existing: Set<String>) -> [String] {
        referenced.subtracting(existing).filter { builtIn.contains($0) || $0.hasPrefix("rds_") }.sorted()
    }
}

/// What pg_restore reported. Pure.
public enum RestoreErrors {
    /// Every `pg_restore: error:` line with its `Command was:` context.
    public static func parse(_ stderr: String) -> [String] {
        var errors: [String] = []
        for line in stderr.split(separator: "\n") {
            if line.hasPrefix("pg_restore: error:") {
                errors.append(String(line.dropFirst("pg_restore: error: ".count)))
            } else if line.hasPrefix("Command was:"), let last = errors.popLast() {
                errors.append(last + " [" + line.trimmingCharacters(in: .whitespaces) + "]")
            }
        }
        return errors.filter { !$0.hasPrefix("warning: errors ignored on restore") }
    }

    /// The errors no allow-list pattern matches.
    public static func unallowed(_ errors: [String], allow: [String]) -> [String] {
        errors.filter { error in !allow.contains { error.range(of: $0, options: .regularExpression) != nil } }
    }
}

/// `--login-password-file`: one password for every login, or `login=password`
/// lines (with `*=password` or a lone line as the default). `#` comments. Pure.
public struct LoginPasswords: Equatable, Sendable {
    public var fallback: String?
    public var perLogin: [String: String]

    public init(fallback: String?, perLogin: [String: String]) {
        self.fallback = fallback
        self.perLogin = perLogin
    }

    public static func parse(_ text: String, file: String) throws(PipelineError) -> LoginPasswords {
        var fallback: String?
        var perLogin: [String: String] = [:]
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map {
            $0.trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
        }
        .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        if lines.count == 1, !lines[0].contains("=") {
            return LoginPasswords(fallback: lines[0], perLogin: [:])
        }
        for (index, line) in lines.enumerated() {
            guard let equals = line.firstIndex(of: "="), equals != line.startIndex else {
                throw PipelineError(
                    .invalidArgument,
                    "\(file) line \(index + 1) is not login=password (the file holds one password for every login, or login=password lines; *=password sets the default)"
                )
            }
            let login = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let password = String(line[line.index(after: equals)...])
            guard !password.isEmpty else { throw PipelineError(.invalidArgument, "\(file): the password for \(login) is empty") }
            if login == "*" { fallback = password } else { perLogin[login] = password }
        }
        guard fallback != nil || !perLogin.isEmpty else {
            throw PipelineError(.invalidArgument, "\(file) holds no password: write one password, or login=password lines")
        }
        return LoginPasswords(fallback: fallback, perLogin: perLogin)
    }

    public func password(for login: String) -> String? { perLogin[login.lowercased()] ?? fallback }

    /// The logins that would get no password.
    public func missing(for logins: [String]) -> [String] { logins.filter { password(for: $0) == nil } }
}

/// Push order: dated tags first, moving ones (`latest`) only after them. Pure.
public enum TagOrder {
    public static func ordered(_ tags: [String]) -> [String] {
        func isMoving(_ reference: String) -> Bool {
            guard let parts = ImageReferenceSyntax.parts(reference) else { return false }
            return parts.digest == nil && (parts.tag == nil || parts.tag == "latest")
        }
        return tags.filter { !isMoving($0) } + tags.filter(isMoving)
    }
}

/// What the engine binaries the bake runs are.
public struct EngineFacts: Equatable, Sendable {
    /// MAJOR.MINOR, e.g. "16.3".
    public var postgresVersion: String
    /// babelfishpg_tsql's default_version, nil without Babelfish.
    public var babelfishVersion: String?

    public init(postgresVersion: String, babelfishVersion: String?) {
        self.postgresVersion = postgresVersion
        self.babelfishVersion = babelfishVersion
    }

    /// "PostgreSQL 16.3" (pg_config --version) → "16.3".
    public static func version(fromPgConfig text: String) -> String? {
        DumpTools.majorMinor(ofVersionOutput: text).map { "\($0.0).\($0.1)" }
    }

    /// `default_version = '4.2.0'` in a control file.
    public static func defaultVersion(inControlFile text: String) -> String? {
        for line in text.split(separator: "\n") where line.trimmingCharacters(in: .whitespaces).hasPrefix("default_version") {
            guard let first = line.firstIndex(of: "'"), let last = line.lastIndex(of: "'"), first < last else { continue }
            return String(line[line.index(after: first)..<last])
        }
        return nil
    }
}

/// The checks made before any work: a dump restores only into the same
/// PostgreSQL minor, the same Babelfish version, with or without Babelfish
/// as it was made. Pure.
public enum Compatibility {
    public static func check(
        _ manifest: BackupManifest, archive: String, engine: EngineFacts, baseLabels: [String: String]?, baseName: String
    ) throws(PipelineError) {
        var problems: [String] = []
        if manifest.server.version != engine.postgresVersion {
            problems.append(
                "it was dumped from PostgreSQL \(manifest.server.version), but this engine is PostgreSQL \(engine.postgresVersion); a bbf_dump restores only into the same minor version (its roles dump checks server_version_num). Bake it with the pipeline image of PostgreSQL \(manifest.server.version), or back up DEV again after it moves."
            )
        }
        switch (manifest.babelfish, engine.babelfishVersion) {
        case (let dumped?, let installed?) where dumped.version != installed:
            problems.append(
                "it was dumped from Babelfish \(dumped.version), but this engine has Babelfish \(installed): use the pipeline image of Babelfish \(dumped.version)."
            )
        case (.some, nil):
            problems.append("it is a Babelfish dump, but this engine has no Babelfish (babelfishpg_tsql is not installed).")
        case (nil, .some):
            problems.append("it is a plain PostgreSQL dump (made with --plain-postgres): bake it with --plain-postgres on a plain engine.")
        default:
            break
        }
        if let labels = baseLabels {
            if let version = labels["babelfish-dev.postgresql.version"], version != manifest.server.version {
                problems.append(
                    "the base image \(baseName) is PostgreSQL \(version), not \(manifest.server.version): pass --base-image of the same line as the dump."
                )
            }
            if let version = labels["babelfish-dev.babelfish.version"], let dumped = manifest.babelfish?.version, version != dumped {
                problems.append(
                    "the base image \(baseName) has Babelfish \(version), not \(dumped): pass --base-image of the same line as the dump.")
            }
        }
        guard problems.isEmpty else {
            throw PipelineError(.incompatible, "refusing \(archive): " + problems.joined(separator: " Also, "))
        }
    }
}

/// `bbf-snapshot.json` in the data directory: which DEV snapshot a volume was seeded from.
public struct SnapshotRecord: Codable, Equatable, Sendable {
    public static let fileName = "bbf-snapshot.json"

    public var format = "bbf-snapshot"
    public var formatVersion = 1
    public var archive: String
    public var archiveSHA256: String
    /// When DEV was dumped.
    public var snapshotCreatedAt: String
    public var bakedAt: String
    public var sourceHost: String
    public var sourceDatabase: String
    public var serverVersion: String
    public var babelfishVersion: String?
    public var migrationMode: String?
    public var tool: String

    public init(
        archive: String, archiveSHA256: String, snapshotCreatedAt: String, bakedAt: String, sourceHost: String, sourceDatabase: String,
        serverVersion: String, babelfishVersion: String?, migrationMode: String?, tool: String
    ) {
        self.archive = archive
        self.archiveSHA256 = archiveSHA256
        self.snapshotCreatedAt = snapshotCreatedAt
        self.bakedAt = bakedAt
        self.sourceHost = sourceHost
        self.sourceDatabase = sourceDatabase
        self.serverVersion = serverVersion
        self.babelfishVersion = babelfishVersion
        self.migrationMode = migrationMode
        self.tool = tool
    }
}

/// The labels a data-loaded image carries (docker inspect, skopeo inspect).
public enum SnapshotLabels {
    public static let archive = "babelfish-dev.snapshot.archive"
    public static let sha256 = "babelfish-dev.snapshot.sha256"
    public static let created = "babelfish-dev.snapshot.created"
    public static let source = "babelfish-dev.snapshot.source"
    public static let serverVersion = "babelfish-dev.snapshot.server-version"
    public static let migrationMode = "babelfish-dev.snapshot.migration-mode"
    public static let initializeLogin = "babelfish-dev.snapshot.initialize-login"
    public static let logins = "babelfish-dev.snapshot.logins"
    public static let passwords = "babelfish-dev.snapshot.passwords"
    public static let baseDigest = "babelfish-dev.base.digest"
    public static let baseImage = "babelfish-dev.base.image"
    public static let bakedBy = "babelfish-dev.bake.tool"

    public static func make(
        record: ArchiveRecord, bakedAt: String, baseDigest baseDigestValue: String, baseImage baseImageValue: String,
        passwordSource: String,
        tool: String
    ) -> [String: String] {
        let manifest = record.manifest
        var labels = [
            archive: record.archive,
            sha256: record.sha256,
            created: manifest.createdAt,
            source: "\(manifest.source.host)/\(manifest.source.database)",
            serverVersion: manifest.server.version,
            passwords: passwordSource,
            Self.baseDigest: baseDigestValue,
            Self.baseImage: baseImageValue,
            bakedBy: tool,
            "org.opencontainers.image.created": bakedAt,
            "org.opencontainers.image.title": "Babelfish developer database (DEV snapshot)",
            "org.opencontainers.image.description":
                "The engine image plus DEV's data as of \(manifest.createdAt) (\(record.archive)); run it with a named volume at /var/lib/babelfish/data",
        ]
        if let babelfish = manifest.babelfish {
            labels[migrationMode] = babelfish.migrationMode
            labels[initializeLogin] = babelfish.initializeLogin
            labels[logins] = ([babelfish.initializeLogin] + babelfish.logins.filter { $0 != babelfish.initializeLogin }).joined(
                separator: ",")
        }
        return labels
    }
}
