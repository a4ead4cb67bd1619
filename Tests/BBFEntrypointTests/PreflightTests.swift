import BBFSystem
import Testing

@testable import BBFEntrypoint

private let path = "/var/lib/babelfish/data"
private let postgres17 = PostgresInstallation(
    binDirectory: "/opt/babelfish/bin", version: "17.5", major: 17, shareDirectory: "/opt/babelfish/share",
    libraryDirectory: "/opt/babelfish/lib")
private let container = ProcessIdentity(uid: 999, gid: 999)
private let cluster = ["PG_VERSION", "base", "global", "pg_wal", "postgresql.conf"]
private let ourState = ClusterState(
    origin: .initialized, babelfish: true, entrypointVersion: "0.1.0", postgresVersion: "17.5", babelfishVersion: "5.2.0")

private func reading(_ environment: [String: String]) -> ConfigurationReading {
    EntrypointConfiguration.read(environment: environment) { _ in throw SystemError("open", "/nowhere", code: 2) }
}

private func facts(
    _ environment: [String: String], snapshot: DataDirectorySnapshot? = DataDirectorySnapshot(presence: .missing),
    identity: ProcessIdentity = container, clusterFiles: ClusterConfigurationFiles? = nil, missingBabelfishFiles: [String] = []
) -> PreflightFacts {
    let read = reading(environment)
    return PreflightFacts(
        reading: read, installation: .success(postgres17), missingBabelfishFiles: missingBabelfishFiles,
        snapshot: read.invalidVariables.contains("PGDATA") ? nil : snapshot.map { .success($0) },
        clusterFiles: clusterFiles, postgresArguments: [], identity: identity)
}

private func problems(_ facts: PreflightFacts) -> String? {
    switch Preflight.evaluate(facts) {
    case .success: return nil
    case .failure(let error): return error.message
    }
}

private let passwords = ["POSTGRES_PASSWORD": "a", "BABELFISH_PASSWORD": "b"]

@Suite("Before anything is written: every problem in one run")
struct PreflightTests {
    @Test("A bad value does not hide the missing passwords, and the did-you-mean warning is still given")
    func badValueAndMissingPasswords() throws {
        let environment = ["BABELFISH_MIGRATION_MODE": "banana", "BABELFISH_MIGRATON_MODE": "multi-db"]
        let message = try #require(problems(facts(environment)))
        #expect(message.contains("BABELFISH_MIGRATION_MODE=banana is not a migration mode"))
        #expect(message.contains("POSTGRES_PASSWORD is not set"))
        #expect(message.contains("BABELFISH_PASSWORD is not set"))
        // The bad value comes first: the order in which to fix things.
        let lines = message.split(separator: "\n")
        #expect(lines.first?.contains("BABELFISH_MIGRATION_MODE=banana") == true)
        #expect(
            reading(environment).configuration.warnings == [
                "unknown variable BABELFISH_MIGRATON_MODE is ignored (did you mean BABELFISH_MIGRATION_MODE?)"
            ])
    }

    @Test("Several bad values, a missing Babelfish and missing passwords are reported together")
    func everything() throws {
        let message = try #require(
            problems(facts(["BABELFISH_TDS_PORT": "80", "POSTGRES_USER": "pg_x"], missingBabelfishFiles: ["babelfishpg_tds.so"])))
        for expected in [
            "BABELFISH_TDS_PORT=80", "POSTGRES_USER=pg_x starts with pg_", "POSTGRES_PASSWORD is not set",
            "BABELFISH_PASSWORD is not set", "has no Babelfish: babelfishpg_tds.so not found",
        ] {
            #expect(message.contains(expected), "missing \(expected) in:\n\(message)")
        }
    }

    @Test("Passwords are not asked for when the cluster is already initialized")
    func laterBoot() throws {
        let snapshot = DataDirectorySnapshot(
            presence: .directory(entries: cluster + [ManagedFiles.state]), pgVersion: "17", stateText: ourState.render(), owner: 999)
        let outcome = try Preflight.evaluate(facts([:], snapshot: snapshot)).get()
        #expect(outcome.decision == .boot(ourState))
        // A bad value still stops it, without a word about passwords.
        let message = try #require(problems(facts(["BABELFISH_ENABLED": "maybe"], snapshot: snapshot)))
        #expect(message.contains("BABELFISH_ENABLED=maybe"))
        #expect(!message.contains("PASSWORD"))
    }

    @Test("When PGDATA itself is wrong, what a first boot would need is said as such")
    func unknownDirectory() throws {
        let message = try #require(problems(facts(["PGDATA": "relative"])))
        #expect(message.contains("PGDATA=relative is not an absolute path"))
        #expect(message.contains("if this is a first boot: POSTGRES_PASSWORD is not set"))
    }

    @Test("A refused directory is reported with the bad values, and no passwords are asked for")
    func refusalAndBadValue() throws {
        let other = DataDirectorySnapshot(presence: .directory(entries: cluster), pgVersion: "16", owner: 999)
        let message = try #require(problems(facts(["BABELFISH_DB": "Bad"], snapshot: other)))
        #expect(message.contains("BABELFISH_DB=Bad"))
        #expect(message.contains("PostgreSQL 16 cluster"))
        #expect(!message.contains("PASSWORD"))
    }

    @Test("All well: the decision")
    func success() throws {
        let outcome = try Preflight.evaluate(facts(passwords)).get()
        #expect(outcome.decision == .initialize)
        #expect(outcome.installation == postgres17)
    }
}

