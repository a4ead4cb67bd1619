import BBFImage

/// How host (TCP) connections authenticate, written to pg_hba.conf at initialization.
public enum HostAuthMethod: String, Sendable, CaseIterable {
    case md5
    case password
    case trust
    case scramSHA256 = "scram-sha-256"
    case gss
}

/// `babelfishpg_tsql.migration_mode`.
public enum MigrationMode: String, Sendable, CaseIterable {
    case multiDB = "multi-db"
    case singleDB = "single-db"
}

/// Whether the temporary init server skips fsync (one sync of the whole
/// directory at the end instead). Both are crash-safe: the initialization
/// marker is only removed after everything is on disk.
public enum InitDurability: String, Sendable, CaseIterable {
    case relaxed
    case strict
}

/// The entrypoint's settings, read from the environment.
public struct EntrypointConfiguration: Equatable, Sendable {
    public var dataDirectory = ImageFacts.dataDirectory
    public var superuser = "postgres"
    public var superuserPassword: String?
    /// POSTGRES_DB when it names a database other than "postgres".
    public var extraDatabase: String?
    public var initdbArguments: [String] = []
    public var hostAuthMethod = HostAuthMethod.md5
    public var socketDirectory = ImageFacts.socketDirectory
    public var babelfishEnabled = true
    public var babelfishUser = "babelfish_user"
    public var babelfishPassword: String?
    public var babelfishDatabase = "babelfish_db"
    public var migrationMode = MigrationMode.multiDB
    /// `babelfishpg_tsql.server_collation_name`; nil keeps Babelfish's default.
    public var collation: String?
    public var tdsPort = ImageFacts.tdsPort
    public var initScriptsDirectory = ImageFacts.initScriptsDirectory
    public var durability = InitDurability.relaxed
    /// Fault injection for tests: `<step>` kills the entrypoint with SIGKILL
    /// just before that initialization step; `server@<step>` kills the
    /// temporary server instead.
    public var crashPoint: String?
    /// The variables that were set (for reporting settings that cannot change).
    public var explicitlySet: Set<String> = []
    /// Non-fatal remarks (e.g. unknown BABELFISH_* variables).
    public var warnings: [String] = []

    public init() {}

    /// Variables whose value may come from `<NAME>_FILE` instead.
    public static let fileVariables: [String] = [
        "POSTGRES_PASSWORD", "POSTGRES_USER", "POSTGRES_DB", "POSTGRES_INITDB_ARGS",
        "BABELFISH_PASSWORD", "BABELFISH_USER",
    ]

    /// Every variable this entrypoint reads.
    public static let knownVariables: Set<String> = {
        var names: Set<String> = [
            "PGDATA", "POSTGRES_HOST_AUTH_METHOD", "POSTGRES_SOCKET_DIR",
            "BABELFISH_ENABLED", "BABELFISH_DB", "BABELFISH_MIGRATION_MODE", "BABELFISH_COLLATION",
            "BABELFISH_TDS_PORT", "BABELFISH_INITDB_DIR", "BBF_INIT_DURABILITY", "BBF_ENTRYPOINT_CRASH_AT",
            // Set by the entrypoint for init scripts.
            "BABELFISH_INIT_TDS_HOST", "BABELFISH_INIT_TDS_PORT",
        ]
        for name in fileVariables {
            names.insert(name)
            names.insert(name + "_FILE")
        }
        return names
    }()

