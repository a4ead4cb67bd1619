/// One environment variable the entrypoint reads: its name, default, help
/// line, whether its value may come from a file, and how it is parsed. The
/// table below is the only place a variable is named: parsing, `--help`, the
/// "did you mean" hints and (checked by a test) the README's and
/// docs/ENTRYPOINT.md's tables all come from it.
public struct EntrypointVariable: Sendable {
    public enum Audience: Sendable {
        /// In `--help` and the documentation's variable tables.
        case documented
        /// Read, but not for users to set: test hooks, and variables the
        /// entrypoint sets itself for init scripts (known, so not warned about).
        case internalUse
    }

    public let name: String
    /// The value may come from the file named by `<name>_FILE`.
    public let fromFile: Bool
    public let audience: Audience
    /// One line for `--help`.
    public let help: String
    /// Shown instead of a default when there is none, e.g. "required on first boot".
    public let withoutDefault: String
    /// Reads the default off a default configuration, so the struct's
    /// initial values (which take the image's paths and ports from
    /// `ImageFacts`) are the only source of defaults.
    let defaultFrom: @Sendable (EntrypointConfiguration) -> String?
    /// Parses and validates a value into the configuration; returns the
    /// problem (naming the variable and the fix) when it is not acceptable.
    let apply: (@Sendable (String, inout EntrypointConfiguration) -> String?)?

    init(
        _ name: String, fromFile: Bool = false, audience: Audience = .documented, help: String,
        default defaultFrom: @escaping @Sendable (EntrypointConfiguration) -> String?, withoutDefault: String = "none",
        apply: (@Sendable (String, inout EntrypointConfiguration) -> String?)?
    ) {
        self.name = name
        self.fromFile = fromFile
        self.audience = audience
        self.help = help
        self.defaultFrom = defaultFrom
        self.withoutDefault = withoutDefault
        self.apply = apply
    }

    /// The default value, or nil when the variable has none.
    public var defaultValue: String? { defaultFrom(EntrypointConfiguration()) }