@Suite("Ownership of the data directory when not started as root")
struct AccessTests {
    @Test("An empty directory owned by root (a bind mount): what is wrong and the chown, before anything is written")
    func emptyBindMount() throws {
        let snapshot = DataDirectorySnapshot(presence: .directory(entries: []), owner: 0)
        let error = try #require(Preflight.accessProblem(snapshot, path: path, identity: container))
        #expect(error.message.contains("is an empty directory owned by uid 0 (root), but this container runs as uid 999"))
        #expect(error.message.contains("chown 999:999 /host/dir"))
        #expect(error.message.contains("--user 0"))
        #expect(error.message.contains("Nothing was written"))
        #expect(!error.message.contains("/pgdata"))
        // Reported with the rest, before the initialization could claim anything.
        let message = try #require(problems(facts(passwords, snapshot: snapshot)))
        #expect(message == error.message)
    }

    @Test("A volume the user may write but does not own (Kubernetes' fsGroup): a subdirectory works too")
    func groupWritableVolume() throws {
        let snapshot = DataDirectorySnapshot(presence: .directory(entries: ["lost+found"]), owner: 0, writable: true)
        let error = try #require(Preflight.accessProblem(snapshot, path: path, identity: container))
        #expect(error.message.contains("PGDATA=\(path)/pgdata works too"))
    }

    @Test(
        "A cluster copied in without --chown, readable or not: the chown -R",
        arguments: [
            DataDirectorySnapshot(presence: .directory(entries: cluster), pgVersion: "17", owner: 0),
            DataDirectorySnapshot(presence: .unreadable("open directory /var/lib/babelfish/data: Permission denied"), owner: 0),
            DataDirectorySnapshot(
                presence: .directory(entries: cluster + [ManagedFiles.initializationMarker]), pgVersion: "17",
                hasInitializationMarker: true, owner: 1000),
        ])
    func copiedWithoutChown(snapshot: DataDirectorySnapshot) throws {
        let error = try #require(Preflight.accessProblem(snapshot, path: path, identity: container))
        #expect(error.message.contains("but this container runs as uid 999"))
        #expect(error.message.contains("chown -R 999:999 \(path)"))
        #expect(error.message.contains("COPY --chown=999:999"))
        #expect(error.message.contains("left untouched"))
        if case .unreadable = snapshot.presence {
            #expect(error.message.contains("Permission denied"))
        }
    }

