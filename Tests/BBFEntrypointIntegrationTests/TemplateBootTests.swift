import BBFEntrypoint
import BBFSystem
import PostgresClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A template made from the plain PostgreSQL by make-template, and first
/// boots that copy it, on real servers.
@Suite(
    "First boot from a template cluster, on a real PostgreSQL", .serialized, .timeLimit(.minutes(10)),
    .enabled(if: TestEnvironment.hasPostgres, TestEnvironment.postgresSkipReason))
struct TemplateBootTests {
    @Test("make-template leaves no password, key, WAL, statistics, pid or options file; read-only files; the manifest last")
    func templateContents() throws {
        let template = try SharedTemplate.plain()
        let data = template + "/" + TemplateFiles.data
        let manifest = try #require(TemplateManifest.parse(try FileSystem.readText(template + "/" + TemplateFiles.manifest)))
        #expect(manifest.babelfish == false)
        #expect(manifest.superuser == "postgres")
        #expect(manifest.inputs.localeVariables == ["LANG": "C.UTF-8"])
        for absent in [
            "server.key", "server.crt", "postmaster.pid", "postmaster.opts", ManagedFiles.state, ManagedFiles.initializationMarker,
            ManagedFiles.managedConfiguration, "global/pg_internal.init",
        ] {
            #expect(!FileSystem.exists(data + "/" + absent), "the template holds \(absent)")
        }
        #expect(try FileSystem.contents(ofDirectory: data + "/pg_stat").isEmpty)
        #expect(try FileSystem.contents(ofDirectory: data + "/pg_wal") == ["archive_status"])
        let tree = try treeSnapshot(data)
        #expect(tree.values.filter { $0.kind == .regular }.allSatisfy { $0.permissions == 0o444 })
        #expect(tree.values.filter { $0.kind == .directory }.allSatisfy { $0.permissions == 0o755 })
        #expect(!tree.values.contains { $0.kind == .regular && $0.bytes.contains(Array("SCRAM-SHA-256$".utf8)) })
        #expect(try ControlData.read(data, bin: try TestEnvironment.requirePostgres()).state == "shut down")
    }

    @Test(
        "A template boot: the container's passwords, POSTGRES_DB and init scripts; its own system identifier and nonce; the template untouched"
    )
    func templateBoot() throws {
        let bin = try TestEnvironment.requirePostgres()
        let template = try SharedTemplate.plain()
        let before = try treeSnapshot(template)
        let templateControl = try ControlData.read(template + "/" + TemplateFiles.data, bin: bin)
        var identities: [ControlData] = []
        for (index, password) in ["first-secret-1", "second-secret-2"].enumerated() {
            let sandbox = try Sandbox()
            try sandbox.writeInitScript("10-table.sql", "CREATE TABLE from_init (v int); INSERT INTO from_init VALUES (\(index));")
            let environment = try sandbox.templateEnvironment(template, ["POSTGRES_PASSWORD": password, "POSTGRES_DB": "appdb"])
            let server = try sandbox.start(environment: environment)
            #expect(server.log.contains("first boot from the template cluster \(template)"))
            #expect(server.log.contains("copy-template"), "\(server.log)")
            #expect(!server.log.contains("initdb "), "initdb ran: \(server.log)")
            #expect(!server.log.contains(password))
            let connection = try sandbox.connect(database: "appdb", password: password)
            #expect(try connection.execute("SELECT v FROM from_init").scalar == String(index))
            let stored = try connection.execute("SELECT rolpassword FROM pg_authid WHERE rolname = 'postgres'").scalar
            #expect(stored?.hasPrefix("SCRAM-SHA-256$") == true)
            #expect(throws: PostgresError.self) { try sandbox.connect(password: index == 0 ? "second-secret-2" : "first-secret-1") }
            #expect(FileSystem.exists(sandbox.file("server.key")))
            #expect(try FileSystem.info(sandbox.file("base"))?.permissions == 0o700)
            #expect(try FileSystem.info(sandbox.file("PG_VERSION"))?.permissions == 0o600)
            let state = try #require(ClusterState.parse(try FileSystem.readText(sandbox.file(ManagedFiles.state))))
            #expect(state.template == template)
            #expect(server.stop() == .exited(0))
            identities.append(try ControlData.read(sandbox.dataDirectory, bin: bin))
            // A second start of the copy is a plain later boot.
            let again = try sandbox.start(environment: environment)
            #expect(again.log.contains("is initialized: starting PostgreSQL"))
            #expect(again.stop() == .exited(0))
        }
        #expect(Set(identities.map(\.systemIdentifier) + [templateControl.systemIdentifier]).count == 3)
        #expect(Set(identities.map(\.nonce) + [templateControl.nonce]).count == 3)
        #expect(treeDifferences(before, try treeSnapshot(template)) == [], "a boot changed the template")
    }

