import BBFEntrypoint
import BBFSystem
import PostgresClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite(
    "Clusters this entrypoint did not create", .serialized, .timeLimit(.minutes(5)),
    .enabled(if: TestEnvironment.hasPostgres, TestEnvironment.postgresSkipReason))
struct AdoptionTests {
    /// A cluster made with plain initdb, as the postgres user when running as root.
    private func foreignCluster(_ sandbox: Sandbox) throws {
        try makeForeignCluster(sandbox, bin: try TestEnvironment.requirePostgres())
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

    @Test("Babelfish mode refuses a foreign cluster without Babelfish without starting it: every file byte for byte")
    func refuseWithoutBabelfish() throws {
        let sandbox = try Sandbox()
        try foreignCluster(sandbox)
        // A cluster that has run (as one from another image has): pg_stat, postmaster.opts.
        let bin = try TestEnvironment.requirePostgres()
        try FileSystem.createDirectory(sandbox.socketDirectory, permissions: 0o755)
        var pgctl = [
            bin + "/pg_ctl", "-D", sandbox.dataDirectory, "-o",
            "-c listen_addresses='' -c port=\(sandbox.port) -c unix_socket_directories=\(sandbox.socketDirectory)",
        ]
        if Privileges.isRoot, let account = Privileges.account(named: "postgres") {
            try FileSystem.changeOwner(sandbox.socketDirectory, user: account.uid, group: account.gid)
            pgctl = ["/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] + pgctl
        }
        _ = try Command.output(pgctl[0], Array(pgctl.dropFirst()) + ["-w", "-l", "/dev/null", "start"])
        _ = try Command.output(pgctl[0], Array(pgctl.dropFirst()) + ["-w", "-m", "fast", "stop"])
        let before = try treeSnapshot(sandbox.dataDirectory)
        let result = try sandbox.run(sandbox.postgresArguments, environment: try sandbox.environment(["BABELFISH_ENABLED": "true"]))
        #expect(result.status == .exited(1))
        #expect(result.output.contains("holds a PostgreSQL cluster without Babelfish"), "output: \(result.output)")
        #expect(result.output.contains("left untouched (not started)"))
        #expect(!result.output.contains("database system is ready"), "the cluster was started")
        let differences = treeDifferences(before, try treeSnapshot(sandbox.dataDirectory))
        #expect(differences.isEmpty, "the refusal changed PGDATA: \(differences.joined(separator: ", "))")
    }

    @Test(
        "A foreign cluster whose settings name Babelfish is started once to look; refused, only PostgreSQL's bookkeeping changed")
    func refuseAfterLooking() throws {
        let sandbox = try Sandbox()
        try foreignCluster(sandbox)
        // A Babelfish setting but no Babelfish: only a look at the catalogs tells.
        let auto = sandbox.file("postgresql.auto.conf")
        let owner = try #require(try FileSystem.info(auto))
        try FileSystem.writeAtomically(
            auto, try FileSystem.readText(auto) + "babelfishpg_tsql.database_name = 'babelfish_db'\n", permissions: 0o600)
        try FileSystem.changeOwner(auto, user: owner.owner, group: owner.group)
        let before = try treeSnapshot(sandbox.dataDirectory)
        let result = try sandbox.run(sandbox.postgresArguments, environment: try sandbox.environment(["BABELFISH_ENABLED": "true"]))
        #expect(result.status == .exited(1))
        #expect(
            result.output.contains("holds a PostgreSQL cluster without Babelfish (no database babelfish_db)"), "output: \(result.output)")
        #expect(result.output.contains("babelfishpg_tsql.database_name is set"))
        #expect(result.output.contains("it was started once on a private socket"))
        // What changed is what the message names, and nothing else.
        let unexplained = changesBeyondBookkeeping(treeDifferences(before, try treeSnapshot(sandbox.dataDirectory)))
        #expect(unexplained.isEmpty, "changed beyond PostgreSQL's bookkeeping: \(unexplained)")
        #expect(!FileSystem.exists(sandbox.file(ManagedFiles.state)))
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

@Suite(
    "Health check", .serialized, .timeLimit(.minutes(5)),
    .enabled(if: TestEnvironment.hasPostgres, TestEnvironment.postgresSkipReason))
struct HealthcheckTests {
    @Test("Unhealthy before the first boot and after a stop, healthy while running; needs no credentials")
    func lifecycle() throws {
        let sandbox = try Sandbox()
        let environment = try sandbox.environment()
        var probeEnvironment = environment
        probeEnvironment["POSTGRES_PASSWORD"] = nil

        let before = try sandbox.run(["healthcheck"], environment: probeEnvironment)
        #expect(before.status == .exited(1))
        #expect(before.output.hasPrefix("unhealthy: PostgreSQL is not running"))

        let server = try sandbox.start(environment: environment)
        let running = try sandbox.run(["healthcheck"], environment: probeEnvironment)
        #expect(running.status == .exited(0), "output: \(running.output)")
        #expect(running.output == "healthy: PostgreSQL on 127.0.0.1:\(sandbox.port)\n")

        #expect(server.stop() == .exited(0))
        let after = try sandbox.run(["healthcheck"], environment: probeEnvironment)
        #expect(after.status == .exited(1))
    }

    @Test("Unhealthy while the first boot is under way")
    func duringInitialization() throws {
        let sandbox = try Sandbox()
        try sandbox.writeInitScript("10-slow.sql", "SELECT pg_sleep(3600);")
        let environment = try sandbox.environment()
        let running = try sandbox.spawn(environment: environment)
        try running.waitForLog("10-slow.sql")
        let result = try sandbox.run(["healthcheck"], environment: environment)
        #expect(result.status == .exited(1))
        #expect(result.output == "unhealthy: initializing (first boot under way)\n")
        running.child.send(SIGINT)
        running.child.wait()
    }
}