    @Test("Root hands directories over itself; a directory of our own, or none, is fine")
    func noProblem() {
        let foreign = DataDirectorySnapshot(presence: .directory(entries: cluster), pgVersion: "17", owner: 1000)
        #expect(Preflight.accessProblem(foreign, path: path, identity: ProcessIdentity(uid: 0, gid: 0)) == nil)
        let own = DataDirectorySnapshot(presence: .directory(entries: []), owner: 999)
        #expect(Preflight.accessProblem(own, path: path, identity: container) == nil)
        #expect(Preflight.accessProblem(DataDirectorySnapshot(presence: .missing), path: path, identity: container) == nil)
    }
}

@Suite("Adoption: what the files say about Babelfish")
struct BabelfishEvidenceTests {
    private func assess(
        conf: String? = "port = 5432\n", auto: String? = "# Do not edit\n", managed: String? = nil, opts: String? = nil,
        arguments: [String] = []
    ) -> BabelfishEvidence {
        BabelfishEvidence.assess(
            ClusterConfigurationFiles(postgresqlConf: conf, postgresqlAutoConf: auto, managedConf: managed, postmasterOptions: opts),
            postgresArguments: arguments)
    }

    @Test("A plain cluster's files name no Babelfish: it is refused without being started")
    func absent() throws {
        #expect(assess() == .absent)
        #expect(assess(conf: "shared_preload_libraries = 'pg_stat_statements'\n", opts: "/usr/bin/postgres \"-D\" \"/d\"\n") == .absent)
        let foreign = DataDirectorySnapshot(presence: .directory(entries: cluster), pgVersion: "17", owner: 999)
        let message = try #require(
            problems(facts([:], snapshot: foreign, clusterFiles: ClusterConfigurationFiles(postgresqlConf: "port = 5432\n"))))
        #expect(message.contains("holds a PostgreSQL cluster without Babelfish"))
        #expect(message.contains("left untouched (not started)"))
        #expect(!message.contains("PASSWORD"))
    }

    @Test("Babelfish named by a setting, ALTER SYSTEM, the managed file, the arguments or the last start")
    func configured() {
        #expect(assess(conf: "shared_preload_libraries = 'pg_stat_statements, babelfishpg_tds'\n") != .absent)
        #expect(assess(auto: "babelfishpg_tsql.database_name = 'babelfish_db'\n") != .absent)
        #expect(
            assess(conf: "include = 'bbf-entrypoint.conf'\n", managed: "shared_preload_libraries = 'babelfishpg_tds'\n") != .absent)
        // The managed file counts only when it is included.
        #expect(assess(managed: "shared_preload_libraries = 'babelfishpg_tds'\n") == .absent)
        #expect(assess(arguments: ["-c", "shared_preload_libraries=babelfishpg_tds"]) != .absent)
        #expect(assess(opts: "/opt/babelfish/bin/postgres \"-c\" \"shared_preload_libraries=babelfishpg_tds\"\n") != .absent)
    }

    @Test("Settings in files not read here leave it to a server to tell")
    func unknown() {
        if case .unknown = assess(conf: "include_dir = 'conf.d'\n") {} else { Issue.record("include_dir should be unknown") }
        if case .unknown = assess(arguments: ["-c", "config_file=/etc/pg.conf"]) {} else { Issue.record("config_file should be unknown") }
    }

    @Test("Plain mode adopts without looking for Babelfish")
    func plainMode() throws {
        let foreign = DataDirectorySnapshot(presence: .directory(entries: cluster), pgVersion: "17", owner: 999)
        let outcome = try Preflight.evaluate(facts(["BABELFISH_ENABLED": "false"], snapshot: foreign)).get()
        #expect(outcome.decision == .adopt)
        #expect(outcome.adoptionEvidence == nil)
    }
}
