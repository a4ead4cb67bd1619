import BBFEntrypoint
import BBFSystem
import PostgresClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// An interrupted first boot must never start as if it were fine: the next
/// boot detects it and initializes again from a clean directory.
@Suite(
    "Interrupted first boots recover", .serialized, .timeLimit(.minutes(10)),
    .enabled(if: TestEnvironment.hasPostgres, TestEnvironment.postgresSkipReason))
struct CrashRecoveryTests {
    /// Kills the entrypoint with SIGKILL just before `step`, then boots again.
    @Test(
        "SIGKILL of the entrypoint before each step, then a boot that recovers",
        arguments: [
            "begin", "initdb", "install-cluster", "write-certificate", "write-configuration", "start-temporary-server",
            "set-superuser-password", "create-databases", "run-init-scripts", "stop-temporary-server", "sync", "commit",
        ])
    func killedBeforeStep(step: String) throws {
        let sandbox = try Sandbox()
        try sandbox.writeInitScript("10-table.sql", "CREATE TABLE from_init (v int); INSERT INTO from_init VALUES (42);")
        let environment = try sandbox.environment(["POSTGRES_DB": "appdb"])
        let crashed = try sandbox.bootKilled(at: step, environment: environment)
        #expect(crashed.output.contains("BBF_ENTRYPOINT_CRASH_AT=\(step): killing the entrypoint before \(step)"))
        if step != "begin" {
            #expect(FileSystem.exists(sandbox.file(ManagedFiles.initializationMarker)))
            #expect(!FileSystem.exists(sandbox.file(ManagedFiles.state)))
        }
        let health = try sandbox.run(["healthcheck"], environment: environment)
        #expect(health.status == .exited(1))

        let server = try sandbox.start(environment: environment)
        if step != "begin" {
            #expect(server.log.contains("holds an initialization that was interrupted"))
        }
        // Init scripts run in POSTGRES_DB, exactly once.
        let connection = try sandbox.connect(database: "appdb")
        #expect(try connection.execute("SELECT v FROM from_init").scalar == "42")
        #expect(try connection.execute("SELECT count(*) FROM from_init").scalar == "1")
        #expect(!FileSystem.exists(sandbox.file(ManagedFiles.initializationMarker)))
        #expect(server.stop() == .exited(0))
    }

    @Test("A real SIGKILL while initdb runs, then a boot that recovers")
    func killedDuringInitdb() throws {
        let sandbox = try Sandbox()
        let environment = try sandbox.environment()
        let running = try sandbox.spawn(environment: environment)
        let staging = sandbox.file(ManagedFiles.initdbStaging)
        // initdb is under way: its cluster is half written, and nothing has been moved into PGDATA yet.
        let inInitdb = waitUntil(timeoutSeconds: 30, pollMilliseconds: 1) {
            FileSystem.exists(staging + "/global") && running.child.poll() == nil
        }
        running.child.send(SIGKILL)
        #expect(running.child.wait() == .signaled(SIGKILL))
        try #require(inInitdb, "initdb never got under way (no \(staging)/global), so the kill did not hit it:\n\(running.log)")
        try #require(
            FileSystem.exists(staging) && !FileSystem.exists(sandbox.file("PG_VERSION")),
            "the kill came after initdb (install-cluster had begun): it did not hit initdb")
        #expect(noPostgresRemains(on: sandbox.dataDirectory))
        let server = try sandbox.start(environment: environment)
        #expect(server.log.contains("holds an initialization that was interrupted"))
        #expect(try sandbox.connect().execute("SELECT 1").scalar == "1")
    }

    @Test("SIGINT (docker stop) during initialization ends it at once; the next boot recovers")
    func interruptedBySignal() throws {
        let sandbox = try Sandbox()
        // An init script that would keep the initialization busy for an hour:
        // only ending at once lets the entrypoint exit within the bound below.
        try sandbox.writeInitScript("10-slow.sql", "SELECT pg_sleep(3600);")
        let environment = try sandbox.environment()
        let running = try sandbox.spawn(environment: environment)
        try running.waitForLog("10-slow.sql")
        running.child.send(SIGINT)
        let status = running.child.wait(timeoutMilliseconds: 120_000)
        if status == nil { running.child.send(SIGKILL) }
        #expect(status == .exited(128 + SIGINT), "the entrypoint did not end on SIGINT:\n\(running.log)")
        #expect(running.log.contains("stopped during initialization"))
        #expect(noPostgresRemains(on: sandbox.dataDirectory))

        try FileSystem.removeTree(sandbox.initDirectory + "/10-slow.sql")
        let server = try sandbox.start(environment: environment)
        #expect(server.log.contains("holds an initialization that was interrupted"))
    }

    @Test("The temporary server killed mid-initialization: a clear error, then a boot that recovers")
    func temporaryServerKilled() throws {
        let sandbox = try Sandbox()
        let environment = try sandbox.environment(["POSTGRES_DB": "appdb"])
        var crashing = environment
        crashing["BBF_ENTRYPOINT_CRASH_AT"] = "server@create-databases"
        let failed = try sandbox.run(sandbox.postgresArguments, environment: crashing)
        #expect(failed.status == .exited(1))
        #expect(failed.output.contains("create-databases:"))
        #expect(failed.output.contains("the next start clears PGDATA and begins it again"))
        #expect(FileSystem.exists(sandbox.file(ManagedFiles.initializationMarker)))
        try sandbox.start(environment: environment)
        #expect(try sandbox.connect(database: "appdb").execute("SELECT 1").scalar == "1")
    }

    @Test("A failing step (bad initdb arguments) stops the boot; fixed, the next boot starts clean")
    func failedInitdb() throws {
        let sandbox = try Sandbox()
        let failed = try sandbox.run(
            sandbox.postgresArguments, environment: try sandbox.environment(["POSTGRES_INITDB_ARGS": "--no-such-initdb-option"]))
        #expect(failed.status == .exited(1))
        #expect(failed.output.contains("initdb:"))
        #expect(failed.output.contains("no-such-initdb-option"))
        let server = try sandbox.start(environment: try sandbox.environment(["POSTGRES_INITDB_ARGS": "--data-checksums"]))
        #expect(server.log.contains("holds an initialization that was interrupted"))
        #expect(try sandbox.connect().execute("SHOW data_checksums").scalar == "on")
    }
}