    /// Reads and validates the environment. Reading a `_FILE` is the only I/O.
    ///
    /// - Parameter readFile: returns a file's content or throws a message.
    public static func parse(
        environment: [String: String],
        readFile: (String) throws -> String
    ) throws -> EntrypointConfiguration {
        var config = EntrypointConfiguration()
        var problems: [String] = []

        func value(_ name: String) -> String? {
            if let direct = environment[name], !direct.isEmpty { return direct }
            return nil
        }
        /// A variable that may come from `<name>_FILE`.
        func secretOrValue(_ name: String) -> String? {
            let direct = environment[name]
            let file = environment[name + "_FILE"]
            if let direct, !direct.isEmpty, let file, !file.isEmpty {
                problems.append("\(name) and \(name)_FILE are both set: set only one of them.")
                return nil
            }
            if let file, !file.isEmpty {
                do {
                    let content = try readFile(file)
                    var trimmed = Substring(content)
                    while let last = trimmed.last, last.isNewline { trimmed.removeLast() }
                    config.explicitlySet.insert(name)
                    return trimmed.isEmpty ? nil : String(trimmed)
                } catch {
                    problems.append("cannot read \(name)_FILE=\(file): \(error). Mount that file, or unset \(name)_FILE.")
                    return nil
                }
            }
            if let direct, !direct.isEmpty {
                config.explicitlySet.insert(name)
                return direct
            }
            return nil
        }
        func mark(_ name: String) -> String? {
            guard let found = value(name) else { return nil }
            config.explicitlySet.insert(name)
            return found
        }

        if let path = mark("PGDATA") {
            if path.hasPrefix("/") {
                config.dataDirectory = normalized(path)
            } else {
                problems.append("PGDATA=\(path) is not an absolute path: use e.g. PGDATA=/var/lib/babelfish/data.")
            }
        }
        if let user = secretOrValue("POSTGRES_USER") {
            if let reason = NameRules.postgresNameProblem(user) {
                problems.append("POSTGRES_USER=\(user) \(reason)")
            } else if user.hasPrefix("pg_") {
                problems.append("POSTGRES_USER=\(user) starts with pg_, which PostgreSQL reserves: choose another name.")
            } else {
                config.superuser = user
            }
        }
        config.superuserPassword = secretOrValue("POSTGRES_PASSWORD")
        if let database = secretOrValue("POSTGRES_DB") {
            if let reason = NameRules.postgresNameProblem(database) {
                problems.append("POSTGRES_DB=\(database) \(reason)")
            } else if database != "postgres" {
                config.extraDatabase = database
            }
        }
        if let arguments = secretOrValue("POSTGRES_INITDB_ARGS") {
            do {
                config.initdbArguments = try ShellWords.split(arguments)
            } catch {
                problems.append("POSTGRES_INITDB_ARGS: \(error)")
            }
        }
        if let path = mark("POSTGRES_SOCKET_DIR") {
            if path.hasPrefix("/") {
                config.socketDirectory = normalized(path)
            } else {
                problems.append("POSTGRES_SOCKET_DIR=\(path) is not an absolute path.")
            }
        }
        if let enabled = mark("BABELFISH_ENABLED") {
            switch enabled.lowercased() {
            case "true", "1", "yes", "on": config.babelfishEnabled = true
            case "false", "0", "no", "off": config.babelfishEnabled = false
            default: problems.append("BABELFISH_ENABLED=\(enabled) is not a boolean: use true or false.")
            }
        }
        if let method = mark("POSTGRES_HOST_AUTH_METHOD") {
            if let parsed = HostAuthMethod(rawValue: method.lowercased()) {
                config.hostAuthMethod = parsed
            } else {
                let allowed = HostAuthMethod.allCases.map(\.rawValue).joined(separator: ", ")
                problems.append("POSTGRES_HOST_AUTH_METHOD=\(method) is not supported: use one of \(allowed).")
            }
        }
        if config.babelfishEnabled && config.hostAuthMethod == .scramSHA256 {
            problems.append(
                "POSTGRES_HOST_AUTH_METHOD=scram-sha-256 makes every TDS login fail (TDS accepts only trust, password, md5 or gss): use md5, which still verifies SCRAM-stored passwords."
            )
        }
        if let user = secretOrValue("BABELFISH_USER") {
            if let reason = NameRules.babelfishNameProblem(user) {
                problems.append("BABELFISH_USER=\(user) \(reason)")
            } else if NameRules.reservedBabelfishRoles.contains(user) {
                problems.append("BABELFISH_USER=\(user) is a role Babelfish creates itself: choose another name.")
            } else {
                config.babelfishUser = user
            }
        }
        config.babelfishPassword = secretOrValue("BABELFISH_PASSWORD")
        if let database = mark("BABELFISH_DB") {
            if let reason = NameRules.babelfishNameProblem(database) {
                problems.append("BABELFISH_DB=\(database) \(reason)")
            } else if ["postgres", "template0", "template1"].contains(database) {
                problems.append("BABELFISH_DB=\(database) is a PostgreSQL system database: choose another name (default babelfish_db).")
            } else {
                config.babelfishDatabase = database
            }
        }
        if let mode = mark("BABELFISH_MIGRATION_MODE") {
            if let parsed = MigrationMode(rawValue: mode.lowercased()) {
                config.migrationMode = parsed
            } else {
                problems.append(
                    "BABELFISH_MIGRATION_MODE=\(mode) is not a migration mode: use multi-db (the default, as on Aurora) or single-db.")
            }
        }
        if let collation = mark("BABELFISH_COLLATION") {
            if collation.count <= 128, collation.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
                config.collation = collation.lowercased()
            } else {
                problems.append(
                    "BABELFISH_COLLATION=\(collation) is not a collation name: use letters, digits and underscores, e.g. sql_latin1_general_cp1_ci_as."
                )
            }
        }
        if let port = mark("BABELFISH_TDS_PORT") {
            if let number = Int(port), (1024...65535).contains(number) {
                config.tdsPort = number
            } else {
                problems.append(
                    "BABELFISH_TDS_PORT=\(port) is not a port Babelfish accepts: use a number from 1024 to 65535 (default 1433).")
            }
        }
        if let directory = mark("BABELFISH_INITDB_DIR") {
            config.initScriptsDirectory = normalized(directory)
        }
        if let durability = mark("BBF_INIT_DURABILITY") {
            if let parsed = InitDurability(rawValue: durability) {
                config.durability = parsed
            } else {
                problems.append("BBF_INIT_DURABILITY=\(durability) is not valid: use relaxed (default) or strict.")
            }
        }
        config.crashPoint = value("BBF_ENTRYPOINT_CRASH_AT")

