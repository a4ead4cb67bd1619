import Testing

@testable import BBFEntrypoint

private let completeState = ClusterState(
    origin: .initialized, babelfish: true, entrypointVersion: "0.1.0", postgresVersion: "17.5", babelfishVersion: "5.2.0")

private func decision(_ snapshot: DataDirectorySnapshot, major: Int = 17) -> DataDirectoryDecision {
    decide(snapshot, path: "/var/lib/babelfish/data", serverMajor: major)
}

private func refusal(_ result: DataDirectoryDecision) -> EntrypointError? {
    if case .refuse(let error) = result { return error }
    return nil
}

private let cluster = ["PG_VERSION", "base", "global", "pg_wal", "postgresql.conf"]

@Suite("What to do with the data directory")
struct DecisionTests {
    @Test("A missing directory is initialized")
    func missing() {
        #expect(decision(.init(presence: .missing)) == .initialize)
    }

    @Test("An empty directory is initialized, also when it only holds lost+found")
    func empty() {
        #expect(decision(.init(presence: .directory(entries: []))) == .initialize)
        #expect(decision(.init(presence: .directory(entries: ["lost+found"]))) == .initialize)
    }

    @Test("A file where the directory should be is refused")
    func notADirectory() {
        let error = refusal(decision(.init(presence: .notADirectory)))
        #expect(error?.code == .unsupportedDataDirectory)
        #expect(error?.message.contains("is not a directory") == true)
    }

    @Test(
        "The initialization marker means an interrupted initialization, whatever else is there",
        arguments: [
            [ManagedFiles.initializationMarker],
            [ManagedFiles.initializationMarker, ManagedFiles.initdbStaging],
            [ManagedFiles.initializationMarker] + cluster,
            [ManagedFiles.initializationMarker, ManagedFiles.state] + cluster,
        ])
    func interrupted(entries: [String]) {
        let snapshot = DataDirectorySnapshot(
            presence: .directory(entries: entries), pgVersion: entries.contains("PG_VERSION") ? "12" : nil,
            hasInitializationMarker: true, stateText: entries.contains(ManagedFiles.state) ? completeState.render() : nil)
        #expect(decision(snapshot) == .restartInterruptedInitialization)
    }

    @Test("A complete cluster of ours boots")
    func complete() {
        let snapshot = DataDirectorySnapshot(
            presence: .directory(entries: cluster + [ManagedFiles.state]), pgVersion: "17", stateText: completeState.render())
        #expect(decision(snapshot) == .boot(completeState))
    }

    @Test("A cluster without our state file is adopted (if it turns out to hold Babelfish)")
    func foreign() {
        let snapshot = DataDirectorySnapshot(presence: .directory(entries: cluster), pgVersion: "17")
        #expect(decision(snapshot) == .adopt)
    }

    @Test("Another major version is refused with pg_upgrade guidance, before anything else")
    func otherMajor() throws {
        let older = DataDirectorySnapshot(
            presence: .directory(entries: cluster + [ManagedFiles.state]), pgVersion: "16", stateText: completeState.render())
        let error = try #require(refusal(decision(older)))
        #expect(error.code == .incompatibleMajorVersion)
        #expect(error.message.contains("PostgreSQL 16 cluster"))
        #expect(error.message.contains("runs PostgreSQL 17"))
        #expect(error.message.contains("pg_upgrade"))
        #expect(error.message.contains("left untouched"))
        // Babelfish dumps do not cross versions: the message must not promise that.
        #expect(error.message.contains("`bbf backup`"))
        #expect(error.message.contains("restore only into the PostgreSQL version they were taken from"))

        let newer = DataDirectorySnapshot(presence: .directory(entries: cluster), pgVersion: "18")
        let newerError = try #require(refusal(decision(newer)))
        #expect(newerError.message.contains("newer PostgreSQL"))

        let ancient = DataDirectorySnapshot(presence: .directory(entries: cluster), pgVersion: "9.6")
        #expect(refusal(decision(ancient))?.code == .incompatibleMajorVersion)
    }

    @Test("Files without PG_VERSION are refused and named")
    func unknownContents() throws {
        let snapshot = DataDirectorySnapshot(presence: .directory(entries: ["notes.txt", "backup.tar.gz", "lost+found"]))
        let error = try #require(refusal(decision(snapshot)))
        #expect(error.message.contains("backup.tar.gz, notes.txt") || error.message.contains("notes.txt, backup.tar.gz"))
        #expect(error.message.contains("no PG_VERSION"))
        #expect(!error.message.contains("lost+found"))
    }

    @Test("A directory this process may not read is refused, untouched, saying why")
    func unreadable() throws {
        let snapshot = DataDirectorySnapshot(presence: .unreadable("open directory /d: Permission denied"), owner: 0)
        let error = try #require(refusal(decision(snapshot)))
        #expect(error.message.contains("cannot read PGDATA=/var/lib/babelfish/data (open directory /d: Permission denied)"))
        #expect(error.message.contains("left untouched"))
        #expect(!snapshot.needsInitialization)
    }

    @Test("A PG_VERSION that is not a version is refused")
    func garbageVersion() {
        let snapshot = DataDirectorySnapshot(presence: .directory(entries: cluster), pgVersion: "banana")
        #expect(refusal(decision(snapshot))?.message.contains("not a PostgreSQL version") == true)
    }

    @Test("A state file from an unknown format is refused, not overwritten")
    func unknownState() {
        let snapshot = DataDirectorySnapshot(
            presence: .directory(entries: cluster + [ManagedFiles.state]), pgVersion: "17", stateText: "format=9\n")
        #expect(refusal(decision(snapshot))?.message.contains("not a state file this entrypoint understands") == true)
    }
}

