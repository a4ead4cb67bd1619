import BBFEntrypoint
import BBFSystem
import PostgresClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// An interrupted first boot must never start as if it were fine: the next
/// boot detects it and initializes again from a clean directory.
@Suite("Interrupted first boots recover", .serialized, .timeLimit(.minutes(10)))
struct CrashRecoveryTests {
    /// Kills the entrypoint with SIGKILL just before `step`, then boots again.
    @Test(
        "SIGKILL of the entrypoint before each step, then a boot that recovers",
        arguments: [
            "begin", "initdb", "install-cluster", "write-configuration", "start-temporary-server",
            "set-superuser-password", "create-databases", "run-init-scripts", "stop-temporary-server", "sync", "commit",
        ])
    func killedBeforeStep(step: String) throws {
        let sandbox = try Sandbox()
        try sandbox.writeInitScript("10-table.sql", "CREATE TABLE from_init (v int); INSERT INTO from_init VALUES (42);")
        let environment = try sandbox.environment(["POSTGRES_DB": "appdb"])
        var crashing = environment
        crashing["BBF_ENTRYPOINT_CRASH_AT"] = step
        let crashed = try sandbox.run(sandbox.postgresArguments, environment: crashing)
        #expect(crashed.status == .signaled(SIGKILL), "output: \(crashed.output)")
        #expect(!postgresRunning(on: sandbox.dataDirectory), "a server outlived the entrypoint")
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
        let start = Instant.now()
        while !FileSystem.exists(sandbox.file(ManagedFiles.initdbStaging + "/global")) && start.millisecondsElapsed() < 30_000 {
            sleep(milliseconds: 1)
        }
        running.child.send(SIGKILL)
        #expect(running.child.wait() == .signaled(SIGKILL))
        sleep(milliseconds: 100)
        #expect(!postgresRunning(on: sandbox.dataDirectory))
        let server = try sandbox.start(environment: environment)
        #expect(server.log.contains("holds an initialization that was interrupted"))
        #expect(try sandbox.connect().execute("SELECT 1").scalar == "1")
    }

    @Test("SIGINT (docker stop) during initialization ends it at once; the next boot recovers")
    func interruptedBySignal() throws {
        let sandbox = try Sandbox()
        // A slow init script keeps the initialization busy.
        try sandbox.writeInitScript("10-slow.sql", "SELECT pg_sleep(30);")
        let environment = try sandbox.environment()
        let running = try sandbox.spawn(environment: environment)
        let start = Instant.now()
        while !running.log.contains("10-slow.sql") && start.millisecondsElapsed() < 30_000 {
            sleep(milliseconds: 10)
        }
        let signalled = Instant.now()
        running.child.send(SIGINT)
        #expect(running.child.wait() == .exited(128 + SIGINT))
        #expect(signalled.millisecondsElapsed() < 5_000)
        #expect(running.log.contains("stopped during initialization"))
        sleep(milliseconds: 100)
        #expect(!postgresRunning(on: sandbox.dataDirectory))

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
