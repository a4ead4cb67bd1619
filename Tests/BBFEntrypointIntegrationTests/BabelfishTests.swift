import BBFEntrypoint
import BBFSystem
import PostgresClient
import TDSClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The whole path on a real Babelfish (BBF_TEST_BABELFISH_HOME).
@Suite(
    "Babelfish first boot and later boots", .serialized, .timeLimit(.minutes(10)),
    .enabled(if: TestEnvironment.hasBabelfish, TestEnvironment.babelfishSkipReason))
struct BabelfishTests {
    @Test("First boot: T-SQL over TDS on port 1433 with tsql, multi-db, SCRAM passwords, healthy")
    func firstBoot() throws {
        let sandbox = try Sandbox()
        // The default TDS port when it is free on this machine, as in the image.
        let useDefaultPort = !Network.isListening(host: "127.0.0.1", port: 1433)
        let tdsPort = useDefaultPort ? 1433 : sandbox.tdsPort
        let environment = try sandbox.environment(babelfish: true, ["BABELFISH_TDS_PORT": useDefaultPort ? "" : String(tdsPort)])
        let server = try sandbox.start(environment: environment)
        #expect(server.log.contains("initialization complete"))
        #expect(!server.log.contains("Bbf-secret-2") && !server.log.contains("pg-secret-1"))

        let output = try sandbox.tsql(
            """
            DECLARE @greeting NVARCHAR(40) = N'hello from T-SQL';
            SELECT @greeting AS greeting, SUSER_NAME() AS login, DB_NAME() AS db;
            """, port: tdsPort)
        #expect(output.contains("hello from T-SQL"), "tsql printed: \(output)")
        #expect(output.contains("babelfish_user"))
        #expect(output.contains("master"))
        let version = try sandbox.tsql("SELECT @@version", port: tdsPort)
        #expect(version.contains("Babelfish"))

        let connection = try sandbox.connect(database: "babelfish_db")
        #expect(try connection.execute("SHOW babelfishpg_tsql.migration_mode").scalar == "multi-db")
        #expect(try connection.execute("SHOW babelfishpg_tsql.database_name").scalar == "babelfish_db")
        #expect(
            try connection.execute("SELECT rolpassword FROM pg_authid WHERE rolname = 'babelfish_user'").scalar?.hasPrefix("SCRAM-SHA-256$")
                == true)
        #expect(try connection.execute("SELECT 1 FROM pg_roles WHERE rolname = 'sysadmin'").scalar == "1")

        // A wrong password is refused over TDS (md5 host lines verify the SCRAM secret).
        let denied = try sandbox.tsql("SELECT 1", port: tdsPort, password: "wrong")
        #expect(!denied.contains("(1 row affected)"))

