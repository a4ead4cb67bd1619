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

/// The entrypoint's settings, read from the environment. The initial values
/// are the defaults `EntrypointVariable.all` shows and documents.
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
    /// TLS on both ports: `ssl = on` with PGDATA/server.crt and server.key.
    public var tlsEnabled = true
    /// `babelfishpg_tds.tds_ssl_encrypt = on`: TDS clients must encrypt.
    public var tlsRequired = false
    /// A certificate and key to use instead of a generated pair (both or neither).
    public var tlsCertificateFile: String?
    public var tlsKeyFile: String?
    public var initScriptsDirectory = ImageFacts.initScriptsDirectory
    public var durability = InitDurability.relaxed
    /// Where a first boot looks for a template cluster (BBF_INIT_TEMPLATE).
    public var template = TemplateSetting.image
    /// Fault injection for tests: `<step>` kills the entrypoint with SIGKILL
    /// just before that initialization step; `server@<step>` kills the
    /// temporary server instead.
    public var crashPoint: String?
    /// The variables that were set (for reporting settings that cannot change).
    public var explicitlySet: Set<String> = []
    /// Non-fatal remarks (e.g. unknown BABELFISH_* variables).
    public var warnings: [String] = []

    public init() {}

    /// Every variable this entrypoint reads (with the `_FILE` forms).
    public static let knownVariables: Set<String> = Set(
        EntrypointVariable.all.flatMap { $0.fromFile ? [$0.name, $0.name + "_FILE"] : [$0.name] })

    /// Reads and validates the environment, collecting every problem and
    /// warning. Reading a `_FILE` is the only I/O.
    ///
    /// - Parameter readFile: returns a file's content or throws a message.
    public static func read(
        environment: [String: String],
        readFile: (String) throws -> String
    ) -> ConfigurationReading {
        var config = EntrypointConfiguration()
        var problems: [String] = []
        var invalid: Set<String> = []

        /// The value of a variable, from `<name>_FILE` where allowed; marks it as set.
        func rawValue(of variable: EntrypointVariable) -> String? {
            let name = variable.name
            let direct = environment[name].flatMap { $0.isEmpty ? nil : $0 }
            guard variable.fromFile, let file = environment[name + "_FILE"], !file.isEmpty else {
                if direct != nil { config.explicitlySet.insert(name) }
                return direct
            }
            if direct != nil {
                problems.append("\(name) and \(name)_FILE are both set: set only one of them.")
                invalid.insert(name)
                return nil
            }
            do {
                var trimmed = Substring(try readFile(file))
                while let last = trimmed.last, last.isNewline { trimmed.removeLast() }
                config.explicitlySet.insert(name)
                return trimmed.isEmpty ? nil : String(trimmed)
            } catch {
                problems.append("cannot read \(name)_FILE=\(file): \(error). Mount that file, or unset \(name)_FILE.")
                invalid.insert(name)
                return nil
            }
        }

        for variable in EntrypointVariable.all {
            guard let apply = variable.apply, let value = rawValue(of: variable) else { continue }
            if let problem = apply(value, &config) {
                problems.append(problem)
                invalid.insert(variable.name)
            }
        }
        // Rules between variables, once each has its value (or its default).
        if config.babelfishEnabled && config.hostAuthMethod == .scramSHA256 {
            problems.append(
                "POSTGRES_HOST_AUTH_METHOD=scram-sha-256 makes every TDS login fail (TDS accepts only trust, password, md5 or gss): use md5, which still verifies SCRAM-stored passwords."
            )
            invalid.insert("POSTGRES_HOST_AUTH_METHOD")
        }
        if config.babelfishEnabled && config.babelfishUser == config.superuser {
            problems.append("BABELFISH_USER and POSTGRES_USER are both \(config.superuser): the Babelfish login must be its own role.")
            invalid.insert("BABELFISH_USER")
        }
        switch (config.tlsCertificateFile, config.tlsKeyFile) {
        case (_?, nil):
            problems.append(
                "BABELFISH_TLS_CERT_FILE is set but BABELFISH_TLS_KEY_FILE is not: set both (the PEM certificate and its PEM private key), or neither for a generated self-signed certificate."
            )
            invalid.insert("BABELFISH_TLS_KEY_FILE")
        case (nil, _?):
            problems.append(
                "BABELFISH_TLS_KEY_FILE is set but BABELFISH_TLS_CERT_FILE is not: set both (the PEM certificate and its PEM private key), or neither for a generated self-signed certificate."
            )
            invalid.insert("BABELFISH_TLS_CERT_FILE")
        default:
            break
        }
        if !config.tlsEnabled {
            if config.tlsRequired {
                problems.append(
                    "BABELFISH_TLS=off and BABELFISH_TLS_REQUIRE=true contradict each other: encryption cannot be required without TLS. Unset one of them."
                )
                invalid.insert("BABELFISH_TLS_REQUIRE")
            }
            for name in ["BABELFISH_TLS_CERT_FILE", "BABELFISH_TLS_KEY_FILE"] where config.explicitlySet.contains(name) {
                problems.append(
                    "BABELFISH_TLS=off and \(name) contradict each other: a certificate is of no use without TLS. Unset one of them.")
                invalid.insert(name)
            }
        }
        if config.tlsRequired && !config.babelfishEnabled {
            problems.append(
                "BABELFISH_TLS_REQUIRE=true requires encryption on the TDS port, and BABELFISH_ENABLED=false has none. Unset BABELFISH_TLS_REQUIRE (for the PostgreSQL port, use hostssl lines in pg_hba.conf)."
            )
            invalid.insert("BABELFISH_TLS_REQUIRE")
        }
        for name in environment.keys.sorted() where name.hasPrefix("BABELFISH_") && !knownVariables.contains(name) {
            var remark = "unknown variable \(name) is ignored"
            if let suggestion = closestKnownVariable(to: name) { remark += " (did you mean \(suggestion)?)" }
            config.warnings.append(remark)
        }
        return ConfigurationReading(configuration: config, problems: problems, invalidVariables: invalid)
    }

    /// Reads the environment; throws every problem together.
    public static func parse(
        environment: [String: String],
        readFile: (String) throws -> String
    ) throws -> EntrypointConfiguration {
        let reading = read(environment: environment, readFile: readFile)
        if !reading.problems.isEmpty {
            throw EntrypointError(.invalidConfiguration, reading.problems.joined(separator: "\n"))
        }
        return reading.configuration
    }

    /// What only a first boot needs: passwords, unless host auth is trust.
    public func initializationProblems() -> [String] {
        guard hostAuthMethod != .trust else { return [] }
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
        return problems
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

/// The environment as read: the configuration (defaults where a value was
/// missing or bad), every problem, and which variables had one.
public struct ConfigurationReading: Sendable {
    public var configuration: EntrypointConfiguration
    /// Each names the variable and the fix.
    public var problems: [String]
    /// Variables whose value was refused (the configuration holds their default).
    public var invalidVariables: Set<String>
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