    @Test("Without passwords (trust) a template boot leaves every role without one: the template holds none")
    func noPasswordInTemplate() throws {
        let sandbox = try Sandbox()
        let environment = try sandbox.templateEnvironment(
            try SharedTemplate.plain(), ["POSTGRES_PASSWORD": "", "BABELFISH_PASSWORD": "", "POSTGRES_HOST_AUTH_METHOD": "trust"])
        let server = try sandbox.start(environment: environment)
        #expect(server.log.contains("first boot from the template cluster"))
        let connection = try PostgresConnection([
            "host": "127.0.0.1", "port": String(sandbox.port), "user": "postgres", "dbname": "postgres",
        ])
        #expect(try connection.execute("SELECT count(*) FROM pg_authid WHERE rolpassword IS NOT NULL").scalar == "0")
        #expect(server.stop() == .exited(0))
    }

    @Test("The strict durability mode copies the template too")
    func strict() throws {
        let sandbox = try Sandbox()
        let server = try sandbox.start(
            environment: try sandbox.templateEnvironment(try SharedTemplate.plain(), ["BBF_INIT_DURABILITY": "strict"]))
        #expect(server.log.contains("first boot from the template cluster"))
        #expect(try sandbox.connect().execute("SELECT 1").scalar == "1")
    }

    @Test(
        "A setting that differs from the template's gets a full, correct initialization, and the log names the setting",
        arguments: [
            ("POSTGRES_INITDB_ARGS", "--data-checksums", "SHOW data_checksums", "on"),
            ("TZ", "Europe/Berlin", "SHOW timezone", "Europe/Berlin"),
            ("POSTGRES_USER", "admin", "SELECT current_user", "admin"),
            ("LC_ALL", "C", "SELECT datcollate FROM pg_database WHERE datname = 'postgres'", "C"),
        ])
    func fallback(variable: String, value: String, query: String, expected: String) throws {
        let sandbox = try Sandbox()
        let environment = try sandbox.templateEnvironment(try SharedTemplate.plain(), [variable: value])
        let server = try sandbox.start(environment: environment)
        #expect(server.log.contains("a full initialization (initdb), not the template cluster"), "\(server.log)")
        #expect(
            server.log.contains("\(variable)=\(value)") || server.log.contains("from \(variable)"), "the reason does not name \(variable)")
        let user = variable == "POSTGRES_USER" ? value : "postgres"
        #expect(try sandbox.connect(user: user).execute(query).scalar == expected)
        let state = try #require(ClusterState.parse(try FileSystem.readText(sandbox.file(ManagedFiles.state))))
        #expect(state.template == nil)
        #expect(server.stop() == .exited(0))
    }

    @Test("BBF_INIT_TEMPLATE=off runs initdb, saying nothing of templates")
    func off() throws {
        let sandbox = try Sandbox()
        var environment = try sandbox.environment()
        environment["BBF_INIT_TEMPLATE"] = "off"
        let server = try sandbox.start(environment: environment)
        #expect(!server.log.contains("template"))
        #expect(server.log.contains("initdb "))
    }

    @Test("make-template refuses a directory that is not empty, or a relative one, and writes nothing")
    func makeTemplateRefusals() throws {
        let sandbox = try Sandbox()
        let occupied = sandbox.root + "/occupied"
        try FileSystem.createDirectory(occupied)
        try FileSystem.writeAtomically(occupied + "/keep", "mine\n", permissions: 0o644)
        let refused = try SharedTemplate.makeTemplate(occupied, babelfish: false)
        #expect(refused.status == .exited(1))
        #expect(refused.output.contains("is not an empty directory"))
        #expect(try FileSystem.contents(ofDirectory: occupied) == ["keep"])
        let relative = try SharedTemplate.makeTemplate("relative/template", babelfish: false)
        #expect(relative.status == .exited(1))
        #expect(relative.output.contains("absolute path"))
        let usage = try sandbox.run(["make-template"], environment: try sandbox.environment())
        #expect(usage.status == .exited(64))
    }
}

/// The crash-safety contract on the copy-based first boot.
@Suite(
    "Interrupted template boots recover", .serialized, .timeLimit(.minutes(10)),
    .enabled(if: TestEnvironment.hasPostgres, TestEnvironment.postgresSkipReason))