    /// Every variable, in the order of the documentation.
    public static let all: [EntrypointVariable] = [
        EntrypointVariable(
            "PGDATA", help: "data directory; mount the volume here", default: { $0.dataDirectory },
            apply: { path, config in
                guard path.hasPrefix("/") else {
                    return "PGDATA=\(path) is not an absolute path: use e.g. PGDATA=\(EntrypointConfiguration().dataDirectory)."
                }
                config.dataDirectory = normalized(path)
                return nil
            }),
        EntrypointVariable(
            "POSTGRES_PASSWORD", fromFile: true, help: "superuser password, for TCP connections",
            default: { $0.superuserPassword }, withoutDefault: "required on first boot",
            apply: { password, config in
                config.superuserPassword = password
                return nil
            }),
        EntrypointVariable(
            "POSTGRES_USER", fromFile: true, help: "name of the superuser", default: { $0.superuser },
            apply: { user, config in
                if let reason = NameRules.postgresNameProblem(user) { return "POSTGRES_USER=\(user) \(reason)" }
                if user.hasPrefix("pg_") {
                    return "POSTGRES_USER=\(user) starts with pg_, which PostgreSQL reserves: choose another name."
                }
                config.superuser = user
                return nil
            }),
        EntrypointVariable(
            "POSTGRES_DB", fromFile: true, help: "extra database made on first boot; init scripts run in it",
            default: { $0.extraDatabase },
            apply: { database, config in
                if let reason = NameRules.postgresNameProblem(database) { return "POSTGRES_DB=\(database) \(reason)" }
                config.extraDatabase = database == "postgres" ? nil : database
                return nil
            }),
        EntrypointVariable(
            "POSTGRES_INITDB_ARGS", fromFile: true, help: "extra initdb arguments, shell-quoted",
            default: { $0.initdbArguments.isEmpty ? nil : $0.initdbArguments.joined(separator: " ") },
            apply: { arguments, config in
                do {
                    config.initdbArguments = try ShellWords.split(arguments)
                    return nil
                } catch {
                    return "POSTGRES_INITDB_ARGS: \(error)"
                }
            }),
        EntrypointVariable(
            "POSTGRES_HOST_AUTH_METHOD", help: "pg_hba.conf host method: md5, password, trust or gss",
            default: { $0.hostAuthMethod.rawValue },
            apply: { method, config in
                guard let parsed = HostAuthMethod(rawValue: method.lowercased()) else {
                    let allowed = HostAuthMethod.allCases.map(\.rawValue).joined(separator: ", ")
                    return "POSTGRES_HOST_AUTH_METHOD=\(method) is not supported: use one of \(allowed)."
                }
                config.hostAuthMethod = parsed
                return nil
            }),
        EntrypointVariable(
            "POSTGRES_SOCKET_DIR", help: "unix socket directory", default: { $0.socketDirectory },
            apply: { path, config in
                guard path.hasPrefix("/") else { return "POSTGRES_SOCKET_DIR=\(path) is not an absolute path." }
                config.socketDirectory = normalized(path)
                return nil
            }),
        EntrypointVariable(
            "BABELFISH_USER", fromFile: true, help: "the Babelfish (sa-like) login", default: { $0.babelfishUser },
            apply: { user, config in
                if let reason = NameRules.babelfishNameProblem(user) { return "BABELFISH_USER=\(user) \(reason)" }
                if NameRules.reservedBabelfishRoles.contains(user) {
                    return "BABELFISH_USER=\(user) is a role Babelfish creates itself: choose another name."
                }
                config.babelfishUser = user
                return nil
            }),
        EntrypointVariable(
            "BABELFISH_PASSWORD", fromFile: true, help: "its password, for TDS (SQL Server) connections",
            default: { $0.babelfishPassword }, withoutDefault: "required on first boot",
            apply: { password, config in
                config.babelfishPassword = password
                return nil
            }),
        EntrypointVariable(
            "BABELFISH_DB", help: "database that holds every T-SQL database", default: { $0.babelfishDatabase },
            apply: { database, config in
                if let reason = NameRules.babelfishNameProblem(database) { return "BABELFISH_DB=\(database) \(reason)" }
                if ["postgres", "template0", "template1"].contains(database) {
                    return
                        "BABELFISH_DB=\(database) is a PostgreSQL system database: choose another name (default \(EntrypointConfiguration().babelfishDatabase))."
                }
                config.babelfishDatabase = database
                return nil
            }),
        EntrypointVariable(
            "BABELFISH_MIGRATION_MODE", help: "multi-db (as on Aurora) or single-db; fixed at first boot",
            default: { $0.migrationMode.rawValue },
            apply: { mode, config in
                guard let parsed = MigrationMode(rawValue: mode.lowercased()) else {
                    return
                        "BABELFISH_MIGRATION_MODE=\(mode) is not a migration mode: use multi-db (the default, as on Aurora) or single-db."
                }
                config.migrationMode = parsed
                return nil
            }),
        EntrypointVariable(
            "BABELFISH_COLLATION", help: "server collation; fixed at first boot",
            default: { $0.collation }, withoutDefault: "Babelfish's: sql_latin1_general_cp1_ci_as",
            apply: { collation, config in
                guard collation.count <= 128, collation.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
                else {
                    return
                        "BABELFISH_COLLATION=\(collation) is not a collation name: use letters, digits and underscores, e.g. sql_latin1_general_cp1_ci_as."
                }
                config.collation = collation.lowercased()
                return nil
            }),
        EntrypointVariable(
            "BABELFISH_TDS_PORT", help: "TDS port inside the container (1024-65535)", default: { String($0.tdsPort) },
            apply: { port, config in
                guard let number = Int(port), (1024...65535).contains(number) else {
                    return
                        "BABELFISH_TDS_PORT=\(port) is not a port Babelfish accepts: use a number from 1024 to 65535 (default \(EntrypointConfiguration().tdsPort))."
                }
                config.tdsPort = number
                return nil
            }),
        EntrypointVariable(
            "BABELFISH_TLS", help: "off serves no TLS; on: TLS on 5432 and the TDS port, for clients that ask",
            default: { $0.tlsEnabled ? "on" : "off" },
            apply: { value, config in
                guard let enabled = parseBoolean(value) else { return "BABELFISH_TLS=\(value) is not valid: use on (the default) or off." }
                config.tlsEnabled = enabled
                return nil
            }),
        EntrypointVariable(
            "BABELFISH_TLS_REQUIRE", help: "true refuses TDS clients that do not encrypt (babelfishpg_tds.tds_ssl_encrypt)",
            default: { String($0.tlsRequired) },
            apply: { value, config in
                guard let required = parseBoolean(value) else {
                    return "BABELFISH_TLS_REQUIRE=\(value) is not a boolean: use true or false (the default)."
                }
                config.tlsRequired = required
                return nil
            }),
        EntrypointVariable(
            "BABELFISH_TLS_CERT_FILE", help: "your PEM certificate (and chain), copied into PGDATA at every start",
            default: { $0.tlsCertificateFile }, withoutDefault: "a self-signed one is generated",
            apply: { path, config in
                config.tlsCertificateFile = path
                return nil
            }),
        EntrypointVariable(
            "BABELFISH_TLS_KEY_FILE", help: "its unencrypted PEM private key, copied into PGDATA (0600) at every start",
            default: { $0.tlsKeyFile }, withoutDefault: "generated with the certificate",
            apply: { path, config in
                config.tlsKeyFile = path
                return nil
            }),
        EntrypointVariable(
            "BABELFISH_INITDB_DIR", help: "init scripts directory", default: { $0.initScriptsDirectory },
            apply: { directory, config in
                config.initScriptsDirectory = normalized(directory)
                return nil
            }),
        EntrypointVariable(
            "BABELFISH_ENABLED", help: "false runs plain PostgreSQL, without Babelfish or TDS",
            default: { String($0.babelfishEnabled) },
            apply: { enabled, config in
                guard let parsed = parseBoolean(enabled) else { return "BABELFISH_ENABLED=\(enabled) is not a boolean: use true or false." }
                config.babelfishEnabled = parsed
                return nil
            }),
        EntrypointVariable(
            "BBF_INIT_DURABILITY", help: "fsync in the first boot: relaxed (one syncfs at the end) or strict",
            default: { $0.durability.rawValue },
            apply: { durability, config in
                guard let parsed = InitDurability(rawValue: durability) else {
                    return "BBF_INIT_DURABILITY=\(durability) is not valid: use relaxed (default) or strict."
                }
                config.durability = parsed
                return nil
            }),
        EntrypointVariable(
            "BBF_INIT_TEMPLATE",
            help: "first boot from this template cluster when the settings match it; off always runs initdb",
            default: { $0.template.directory },
            apply: { value, config in
                if value == "off" {
                    config.template = .off
                } else if value.hasPrefix("/") {
                    config.template = .directory(normalized(value))
                } else {
                    return
                        "BBF_INIT_TEMPLATE=\(value) is not valid: use off (always initdb) or the absolute path of a template made by bbf-entrypoint make-template (default \(EntrypointConfiguration().template.directory ?? "")), or leave it unset."
                }
                return nil
            }),
        EntrypointVariable(
            "BBF_ENTRYPOINT_CRASH_AT", audience: .internalUse, help: "test hook: SIGKILL before an initialization step",
            default: { $0.crashPoint },
            apply: { point, config in
                config.crashPoint = point
                return nil
            }),
        // Set by the entrypoint for init scripts; read by nothing here.
        EntrypointVariable(
            "BABELFISH_INIT_TDS_HOST", audience: .internalUse, help: "set for init scripts: the temporary TDS host",
            default: { _ in nil }, apply: nil),
        EntrypointVariable(
            "BABELFISH_INIT_TDS_PORT", audience: .internalUse, help: "set for init scripts: the temporary TDS port",
            default: { _ in nil }, apply: nil),
    ]

    /// The variables users set.
    public static var documented: [EntrypointVariable] { all.filter { $0.audience == .documented } }

    /// `--help`'s environment section, one line per documented variable.
    public static var helpSection: String {
        let width = documented.map { $0.name.count + ($0.fromFile ? 2 : 0) }.max() ?? 0
        var lines = [
            "Environment (a variable marked * may instead come from a file: NAME_FILE=/run/secrets/x):"
        ]
        for variable in documented {
            let label = variable.name + (variable.fromFile ? " *" : "")
            let shown = variable.defaultValue.map { "default \($0)" } ?? variable.withoutDefault
            lines.append("  " + label + String(repeating: " ", count: width - label.count + 2) + "\(variable.help) (\(shown))")
        }
        return lines.joined(separator: "\n")
    }
}

/// true, 1, yes, on / false, 0, no, off (any case); nil otherwise.
func parseBoolean(_ text: String) -> Bool? {
    switch text.lowercased() {
    case "true", "1", "yes", "on": return true
    case "false", "0", "no", "off": return false
    default: return nil
    }
}
