import BBFEntrypoint
import BBFSystem
import PostgresClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The entrypoint against a real PostgreSQL (Debian's), in plain mode
/// (BABELFISH_ENABLED=false) so every PostgreSQL-side step runs for real.
@Suite(
    "Boot on a real PostgreSQL", .serialized, .timeLimit(.minutes(5)),
    .enabled(if: TestEnvironment.hasPostgres, TestEnvironment.postgresSkipReason))
struct BootTests {
    @Test("First boot initializes; the password works over TCP and is stored as SCRAM")
    func firstBoot() throws {
        let sandbox = try Sandbox()
        let server = try sandbox.start(environment: try sandbox.environment(["POSTGRES_DB": "appdb"]))
        let connection = try sandbox.connect()
        let stored = try connection.execute("SELECT rolpassword FROM pg_authid WHERE rolname = 'postgres'").scalar
        #expect(stored?.hasPrefix("SCRAM-SHA-256$") == true)
        #expect(try connection.execute("SELECT 1 FROM pg_database WHERE datname = 'appdb'").scalar == "1")
        #expect(throws: PostgresError.self) { try sandbox.connect(password: "wrong") }
        #expect(FileSystem.exists(sandbox.file(ManagedFiles.state)))
        #expect(!FileSystem.exists(sandbox.file(ManagedFiles.initializationMarker)))
        #expect(!FileSystem.exists(sandbox.file(ManagedFiles.initdbStaging)))
        #expect(server.log.contains("initialization complete"))
        #expect(!server.log.contains("pg-secret-1"))
        // postgres replaced the entrypoint: same pid, secrets gone from its environment.
        let pidFile = try FileSystem.readText(sandbox.file("postmaster.pid"))
        #expect(PostmasterPID.parse(pidFile)?.pid == server.child.pid)
        let environ = try FileSystem.readBytes("/proc/\(server.child.pid)/environ")
        let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        #expect(!variables.contains { $0.hasPrefix("POSTGRES_PASSWORD=") || $0.hasPrefix("BABELFISH_PASSWORD=") })
        #expect(variables.contains("PGDATA=\(sandbox.dataDirectory)"))
        #expect(server.stop() == .exited(0))
    }

    @Test("A second boot does not initialize again, and data written before survives")
    func secondBoot() throws {
        let sandbox = try Sandbox()
        let environment = try sandbox.environment()
        let first = try sandbox.start(environment: environment)
        try sandbox.connect().execute("CREATE TABLE kept (v text)")
        try sandbox.connect().execute("INSERT INTO kept VALUES ('written before restart')")
        let state = try FileSystem.readText(sandbox.file(ManagedFiles.state))
        #expect(first.stop() == .exited(0))
        // The include is restored if it went missing, and never added twice.
        let conf = try FileSystem.readText(sandbox.file("postgresql.conf"))
        try FileSystem.writeAtomically(
            sandbox.file("postgresql.conf"), conf.replacing("include = 'bbf-entrypoint.conf'", with: ""))
        if Privileges.isRoot, let account = Privileges.account(named: "postgres") {
            try FileSystem.changeOwner(sandbox.file("postgresql.conf"), user: account.uid, group: account.gid)
        }

        var noPassword = environment
        noPassword["POSTGRES_PASSWORD"] = nil
        let second = try sandbox.start(environment: noPassword)
        #expect(!second.log.contains("initialization complete"))
        #expect(try sandbox.connect().execute("SELECT v FROM kept").scalar == "written before restart")
        #expect(try FileSystem.readText(sandbox.file(ManagedFiles.state)) == state)
        #expect(second.log.contains("is initialized: starting PostgreSQL"))
        #expect(try FileSystem.readText(sandbox.file("postgresql.conf")).occurrences(of: "include = 'bbf-entrypoint.conf'") == 1)
        #expect(second.stop() == .exited(0))
    }

    @Test("Arguments pass through to postgres, with or without the word postgres")
    func argumentsPassThrough() throws {
        let sandbox = try Sandbox()
        let environment = try sandbox.environment()
        try sandbox.start(["-c", "port=\(sandbox.port)", "-c", "application_name=passthrough"], environment: environment)
        #expect(try sandbox.connect().execute("SHOW port").scalar == String(sandbox.port))
        // The temporary server ran with the user's arguments but never on the configured port.
        #expect(try sandbox.connect().execute("SELECT current_setting('listen_addresses')").scalar == "*")
    }

    @Test("The strict durability mode initializes too")
    func strictDurability() throws {
        let sandbox = try Sandbox()
        try sandbox.start(environment: try sandbox.environment(["BBF_INIT_DURABILITY": "strict"]))
        #expect(try sandbox.connect().execute("SELECT 1").scalar == "1")
    }

    @Test(
        "Started as the postgres user (setpriv from root) on a directory it owns, it initializes and runs as that user",
        .enabled(if: TestEnvironment.canSwitchToPostgres, TestEnvironment.switchSkipReason))
    func startedAsPostgresUser() throws {
        let account = try #require(Privileges.account(named: "postgres"))
        let sandbox = try Sandbox()
        try FileSystem.createDirectory(sandbox.dataDirectory, permissions: 0o700)
        try FileSystem.changeOwner(sandbox.dataDirectory, user: account.uid, group: account.gid)
        try FileSystem.createDirectory(sandbox.socketDirectory, permissions: 0o755)
        try FileSystem.changeOwner(sandbox.socketDirectory, user: account.uid, group: account.gid)
        let server = try sandbox.start(environment: try sandbox.environment(), asUser: "postgres")
        #expect(try FileSystem.info(sandbox.file("PG_VERSION"))?.owner == account.uid)
        #expect(server.stop() == .exited(0))
    }

    @Test(
        "Started as root, it creates and hands over the directories, then drops to postgres",
        .enabled(if: TestEnvironment.canSwitchToPostgres, TestEnvironment.switchSkipReason))
    func rootPreparesDirectories() throws {
        let account = try #require(Privileges.account(named: "postgres"))
        let sandbox = try Sandbox()
        let server = try sandbox.start(environment: try sandbox.environment())
        #expect(try FileSystem.info(sandbox.dataDirectory)?.owner == account.uid)
        #expect(try FileSystem.info(sandbox.dataDirectory)?.permissions == 0o700)
        #expect(try FileSystem.info(sandbox.socketDirectory)?.owner == account.uid)
        let status = try FileSystem.readText("/proc/\(server.child.pid)/status")
        #expect(status.contains("Uid:\t\(account.uid)\t\(account.uid)\t\(account.uid)\t\(account.uid)"))
    }

    @Test("The installation's directories come from its own pg_config, whatever pg_config comes first on PATH")
    func installationDirectories() throws {
        let bin = try TestEnvironment.requirePostgres()
        let installation = try PostgresInstallation.locate(path: bin)
        let prefix = FileSystem.parent(of: bin)
        #expect(installation.binDirectory == bin)
        #expect(installation.libraryDirectory?.hasPrefix(prefix + "/") == true, "\(installation.libraryDirectory ?? "none")")
        #expect(installation.shareDirectory != nil)
    }

    @Test("--help, --version and other commands")
    func commands() throws {
        let sandbox = try Sandbox()
        let environment = try sandbox.environment()
        let help = try sandbox.run(["--help"], environment: environment)
        #expect(help.status == .exited(0))
        #expect(help.output.contains("BABELFISH_MIGRATION_MODE"))
        let version = try sandbox.run(["--version"], environment: environment)
        #expect(version.output.hasPrefix("bbf-entrypoint "))
        let other = try sandbox.run(["sh", "-c", "echo other $PGDATA"], environment: environment)
        #expect(other.output == "other \(sandbox.dataDirectory)\n")
        #expect(!FileSystem.exists(sandbox.dataDirectory))
        let missing = try sandbox.run(["no-such-command"], environment: environment)
        #expect(missing.status == .exited(127))
        // postgres --version execs at once, without touching PGDATA.
        let postgresVersion = try sandbox.run(["postgres", "--version"], environment: environment)
        #expect(postgresVersion.output.hasPrefix("postgres (PostgreSQL) "))
        #expect(!FileSystem.exists(sandbox.dataDirectory))
        // -C is for the final server only: on an empty directory it initializes, then prints.
        let setting = try sandbox.run(["postgres", "-C", "data_directory"], environment: environment)
        #expect(setting.status == .exited(0))
        #expect(setting.output.hasSuffix("\(sandbox.dataDirectory)\n"))
    }
}

@Suite(
    "Refusals: nothing is touched", .serialized, .timeLimit(.minutes(5)),
    .enabled(if: TestEnvironment.hasPostgres, TestEnvironment.postgresSkipReason))
struct RefusalTests {
    @Test(
        "Bad environment: a clear error naming the variable, and nothing written",
        arguments: [
            (["BABELFISH_MIGRATION_MODE": "multidb"], "BABELFISH_MIGRATION_MODE=multidb is not a migration mode"),
            (["POSTGRES_PASSWORD_FILE": "/run/secrets/nope"], "POSTGRES_PASSWORD and POSTGRES_PASSWORD_FILE are both set"),
            (
                ["POSTGRES_PASSWORD": "", "POSTGRES_PASSWORD_FILE": "/run/secrets/nope"],
                "cannot read POSTGRES_PASSWORD_FILE=/run/secrets/nope"
            ),
            (["POSTGRES_PASSWORD": ""], "POSTGRES_PASSWORD is not set"),
            (["BABELFISH_USER": "Robert'); DROP"], "BABELFISH_USER=Robert'); DROP is not a valid name"),
            (["POSTGRES_HOST_AUTH_METHOD": "kerberos"], "POSTGRES_HOST_AUTH_METHOD=kerberos is not supported"),
            (["BABELFISH_ENABLED": "true"], "has no Babelfish"),
        ])
    func badEnvironment(extra: [String: String], expected: String) throws {
        let sandbox = try Sandbox()
        let result = try sandbox.run(sandbox.postgresArguments, environment: try sandbox.environment(extra))
        #expect(result.status == .exited(1))
        #expect(result.output.contains(expected), "output: \(result.output)")
        #expect(!FileSystem.exists(sandbox.dataDirectory), "PGDATA was created")
        #expect(!FileSystem.exists(sandbox.socketDirectory), "the socket directory was created")
    }

    @Test("One bad value does not hide the missing passwords or the did-you-mean warning: all in one run")
    func everyProblemAtOnce() throws {
        let sandbox = try Sandbox()
        let environment = try sandbox.environment([
            "BABELFISH_MIGRATION_MODE": "banana", "BABELFISH_MIGRATON_MODE": "multi-db", "POSTGRES_PASSWORD": "",
            "BABELFISH_PASSWORD": "",
        ])
        let result = try sandbox.run(sandbox.postgresArguments, environment: environment)
        #expect(result.status == .exited(1))
        for expected in [
            "BABELFISH_MIGRATION_MODE=banana is not a migration mode", "POSTGRES_PASSWORD is not set",
            "did you mean BABELFISH_MIGRATION_MODE?",
        ] {
            #expect(result.output.contains(expected), "missing \(expected) in: \(result.output)")
        }
        #expect(!FileSystem.exists(sandbox.dataDirectory), "PGDATA was created")
    }

    @Test("A data directory of another major version is refused and left byte for byte")
    func otherMajor() throws {
        let sandbox = try Sandbox()
        try FileSystem.createDirectory(sandbox.dataDirectory + "/base/1", permissions: 0o700)
        try FileSystem.writeAtomically(sandbox.file("PG_VERSION"), "11\n")
        try FileSystem.writeAtomically(sandbox.file("base/1/16384"), String(repeating: "data", count: 1000))
        try FileSystem.writeAtomically(sandbox.file("postgresql.conf"), "port = 5432\n")
        if Privileges.isRoot, let account = Privileges.account(named: "postgres") {
            for path in [
                sandbox.dataDirectory, sandbox.file("base"), sandbox.file("base/1"), sandbox.file("base/1/16384"),
                sandbox.file("PG_VERSION"), sandbox.file("postgresql.conf"),
            ] {
                try FileSystem.changeOwner(path, user: account.uid, group: account.gid)
            }
        }
        let before = try treeSnapshot(sandbox.dataDirectory)
        let result = try sandbox.run(sandbox.postgresArguments, environment: try sandbox.environment())
        #expect(result.status == .exited(1))
        #expect(result.output.contains("PostgreSQL 11 cluster"))
        #expect(result.output.contains("pg_upgrade"))
        #expect(result.output.contains("`bbf backup`"))
        #expect(treeDifferences(before, try treeSnapshot(sandbox.dataDirectory)) == [])
    }

    @Test("A directory with files but no cluster is refused and left alone")
    func unknownFiles() throws {
        let sandbox = try Sandbox()
        try FileSystem.createDirectory(sandbox.dataDirectory, permissions: 0o755)
        try FileSystem.writeAtomically(sandbox.file("important.txt"), "keep me")
        let before = try treeSnapshot(sandbox.dataDirectory)
        let result = try sandbox.run(sandbox.postgresArguments, environment: try sandbox.environment())
        #expect(result.status == .exited(1))
        #expect(result.output.contains("holds no PostgreSQL cluster"))
        #expect(treeDifferences(before, try treeSnapshot(sandbox.dataDirectory)) == [])
    }

    @Test(
        "A cluster owned by another user is refused when started as root",
        .enabled(if: Privileges.isRoot && Privileges.account(named: "nobody") != nil, "needs to run as root, with a nobody user"))
    func foreignOwner() throws {
        let nobody = try #require(Privileges.account(named: "nobody"))
        let sandbox = try Sandbox()
        try FileSystem.createDirectory(sandbox.dataDirectory, permissions: 0o700)
        try FileSystem.writeAtomically(sandbox.file("PG_VERSION"), "\(try installationMajor())\n")
        try FileSystem.changeOwner(sandbox.dataDirectory, user: nobody.uid, group: nobody.gid)
        let result = try sandbox.run(sandbox.postgresArguments, environment: try sandbox.environment())
        #expect(result.status == .exited(1))
        #expect(result.output.contains("is owned by uid \(nobody.uid)"))
        #expect(result.output.contains("chown -R"))
        #expect(try FileSystem.info(sandbox.dataDirectory)?.owner == nobody.uid)
    }
}

func installationMajor() throws -> Int {
    let bin = try TestEnvironment.requirePostgres()
    let output = try Command.output(bin + "/pg_config", ["--version"])
    return Int(output.split(separator: " ")[1].split(separator: ".")[0]) ?? 0
}

/// The container runs as uid 999 (`USER 999:999`); a directory it is given
/// may belong to someone else. Run here as the postgres user against
/// root-owned directories.
@Suite(
    "Started as a non-root user on a directory it does not own", .serialized, .timeLimit(.minutes(5)),
    .enabled(if: TestEnvironment.hasPostgres, TestEnvironment.postgresSkipReason),
    .enabled(if: TestEnvironment.canSwitchToPostgres, TestEnvironment.switchSkipReason))
struct OwnershipTests {
    @Test("An empty bind mount owned by root: refused before anything is written, with the chown to run")
    func emptyRootOwnedDirectory() throws {
        let account = try #require(Privileges.account(named: "postgres"))
        let sandbox = try Sandbox()
        try FileSystem.createDirectory(sandbox.dataDirectory, permissions: 0o755)
        let before = try treeSnapshot(sandbox.dataDirectory)
        let result = try sandbox.run(sandbox.postgresArguments, environment: try sandbox.environment(), asUser: "postgres")
        #expect(result.status == .exited(1))
        #expect(result.output.contains("is an empty directory owned by uid 0 (root), but this container runs as uid \(account.uid)"))
        #expect(result.output.contains("chown \(account.uid):\(account.gid) /host/dir"))
        #expect(!result.output.contains("Permission denied"), "output: \(result.output)")
        #expect(!result.output.contains("the next start clears PGDATA"), "a promise the next start cannot keep")
        #expect(treeDifferences(before, try treeSnapshot(sandbox.dataDirectory)) == [])
    }

    @Test("A root-owned volume the user may write (as with Kubernetes' fsGroup): refused, and the subdirectory it suggests boots")
    func writableRootOwnedVolume() throws {
        let account = try #require(Privileges.account(named: "postgres"))
        let sandbox = try Sandbox()
        try FileSystem.createDirectory(sandbox.dataDirectory, permissions: 0o777)
        try FileSystem.changePermissions(sandbox.dataDirectory, 0o777)
        try FileSystem.createDirectory(sandbox.socketDirectory, permissions: 0o755)
        try FileSystem.changeOwner(sandbox.socketDirectory, user: account.uid, group: account.gid)
        let refused = try sandbox.run(sandbox.postgresArguments, environment: try sandbox.environment(), asUser: "postgres")
        #expect(refused.status == .exited(1))
        #expect(refused.output.contains("PGDATA=\(sandbox.dataDirectory)/pgdata works too"), "output: \(refused.output)")
        #expect(try FileSystem.contents(ofDirectory: sandbox.dataDirectory).isEmpty)

        let subdirectory = sandbox.dataDirectory + "/pgdata"
        let server = try sandbox.start(environment: try sandbox.environment(["PGDATA": subdirectory]), asUser: "postgres")
        #expect(try FileSystem.info(subdirectory)?.owner == account.uid)
        #expect(try sandbox.connect().execute("SELECT 1").scalar == "1")
        #expect(server.stop() == .exited(0))
    }

    @Test(
        "A cluster copied in without --chown (unreadable, or readable but root's): refused untouched, with the chown -R",
        arguments: [0o700, 0o755] as [mode_t])
    func copiedWithoutChown(permissions: mode_t) throws {
        let account = try #require(Privileges.account(named: "postgres"))
        let sandbox = try Sandbox()
        try FileSystem.createDirectory(sandbox.dataDirectory + "/global", permissions: 0o700)
        try FileSystem.writeAtomically(sandbox.file("PG_VERSION"), "\(try installationMajor())\n", permissions: 0o644)
        try FileSystem.writeAtomically(sandbox.file("postgresql.conf"), "port = 5432\n", permissions: 0o644)
        try FileSystem.writeAtomically(sandbox.file("global/pg_control"), String(repeating: "x", count: 8192))
        try FileSystem.changePermissions(sandbox.dataDirectory, permissions)
        let before = try treeSnapshot(sandbox.dataDirectory)
        let result = try sandbox.run(sandbox.postgresArguments, environment: try sandbox.environment(), asUser: "postgres")
        #expect(result.status == .exited(1))
        #expect(
            result.output.contains("is owned by uid 0 (root), but this container runs as uid \(account.uid)"), "output: \(result.output)")
        #expect(result.output.contains("chown -R \(account.uid):\(account.gid) \(sandbox.dataDirectory)"))
        #expect(treeDifferences(before, try treeSnapshot(sandbox.dataDirectory)) == [])
    }
}
