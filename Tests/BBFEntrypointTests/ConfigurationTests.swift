import Testing

@testable import BBFEntrypoint

private struct Missing: Error, CustomStringConvertible {
    var description: String { "No such file or directory" }
}

private func parse(_ environment: [String: String], files: [String: String] = [:]) throws -> EntrypointConfiguration {
    try EntrypointConfiguration.parse(environment: environment) { path in
        guard let content = files[path] else { throw Missing() }
        return content
    }
}

/// The message of the configuration error `environment` produces.
private func problem(_ environment: [String: String], files: [String: String] = [:]) -> String? {
    do {
        _ = try parse(environment, files: files)
        return nil
    } catch let error as EntrypointError {
        #expect(error.code == .invalidConfiguration)
        return error.message
    } catch {
        return "unexpected \(error)"
    }
}

@Suite("Configuration from the environment")
struct ConfigurationTests {
    @Test("An empty environment gives the documented defaults")
    func defaults() throws {
        let config = try parse([:])
        #expect(config.dataDirectory == "/var/lib/babelfish/data")
        #expect(config.superuser == "postgres")
        #expect(config.superuserPassword == nil)
        #expect(config.babelfishUser == "babelfish_user")
        #expect(config.babelfishDatabase == "babelfish_db")
        #expect(config.migrationMode == .multiDB)
        #expect(config.hostAuthMethod == .md5)
        #expect(config.tdsPort == 1433)
        #expect(config.collation == nil)
        #expect(config.babelfishEnabled)
        #expect(config.socketDirectory == "/var/run/postgresql")
        #expect(config.initScriptsDirectory == "/docker-entrypoint-initdb.d")
        #expect(config.durability == .relaxed)
        #expect(config.explicitlySet.isEmpty)
    }

    @Test("Every variable is read")
    func everyVariable() throws {
        let config = try parse([
            "PGDATA": "/data//pg/", "POSTGRES_USER": "admin", "POSTGRES_PASSWORD": "pw", "POSTGRES_DB": "app",
            "POSTGRES_INITDB_ARGS": "--locale=C.UTF-8 --data-checksums", "POSTGRES_HOST_AUTH_METHOD": "password",
            "POSTGRES_SOCKET_DIR": "/run/pg", "BABELFISH_USER": "sa_login", "BABELFISH_PASSWORD": "bpw",
            "BABELFISH_DB": "bbf", "BABELFISH_MIGRATION_MODE": "single-db",
            "BABELFISH_COLLATION": "Latin1_General_CI_AS", "BABELFISH_TDS_PORT": "11433",
            "BABELFISH_INITDB_DIR": "/init", "BBF_INIT_DURABILITY": "strict",
        ])
        #expect(config.dataDirectory == "/data/pg")
        #expect(config.superuser == "admin")
        #expect(config.superuserPassword == "pw")
        #expect(config.extraDatabase == "app")
        #expect(config.initdbArguments == ["--locale=C.UTF-8", "--data-checksums"])
        #expect(config.hostAuthMethod == .password)
        #expect(config.socketDirectory == "/run/pg")
        #expect(config.babelfishUser == "sa_login")
        #expect(config.babelfishPassword == "bpw")
        #expect(config.babelfishDatabase == "bbf")
        #expect(config.migrationMode == .singleDB)
        #expect(config.collation == "latin1_general_ci_as")
        #expect(config.tdsPort == 11433)
        #expect(config.initScriptsDirectory == "/init")
        #expect(config.durability == .strict)
        #expect(config.explicitlySet.isSuperset(of: ["BABELFISH_MIGRATION_MODE", "BABELFISH_DB", "POSTGRES_PASSWORD"]))
    }

    @Test("POSTGRES_DB=postgres creates nothing extra")
    func postgresDatabaseIsNotExtra() throws {
        #expect(try parse(["POSTGRES_DB": "postgres"]).extraDatabase == nil)
    }

    @Test("A _FILE variable is read, with trailing newlines removed")
    func fileVariables() throws {
        let config = try parse(
            ["POSTGRES_PASSWORD_FILE": "/run/secrets/pg", "BABELFISH_PASSWORD_FILE": "/run/secrets/bbf"],
            files: ["/run/secrets/pg": "from file\n", "/run/secrets/bbf": "p@ss word\r\n\n"])
        #expect(config.superuserPassword == "from file")
        #expect(config.babelfishPassword == "p@ss word")
        #expect(config.explicitlySet.contains("POSTGRES_PASSWORD"))
    }

    @Test("A variable and its _FILE both set is refused, naming both")
    func bothSet() {
        let message = problem(["POSTGRES_PASSWORD": "x", "POSTGRES_PASSWORD_FILE": "/f"], files: ["/f": "y"])
        #expect(message?.contains("POSTGRES_PASSWORD and POSTGRES_PASSWORD_FILE are both set") == true)
    }

    @Test("An unreadable _FILE is refused, naming the variable, the path and the fix")
    func unreadableFile() {
        let message = problem(["BABELFISH_PASSWORD_FILE": "/run/secrets/missing"])
        #expect(message?.contains("BABELFISH_PASSWORD_FILE=/run/secrets/missing") == true)
        #expect(message?.contains("No such file or directory") == true)
        #expect(message?.contains("unset BABELFISH_PASSWORD_FILE") == true)
    }

