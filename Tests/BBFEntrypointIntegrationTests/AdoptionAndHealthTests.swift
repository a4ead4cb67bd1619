import BBFEntrypoint
import BBFSystem
import PostgresClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Clusters this entrypoint did not create", .serialized, .timeLimit(.minutes(5)))
struct AdoptionTests {
    /// A cluster made with plain initdb, as the postgres user when running as root.
    private func foreignCluster(_ sandbox: Sandbox) throws {
        let bin = try TestEnvironment.requirePostgres()
        var arguments = [bin + "/initdb", "-D", sandbox.dataDirectory, "--auth=trust", "-U", "postgres"]
        if Privileges.isRoot, let account = Privileges.account(named: "postgres") {
            try FileSystem.createDirectory(sandbox.dataDirectory, permissions: 0o700)
            try FileSystem.changeOwner(sandbox.dataDirectory, user: account.uid, group: account.gid)
            arguments = ["/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] + arguments
        }
        _ = try Command.output(arguments[0], Array(arguments.dropFirst()))
    }

    @Test("Plain mode adopts a foreign cluster and boots it from then on")
    func adoptPlain() throws {
        let sandbox = try Sandbox()
        try foreignCluster(sandbox)
        let environment = try sandbox.environment(["POSTGRES_PASSWORD": ""])
        let first = try sandbox.start(environment: environment)
        #expect(first.log.contains("did not create"))
        #expect(first.log.contains("adopted the existing cluster"))
        let state = try FileSystem.readText(sandbox.file(ManagedFiles.state))
        #expect(state.contains("origin=adopted"))
        #expect(try FileSystem.readText(sandbox.file("postgresql.conf")).contains("include = 'bbf-entrypoint.conf'"))
        #expect(first.stop() == .exited(0))
        let second = try sandbox.start(environment: environment)
        #expect(!second.log.contains("did not create"))
    }

    @Test("Babelfish mode refuses a foreign cluster without Babelfish, and leaves its data and files alone")
    func refuseWithoutBabelfish() throws {
        let sandbox = try Sandbox()
        try foreignCluster(sandbox)
        let confBefore = try FileSystem.readText(sandbox.file("postgresql.conf"))
        let result = try sandbox.run(sandbox.postgresArguments, environment: try sandbox.environment(["BABELFISH_ENABLED": "true"]))
        #expect(result.status == .exited(1))
        #expect(result.output.contains("holds a PostgreSQL cluster without Babelfish (no database babelfish_db)"))
        #expect(!FileSystem.exists(sandbox.file(ManagedFiles.state)))
        #expect(!FileSystem.exists(sandbox.file(ManagedFiles.managedConfiguration)))
        #expect(try FileSystem.readText(sandbox.file("postgresql.conf")) == confBefore)
        #expect(FileSystem.exists(sandbox.file("PG_VERSION")))
    }

    @Test("A cluster initialized without Babelfish is refused when Babelfish is asked for")
    func plainClusterInBabelfishMode() throws {
        let sandbox = try Sandbox()
        let first = try sandbox.start(environment: try sandbox.environment())
        #expect(first.stop() == .exited(0))
        let result = try sandbox.run(sandbox.postgresArguments, environment: try sandbox.environment(["BABELFISH_ENABLED": "true"]))
        #expect(result.status == .exited(1))
        #expect(result.output.contains("was initialized without Babelfish"))
    }
}

@Suite("Health check", .serialized, .timeLimit(.minutes(5)))
struct HealthcheckTests {
    @Test("Unhealthy before the first boot and after a stop, healthy while running; fast and credential-free")
    func lifecycle() throws {
        let sandbox = try Sandbox()
        let environment = try sandbox.environment()
        var probeEnvironment = environment
        probeEnvironment["POSTGRES_PASSWORD"] = nil

        let before = try sandbox.run(["healthcheck"], environment: probeEnvironment)
        #expect(before.status == .exited(1))
        #expect(before.output.hasPrefix("unhealthy: PostgreSQL is not running"))

        let server = try sandbox.start(environment: environment)
        let start = Instant.now()
        let running = try sandbox.run(["healthcheck"], environment: probeEnvironment)
        let elapsed = start.millisecondsElapsed()
        #expect(running.status == .exited(0), "output: \(running.output)")
        #expect(running.output == "healthy: PostgreSQL on 127.0.0.1:\(sandbox.port)\n")
        Swift.print("healthcheck took \(Int(elapsed)) ms")

        #expect(server.stop() == .exited(0))
        let after = try sandbox.run(["healthcheck"], environment: probeEnvironment)
        #expect(after.status == .exited(1))
    }

    @Test("Unhealthy while the first boot is under way")
    func duringInitialization() throws {
        let sandbox = try Sandbox()
        try sandbox.writeInitScript("10-slow.sql", "SELECT pg_sleep(20);")
        let environment = try sandbox.environment()
        let running = try sandbox.spawn(environment: environment)
        let start = Instant.now()
        while !running.log.contains("10-slow.sql") && start.millisecondsElapsed() < 30_000 {
            sleep(milliseconds: 10)
        }
        let result = try sandbox.run(["healthcheck"], environment: environment)
        #expect(result.status == .exited(1))
        #expect(result.output == "unhealthy: initializing (first boot under way)\n")
        running.child.send(SIGINT)
        running.child.wait()
    }
}