        var probe = environment
        probe["POSTGRES_PASSWORD"] = nil
        probe["BABELFISH_PASSWORD"] = nil
        let health = try sandbox.run(["healthcheck"], environment: probe)
        #expect(health.status == .exited(0), "output: \(health.output)")
        #expect(health.output.contains("TDS on 127.0.0.1:\(tdsPort)"))
        #expect(server.stop() == .exited(0))
    }

    @Test("A health check (a TDS PRELOGIN) adds no line to the server's log; with Babelfish's default log level it would")
    func quietHealthcheck() throws {
        let sandbox = try Sandbox()
        let environment = try sandbox.environment(babelfish: true)
        var probe = environment
        probe["POSTGRES_PASSWORD"] = nil
        probe["BABELFISH_PASSWORD"] = nil
        /// The log lines the health checks add, up to a line of the test's own written after them.
        func linesAddedByHealthchecks(_ server: RunningServer, marker: String) throws -> [Substring] {
            try server.waitForLog("database system is ready to accept connections")
            let before = server.log
            for _ in 0..<3 {
                let health = try sandbox.run(["healthcheck"], environment: probe)
                #expect(health.status == .exited(0), "output: \(health.output)")
                #expect(health.output.contains("TDS on 127.0.0.1:\(sandbox.tdsPort)"), "the check no longer speaks TDS")
            }
            try sandbox.connect().execute("DO $$BEGIN RAISE LOG '\(marker)'; END$$")
            try server.waitForLog(marker)
            let added = server.log.dropFirst(before.count).split(separator: "\n")
            return Array(added.prefix { !$0.contains(marker) })
        }

        let quiet = try sandbox.start(environment: environment)
        let quietLines = try linesAddedByHealthchecks(quiet, marker: "bbf-test: after the quiet health checks")
        #expect(quietLines.isEmpty, "the health checks logged: \(quietLines)")
        #expect(quiet.stop() == .exited(0))

        // The same with Babelfish's default level: the test sees what it guards against.
        let noisy = try sandbox.start(
            sandbox.postgresArguments + ["-c", "babelfishpg_tds.tds_debug_log_level=1"], environment: environment)
        let noisyLines = try linesAddedByHealthchecks(noisy, marker: "bbf-test: after the noisy health checks")
        #expect(noisyLines.contains { $0.contains("message_type: TDS7 Prelogin Message") }, "logged: \(noisyLines)")
        #expect(noisy.stop() == .exited(0))
    }

    @Test("*.tsql, *.sql and *.sh init scripts; the T-SQL runs over TDS and its effect is visible over TDS")
    func initScripts() throws {
        let sandbox = try Sandbox()
        try sandbox.writeInitScript(
            "10-app.tsql",
            """
            CREATE DATABASE appdb;
            GO
            USE appdb;
            GO
            CREATE TABLE dbo.widgets (id INT PRIMARY KEY, name NVARCHAR(50));
            GO
            DECLARE @i INT = 1;
            WHILE @i <= 3
            BEGIN
                INSERT INTO dbo.widgets VALUES (@i, N'widget ' + CAST(@i AS NVARCHAR(10)));
                SET @i = @i + 1;
            END
            PRINT 'seeded widgets';
            GO
            CREATE PROCEDURE dbo.widget_count AS
            BEGIN
                SELECT COUNT(*) AS n FROM dbo.widgets;
            END
            GO
            """)
        try sandbox.writeInitScript("20-pg.sql", "\\c babelfish_db\nSELECT 1;\n")
        try sandbox.writeInitScript(
            "30-tds.sh",
            "#!/bin/sh\nset -e\nprintf 'INSERT INTO appdb.dbo.widgets VALUES (4, N%s)\\ngo\\n' \"'from sh'\" | tsql -H \"$BABELFISH_INIT_TDS_HOST\" -p \"$BABELFISH_INIT_TDS_PORT\" -U babelfish_user -P \"$BABELFISH_PASSWORD\"\n",
            executable: true)
        let server = try sandbox.start(environment: try sandbox.environment(babelfish: true))
        #expect(server.log.contains("10-app.tsql: seeded widgets"))
        let output = try sandbox.tsql(
            "USE appdb\ngo\nEXEC dbo.widget_count\ngo\nSELECT name FROM dbo.widgets WHERE id IN (2, 4) ORDER BY id")
        #expect(output.contains("widget 2"), "tsql printed: \(output)")
        #expect(output.contains("from sh"))
        #expect(output.contains("\n4\n") || output.contains("4\r\n") || output.contains("\t4") || output.contains("n\n4"))
    }

    @Test("A failing *.tsql batch stops the boot naming file, batch and server message; fixed, the next boot starts clean")
    func failingTSQL() throws {
        let sandbox = try Sandbox()
        try sandbox.writeInitScript("10-bad.tsql", "SELECT 1;\nGO\n\nSELECT * FROM dbo.no_such_table;\nGO\n")
        let environment = try sandbox.environment(babelfish: true)
        let failed = try sandbox.run(sandbox.postgresArguments, environment: environment)
        #expect(failed.status == .exited(1))
        #expect(failed.output.contains("10-bad.tsql: batch 2 of 2 (starting at line 4) failed"), "output: \(failed.output)")
        #expect(failed.output.contains("no_such_table"))
        // initialize_babelfish cannot run twice: booting again proves the restart was clean.
        try FileSystem.removeTree(sandbox.initDirectory + "/10-bad.tsql")
        let server = try sandbox.start(environment: environment)
        #expect(server.log.contains("holds an initialization that was interrupted"))
        #expect(try sandbox.tsql("SELECT 42 AS answer").contains("42"))
    }

    @Test(
        "SIGKILL before each Babelfish step, then a boot that recovers with a working TDS endpoint",
        arguments: ["create-login", "create-extension", "configure-babelfish", "initialize-babelfish", "run-init-scripts", "commit"])
    func killedBeforeBabelfishStep(step: String) throws {
        let sandbox = try Sandbox()
        try sandbox.writeInitScript("10-db.tsql", "CREATE DATABASE crashdb;\nGO\n")
        let environment = try sandbox.environment(babelfish: true)
        try sandbox.bootKilled(at: step, environment: environment)
        let server = try sandbox.start(environment: environment)
        #expect(server.log.contains("holds an initialization that was interrupted"))
        #expect(try sandbox.tsql("SELECT name FROM sys.databases WHERE name = 'crashdb'").contains("crashdb"))
    }

    @Test("single-db and a collation are applied at first boot; later changes are reported, not applied")
    func immutableSettings() throws {
        let sandbox = try Sandbox()
        let environment = try sandbox.environment(
            babelfish: true, ["BABELFISH_MIGRATION_MODE": "single-db", "BABELFISH_COLLATION": "latin1_general_ci_as"])
        let first = try sandbox.start(environment: environment)
        let connection = try sandbox.connect(database: "babelfish_db")
        #expect(try connection.execute("SHOW babelfishpg_tsql.migration_mode").scalar == "single-db")
        #expect(try connection.execute("SHOW babelfishpg_tsql.server_collation_name").scalar == "latin1_general_ci_as")
        #expect(first.stop() == .exited(0))

        let second = try sandbox.start(environment: try sandbox.environment(babelfish: true, ["BABELFISH_MIGRATION_MODE": "multi-db"]))
        #expect(
            second.log.contains(
                "BABELFISH_MIGRATION_MODE=multi-db is not applied: this cluster was initialized with migration mode single-db"))
        #expect(try sandbox.connect(database: "babelfish_db").execute("SHOW babelfishpg_tsql.migration_mode").scalar == "single-db")
    }

    @Test("A minor Babelfish bump runs ALTER EXTENSION ... UPDATE once; a newer data directory is refused")
    func minorUpgrade() throws {
        let sandbox = try Sandbox()
        let environment = try sandbox.environment(babelfish: true)
        let first = try sandbox.start(environment: environment)
        #expect(first.stop() == .exited(0))
        let statePath = sandbox.file(ManagedFiles.state)
        let original = try #require(ClusterState.parse(try FileSystem.readText(statePath)))
        let current = try #require(original.babelfishVersion)

        var older = original
        older.babelfishVersion = "1.0.0"
        try FileSystem.writeAtomically(statePath, older.render())
        let upgraded = try sandbox.start(environment: environment)
        #expect(upgraded.log.contains("Babelfish 1.0.0 -> \(current): updating the extensions"))
        #expect(ClusterState.parse(try FileSystem.readText(statePath))?.babelfishVersion == current)
        #expect(try sandbox.tsql("SELECT 7 AS seven").contains("7"))
        #expect(upgraded.stop() == .exited(0))

        var newer = original
        newer.babelfishVersion = "99.0.0"
        try FileSystem.writeAtomically(statePath, newer.render())
        let refused = try sandbox.run(sandbox.postgresArguments, environment: environment)
        #expect(refused.status == .exited(1))
        #expect(refused.output.contains("last used with Babelfish 99.0.0, newer than this image's"))
    }

    @Test("A foreign cluster that preloads babelfishpg_tds but was never initialized: looked at once, refused, data unchanged")
    func refuseUninitialized() throws {
        let sandbox = try Sandbox()
        let home = try #require(TestEnvironment.babelfishHome)
        try makeForeignCluster(sandbox, bin: home + "/bin")
        let conf = sandbox.file("postgresql.conf")
        let info = try #require(try FileSystem.info(conf))
        try FileSystem.writeAtomically(conf, try FileSystem.readText(conf) + "shared_preload_libraries = 'babelfishpg_tds'\n")
        try FileSystem.changeOwner(conf, user: info.owner, group: info.group)
        let before = try treeSnapshot(sandbox.dataDirectory)
        let result = try sandbox.run(sandbox.postgresArguments, environment: try sandbox.environment(babelfish: true))
        #expect(result.status == .exited(1))
        #expect(
            result.output.contains("holds a PostgreSQL cluster without Babelfish (no database babelfish_db)"), "output: \(result.output)")
        #expect(result.output.contains("shared_preload_libraries has babelfishpg_tds"))
        let unexplained = changesBeyondBookkeeping(treeDifferences(before, try treeSnapshot(sandbox.dataDirectory)))
        #expect(unexplained.isEmpty, "changed beyond PostgreSQL's bookkeeping: \(unexplained)")
    }

    @Test("A Babelfish cluster this entrypoint did not create is adopted")
    func adopt() throws {
        let sandbox = try Sandbox()
        let environment = try sandbox.environment(babelfish: true)
        let first = try sandbox.start(environment: environment)
        #expect(first.stop() == .exited(0))
        // Without our state file the cluster looks like another image's.
        try FileSystem.removeTree(sandbox.file(ManagedFiles.state))
        let second = try sandbox.start(environment: environment)
        #expect(second.log.contains("adopted the existing cluster"))
        let state = try #require(ClusterState.parse(try FileSystem.readText(sandbox.file(ManagedFiles.state))))
        #expect(state.origin == .adopted)
        #expect(state.babelfishVersion != nil)
        #expect(try sandbox.tsql("SELECT 1 AS one").contains("1"))
    }
}