    @Test(
        "Bad values are refused with the variable and the fix",
        arguments: [
            (["BABELFISH_MIGRATION_MODE": "multi"], "BABELFISH_MIGRATION_MODE=multi is not a migration mode: use multi-db"),
            (["BABELFISH_USER": "Bad-Name"], "BABELFISH_USER=Bad-Name is not a valid name"),
            (["BABELFISH_USER": "sysadmin"], "BABELFISH_USER=sysadmin is a role Babelfish creates itself"),
            (["BABELFISH_DB": "1db"], "BABELFISH_DB=1db is not a valid name"),
            (["BABELFISH_DB": "postgres"], "BABELFISH_DB=postgres is a PostgreSQL system database"),
            (["POSTGRES_USER": "a b"], "POSTGRES_USER=a b is not a valid name"),
            (["POSTGRES_USER": "pg_admin"], "POSTGRES_USER=pg_admin starts with pg_"),
            (["POSTGRES_DB": "my-db"], "POSTGRES_DB=my-db is not a valid name"),
            (["POSTGRES_HOST_AUTH_METHOD": "scram-sha-256"], "makes every TDS login fail"),
            (["POSTGRES_HOST_AUTH_METHOD": "ldap"], "POSTGRES_HOST_AUTH_METHOD=ldap is not supported"),
            (["BABELFISH_TDS_PORT": "80"], "BABELFISH_TDS_PORT=80 is not a port Babelfish accepts"),
            (["BABELFISH_TDS_PORT": "x"], "BABELFISH_TDS_PORT=x"),
            (["BABELFISH_COLLATION": "bad;name"], "BABELFISH_COLLATION=bad;name is not a collation name"),
            (["BABELFISH_ENABLED": "maybe"], "BABELFISH_ENABLED=maybe is not a boolean"),
            (["PGDATA": "relative/dir"], "PGDATA=relative/dir is not an absolute path"),
            (["POSTGRES_INITDB_ARGS": "--locale='C"], "POSTGRES_INITDB_ARGS: unterminated single quote"),
            (["BABELFISH_USER": "postgres"], "BABELFISH_USER and POSTGRES_USER are both postgres"),
            (["BBF_INIT_DURABILITY": "none"], "BBF_INIT_DURABILITY=none is not valid"),
        ])
    func badValues(environment: [String: String], expected: String) {
        let message = problem(environment)
        #expect(message?.contains(expected) == true, "got: \(message ?? "no error")")
    }

    @Test("Several problems are reported together")
    func severalProblems() {
        let message = problem(["BABELFISH_MIGRATION_MODE": "x", "BABELFISH_TDS_PORT": "1"]) ?? ""
        #expect(message.contains("BABELFISH_MIGRATION_MODE"))
        #expect(message.contains("BABELFISH_TDS_PORT"))
    }

    @Test("scram-sha-256 is allowed when Babelfish is off")
    func scramWithoutBabelfish() throws {
        let config = try parse(["POSTGRES_HOST_AUTH_METHOD": "scram-sha-256", "BABELFISH_ENABLED": "false"])
        #expect(config.hostAuthMethod == .scramSHA256)
    }

    @Test("A first boot needs both passwords, unless host auth is trust")
    func passwordsForInitialization() throws {
        let problems = try parse([:]).initializationProblems().joined(separator: "\n")
        #expect(problems.contains("POSTGRES_PASSWORD is not set"))
        #expect(problems.contains("BABELFISH_PASSWORD is not set"))
        #expect(problems.contains("POSTGRES_PASSWORD_FILE"))
        #expect(try parse(["POSTGRES_PASSWORD": "a", "BABELFISH_PASSWORD": "b"]).initializationProblems().isEmpty)
        #expect(try parse(["POSTGRES_HOST_AUTH_METHOD": "trust"]).initializationProblems().isEmpty)
        #expect(try parse(["POSTGRES_PASSWORD": "a", "BABELFISH_ENABLED": "false"]).initializationProblems().isEmpty)
    }

    @Test("Unknown BABELFISH_ variables are warned about, with a suggestion")
    func unknownVariables() throws {
        let config = try parse(["BABELFISH_MIGRATON_MODE": "multi-db", "BABELFISH_SOMETHING_ELSE_ENTIRELY": "1"])
        #expect(config.warnings.contains("unknown variable BABELFISH_MIGRATON_MODE is ignored (did you mean BABELFISH_MIGRATION_MODE?)"))
        #expect(config.warnings.contains("unknown variable BABELFISH_SOMETHING_ELSE_ENTIRELY is ignored"))
    }

    @Test("Secrets are removed from the server's environment")
    func removingSecrets() {
        let cleaned = EntrypointConfiguration.removingSecrets(from: [
            "POSTGRES_PASSWORD": "a", "BABELFISH_PASSWORD": "b", "PGPASSWORD": "c", "PATH": "/bin",
            "POSTGRES_PASSWORD_FILE": "/run/secrets/x",
        ])
        #expect(cleaned == ["PATH": "/bin", "POSTGRES_PASSWORD_FILE": "/run/secrets/x"])
    }
}

@Suite("Shell words for POSTGRES_INITDB_ARGS")
struct ShellWordsTests {
    @Test("Quotes and backslashes group words like a shell")
    func splitting() throws {
        #expect(try ShellWords.split("") == [])
        #expect(try ShellWords.split("  -E UTF8   --locale=C ") == ["-E", "UTF8", "--locale=C"])
        #expect(try ShellWords.split("--waldir='/a b' \"x\\\"y\" z\\ w") == ["--waldir=/a b", "x\"y", "z w"])
        #expect(try ShellWords.split("''") == [""])
    }

    @Test("Unterminated quotes are errors")
    func errors() {
        #expect(throws: ShellWords.SplitError.self) { try ShellWords.split("'a") }
        #expect(throws: ShellWords.SplitError.self) { try ShellWords.split("\"a") }
        #expect(throws: ShellWords.SplitError.self) { try ShellWords.split("a\\") }
    }
}