struct TemplateCrashTests {
    @Test(
        "SIGKILL of the entrypoint before each step of a template boot, then a boot that recovers from the template",
        arguments: [
            "begin", "copy-template", "new-identity", "write-certificate", "write-configuration", "start-temporary-server",
            "set-superuser-password", "create-databases", "run-init-scripts", "stop-temporary-server", "sync", "commit",
        ])
    func killedBeforeStep(step: String) throws {
        let sandbox = try Sandbox()
        try sandbox.writeInitScript("10-table.sql", "CREATE TABLE from_init (v int); INSERT INTO from_init VALUES (42);")
        let environment = try sandbox.templateEnvironment(try SharedTemplate.plain(), ["POSTGRES_DB": "appdb"])
        let crashed = try sandbox.bootKilled(at: step, environment: environment)
        #expect(crashed.output.contains("killing the entrypoint before \(step)"))
        if step != "begin" {
            #expect(FileSystem.exists(sandbox.file(ManagedFiles.initializationMarker)))
            #expect(!FileSystem.exists(sandbox.file(ManagedFiles.state)))
        }
        #expect(try sandbox.run(["healthcheck"], environment: environment).status == .exited(1))
        try recovers(sandbox, environment: environment, interrupted: step != "begin")
    }

    @Test("A real SIGKILL half-way through the copy, then a boot that recovers")
    func killedDuringCopy() throws {
        let sandbox = try Sandbox()
        let environment = try sandbox.templateEnvironment(try SharedTemplate.plain(), ["POSTGRES_DB": "appdb"])
        let crashed = try sandbox.bootKilled(at: "copy-template-file", environment: environment)
        #expect(crashed.output.contains("killing the entrypoint after"))
        // Half a cluster: some files copied, pg_control perhaps not, and the marker says so.
        #expect(FileSystem.exists(sandbox.file(ManagedFiles.initializationMarker)))
        #expect(try FileSystem.contents(ofDirectory: sandbox.dataDirectory).count > 1)
        try recovers(sandbox, environment: environment, interrupted: true)
    }

    @Test("The temporary server killed while the template's passwords are set: a clear error, then a boot that recovers")
    func serverKilled() throws {
        let sandbox = try Sandbox()
        let environment = try sandbox.templateEnvironment(try SharedTemplate.plain(), ["POSTGRES_DB": "appdb"])
        var crashing = environment
        crashing["BBF_ENTRYPOINT_CRASH_AT"] = "server@set-superuser-password"
        let failed = try sandbox.run(sandbox.postgresArguments, environment: crashing)
        #expect(failed.status == .exited(1))
        #expect(failed.output.contains("set-superuser-password:"))
        #expect(failed.output.contains("the next start clears PGDATA and begins it again"))
        try recovers(sandbox, environment: environment, interrupted: true)
    }

    /// The next start clears what the interrupted one left, copies the template again and completes.
    private func recovers(_ sandbox: Sandbox, environment: [String: String], interrupted: Bool) throws {
        let server = try sandbox.start(environment: environment)
        if interrupted { #expect(server.log.contains("holds an initialization that was interrupted")) }
        #expect(server.log.contains("first boot from the template cluster"))
        let connection = try sandbox.connect(database: "appdb")
        if FileSystem.exists(sandbox.initDirectory + "/10-table.sql") {
            #expect(try connection.execute("SELECT count(*) FROM from_init").scalar == "1")
        }
        #expect(!FileSystem.exists(sandbox.file(ManagedFiles.initializationMarker)))
        #expect(server.stop() == .exited(0))
    }
}

/// The template made from a real Babelfish with the defaults, and first
/// boots that copy it and answer over TDS.
@Suite(
    "First boot from a Babelfish template cluster", .serialized, .timeLimit(.minutes(10)),
    .enabled(if: TestEnvironment.hasBabelfish, TestEnvironment.babelfishSkipReason))
struct BabelfishTemplateTests {
    @Test("make-template on Babelfish: the defaults in the manifest, no password in the cluster, no WAL segment")
    func babelfishTemplateContents() throws {
        let template = try SharedTemplate.babelfish()
        let manifest = try #require(TemplateManifest.parse(try FileSystem.readText(template + "/" + TemplateFiles.manifest)))
        #expect(manifest.babelfish)
        #expect(manifest.babelfishVersion?.isEmpty == false)
        #expect(manifest.babelfishUser == "babelfish_user")
        #expect(manifest.babelfishDatabase == "babelfish_db")
        #expect(manifest.migrationMode == "multi-db")
        #expect(manifest.collation == nil)
        let data = template + "/" + TemplateFiles.data
        #expect(try FileSystem.contents(ofDirectory: data + "/pg_wal") == ["archive_status"])
        #expect(!FileSystem.exists(data + "/server.key"))
        let tree = try treeSnapshot(data)
        #expect(!tree.values.contains { $0.kind == .regular && $0.bytes.contains(Array("SCRAM-SHA-256$".utf8)) })
    }