        if config.babelfishEnabled && config.babelfishUser == config.superuser {
            problems.append("BABELFISH_USER and POSTGRES_USER are both \(config.superuser): the Babelfish login must be its own role.")
        }
        if !problems.isEmpty {
            throw EntrypointError(.invalidConfiguration, problems.joined(separator: "\n"))
        }

        for name in environment.keys.sorted() where name.hasPrefix("BABELFISH_") && !knownVariables.contains(name) {
            var remark = "unknown variable \(name) is ignored"
            if let suggestion = closestKnownVariable(to: name) { remark += " (did you mean \(suggestion)?)" }
            config.warnings.append(remark)
        }
        return config
    }

    /// Checks what only a first boot needs: passwords, unless host auth is trust.
    public func validateForInitialization() throws {
        guard hostAuthMethod != .trust else { return }
        var problems: [String] = []
        if superuserPassword == nil {
            problems.append(
                "POSTGRES_PASSWORD is not set: the \(superuser) superuser needs a password for connections over TCP. Set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE (a file holding it, e.g. a Docker secret); for a throwaway database only, POSTGRES_HOST_AUTH_METHOD=trust allows every connection without one."
            )
        }
        if babelfishEnabled && babelfishPassword == nil {
            problems.append(
                "BABELFISH_PASSWORD is not set: the Babelfish login \(babelfishUser) needs a password for TDS (SQL Server) connections. Set BABELFISH_PASSWORD or BABELFISH_PASSWORD_FILE."
            )
        }
        if !problems.isEmpty {
            throw EntrypointError(.invalidConfiguration, problems.joined(separator: "\n"))
        }
    }

    /// The environment without the secrets, for the long-running server.
    public static func removingSecrets(from environment: [String: String]) -> [String: String] {
        environment.filter { $0.key != "POSTGRES_PASSWORD" && $0.key != "BABELFISH_PASSWORD" && $0.key != "PGPASSWORD" }
    }

    private static func closestKnownVariable(to name: String) -> String? {
        let candidates = knownVariables.filter { $0.hasPrefix("BABELFISH_") }
        let scored = candidates.map { ($0, editDistance($0, name)) }.min { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
        guard let (best, distance) = scored, distance <= 3 else { return nil }
        return best
    }
}

/// Removes duplicate and trailing slashes.
func normalized(_ path: String) -> String {
    let parts = path.split(separator: "/", omittingEmptySubsequences: true)
    return (path.hasPrefix("/") ? "/" : "") + parts.joined(separator: "/")
}

/// Levenshtein distance, for "did you mean" hints.
func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a), y = Array(b)
    guard !x.isEmpty else { return y.count }
    guard !y.isEmpty else { return x.count }
    var previous = Array(0...y.count)
    for i in 1...x.count {
        var current = [i] + Array(repeating: 0, count: y.count)
        for j in 1...y.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[y.count]
}

/// What makes a role or database name acceptable.
public enum NameRules {
    /// Roles `sys.initialize_babelfish` creates; a login of that name would break it.
    public static let reservedBabelfishRoles: Set<String> = [
        "sysadmin", "bbf_role_admin", "master_dbo", "master_guest", "master_db_owner",
        "tempdb_dbo", "tempdb_guest", "tempdb_db_owner", "msdb_dbo", "msdb_guest", "msdb_db_owner",
    ]

    /// nil when `name` is a plain PostgreSQL identifier of 1 to 63 bytes.
    public static func postgresNameProblem(_ name: String) -> String? {
        let valid =
            name.utf8.count <= 63 && !name.isEmpty
            && name.first.map { $0.isASCII && ($0.isLetter || $0 == "_") } == true
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        return valid ? nil : "is not a valid name: use 1 to 63 letters, digits or underscores, starting with a letter or underscore."
    }

    /// nil when `name` is a lowercase identifier, as Babelfish logins and databases should be.
    public static func babelfishNameProblem(_ name: String) -> String? {
        let valid =
            name.utf8.count <= 63 && !name.isEmpty
            && name.first.map { ($0 >= "a" && $0 <= "z") || $0 == "_" } == true
            && name.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "_" }
        return valid
            ? nil : "is not a valid name: use 1 to 63 lowercase letters, digits or underscores, starting with a letter or underscore."
    }
}