@Suite("The plan of initialization steps")
struct InitPlanTests {
    @Test("Babelfish with passwords and scripts runs every step in order")
    func full() {
        var config = EntrypointConfiguration()
        config.superuserPassword = "a"
        config.babelfishPassword = "b"
        #expect(
            InitPlan.steps(for: config, hasInitScripts: true) == [
                .begin, .initdb, .installCluster, .writeCertificate, .writeConfiguration, .startTemporaryServer,
                .setSuperuserPassword, .createLogin, .createDatabases, .createExtension, .configureBabelfish, .initializeBabelfish,
                .runInitScripts, .stopTemporaryServer, .sync, .commit,
            ])
    }

    @Test("Plain PostgreSQL skips the Babelfish steps; trust skips the password")
    func plain() {
        var config = EntrypointConfiguration()
        config.babelfishEnabled = false
        #expect(
            InitPlan.steps(for: config, hasInitScripts: false) == [
                .begin, .initdb, .installCluster, .writeCertificate, .writeConfiguration, .startTemporaryServer,
                .stopTemporaryServer, .sync, .commit,
            ])
        config.tlsEnabled = false
        #expect(!InitPlan.steps(for: config, hasInitScripts: false).contains(.writeCertificate))
        config.extraDatabase = "app"
        #expect(InitPlan.steps(for: config, hasInitScripts: false).contains(.createDatabases))
    }

    @Test("The marker is written first and removed last")
    func markerBrackets() {
        for babelfish in [true, false] {
            var config = EntrypointConfiguration()
            config.babelfishEnabled = babelfish
            let steps = InitPlan.steps(for: config, hasInitScripts: true)
            #expect(steps.first == .begin)
            #expect(steps.last == .commit)
            #expect(steps.firstIndex(of: .sync)! < steps.firstIndex(of: .commit)!)
        }
    }
}

@Suite("Small helpers")
struct HelperTests {
    @Test("Command line: postgres, flags, other commands, help, version, healthcheck")
    func commands() {
        #expect(Entrypoint.command(for: []) == .postgres([]))
        #expect(Entrypoint.command(for: ["postgres", "-c", "port=1"]) == .postgres(["-c", "port=1"]))
        #expect(Entrypoint.command(for: ["-c", "port=1"]) == .postgres(["-c", "port=1"]))
        #expect(Entrypoint.command(for: ["bash", "-l"]) == .other(["bash", "-l"]))
        #expect(Entrypoint.command(for: ["--help"]) == .help)
        #expect(Entrypoint.command(for: ["--version"]) == .version)
        #expect(Entrypoint.command(for: ["healthcheck"]) == .healthcheck)
        #expect(Entrypoint.command(for: ["postgres", "--help"]) == .postgresInformation(["--help"]))
        #expect(Entrypoint.command(for: ["-V"]) == .postgresInformation(["-V"]))
        #expect(Entrypoint.command(for: ["postgres", "--describe-config"]) == .postgresInformation(["--describe-config"]))
        #expect(Entrypoint.command(for: ["postgres", "-C", "port"]) == .postgres(["-C", "port"]))
    }

    @Test("The temporary server gets the user's arguments except -C")
    func temporaryServerArguments() {
        #expect(
            serverArguments(from: ["-c", "shared_buffers=64MB", "-C", "data_directory", "-Cport", "-p", "6000"]) == [
                "-c", "shared_buffers=64MB", "-p", "6000",
            ])
    }

    @Test("Version strings from pg_config and postgres")
    func versions() {
        #expect(PostgresInstallation.parseVersion("PostgreSQL 15.18 (Debian 15.18-0+deb12u1)")! == ("15.18", 15))
        #expect(PostgresInstallation.parseVersion("postgres (PostgreSQL) 17.5")! == ("17.5", 17))
        #expect(PostgresInstallation.parseVersion("PostgreSQL 18beta1")! == ("18", 18))
        #expect(PostgresInstallation.parseVersion("nothing here") == nil)
        #expect(majorVersion(ofDataDirectoryVersion: "17") == 17)
        #expect(majorVersion(ofDataDirectoryVersion: "9.6") == 9)
    }

    @Test("Dotted versions compare numerically")
    func versionOrder() {
        #expect(compareVersions("4.10.0", "4.9.1") == .orderedDescending)
        #expect(compareVersions("5.2.0", "5.2") == .orderedSame)
        #expect(compareVersions("5.1.0", "5.2.0") == .orderedAscending)
    }

    @Test("Health check probes loopback for wildcard listen addresses")
    func probeHost() {
        #expect(Healthcheck.probeHost(forListenAddresses: "*") == "127.0.0.1")
        #expect(Healthcheck.probeHost(forListenAddresses: "0.0.0.0") == "127.0.0.1")
        #expect(Healthcheck.probeHost(forListenAddresses: "::") == "::1")
        #expect(Healthcheck.probeHost(forListenAddresses: "10.0.0.5, 127.0.0.1") == "127.0.0.1")
        #expect(Healthcheck.probeHost(forListenAddresses: "10.0.0.5") == "10.0.0.5")
        #expect(Healthcheck.probeHost(forListenAddresses: "") == nil)
    }

    @Test("Edit distance for suggestions")
    func distance() {
        #expect(editDistance("BABELFISH_DB", "BABELFISH_DB") == 0)
        #expect(editDistance("BABELFISH_MIGRATON_MODE", "BABELFISH_MIGRATION_MODE") == 1)
        #expect(editDistance("", "abc") == 3)
    }
}