    @Test("A template boot answers T-SQL over TDS with this container's password, multi-db, initialized; the template untouched")
    func babelfishTemplateBoot() throws {
        let template = try SharedTemplate.babelfish()
        let before = try treeSnapshot(template)
        let sandbox = try Sandbox()
        try sandbox.writeInitScript("10-table.tsql", "CREATE TABLE dbo.from_init (v INT); INSERT INTO dbo.from_init VALUES (7);")
        let environment = try sandbox.templateEnvironment(template, babelfish: true, ["BABELFISH_PASSWORD": "Own-secret-9"])
        let server = try sandbox.start(environment: environment)
        #expect(server.log.contains("first boot from the template cluster \(template)"), "\(server.log)")
        #expect(!server.log.contains("initdb "), "initdb ran: \(server.log)")
        #expect(!server.log.contains("Own-secret-9") && !server.log.contains("pg-secret-1"))
        let output = try sandbox.tsql(
            "SELECT SUSER_NAME() AS login, DB_NAME() AS db, (SELECT v FROM dbo.from_init) AS v;", password: "Own-secret-9")
        #expect(output.contains("babelfish_user"), "tsql printed: \(output)")
        #expect(output.contains("master"))
        #expect(output.contains("7"))
        #expect(!(try sandbox.tsql("SELECT 1", password: "Bbf-secret-2")).contains("(1 row affected)"))
        let connection = try sandbox.connect(database: "babelfish_db")
        #expect(try connection.execute("SHOW babelfishpg_tsql.migration_mode").scalar == "multi-db")
        #expect(try connection.execute("SHOW babelfishpg_tsql.database_name").scalar == "babelfish_db")
        let state = try #require(ClusterState.parse(try FileSystem.readText(sandbox.file(ManagedFiles.state))))
        #expect(state.template == template)
        #expect(state.babelfishVersion?.isEmpty == false)
        var probe = environment
        probe["POSTGRES_PASSWORD"] = nil
        probe["BABELFISH_PASSWORD"] = nil
        #expect(try sandbox.run(["healthcheck"], environment: probe).status == .exited(0))
        #expect(server.stop() == .exited(0))
        #expect(treeDifferences(before, try treeSnapshot(template)) == [], "a boot changed the template")
    }

    @Test("BABELFISH_MIGRATION_MODE=single-db differs from the template: a full initialization, and the log says why")
    func babelfishFallback() throws {
        let sandbox = try Sandbox()
        let environment = try sandbox.templateEnvironment(
            try SharedTemplate.babelfish(), babelfish: true, ["BABELFISH_MIGRATION_MODE": "single-db"])
        let server = try sandbox.start(environment: environment)
        #expect(server.log.contains("a full initialization (initdb), not the template cluster"), "\(server.log)")
        #expect(server.log.contains("BABELFISH_MIGRATION_MODE=single-db"))
        #expect(try sandbox.connect(database: "babelfish_db").execute("SHOW babelfishpg_tsql.migration_mode").scalar == "single-db")
        #expect(server.stop() == .exited(0))
    }

    @Test(
        "SIGKILL before each Babelfish step of a template boot, then a boot that recovers and answers over TDS",
        arguments: ["copy-template", "new-identity", "set-login-password", "run-init-scripts", "commit"])
    func babelfishKilledBeforeStep(step: String) throws {
        let sandbox = try Sandbox()
        try sandbox.writeInitScript("10-table.sql", "CREATE TABLE from_init (v int); INSERT INTO from_init VALUES (42);")
        let environment = try sandbox.templateEnvironment(try SharedTemplate.babelfish(), babelfish: true)
        try sandbox.bootKilled(at: step, environment: environment)
        #expect(FileSystem.exists(sandbox.file(ManagedFiles.initializationMarker)))
        let server = try sandbox.start(environment: environment)
        #expect(server.log.contains("holds an initialization that was interrupted"))
        #expect(server.log.contains("first boot from the template cluster"))
        #expect(try sandbox.tsql("SELECT DB_NAME() AS db").contains("master"))
        #expect(try sandbox.connect().execute("SELECT count(*) FROM from_init").scalar == "1")
        #expect(server.stop() == .exited(0))
    }
}
