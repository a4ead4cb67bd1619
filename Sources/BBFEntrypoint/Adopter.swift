import BBFSystem
import PostgresClient

/// Takes over a cluster this entrypoint did not create, if Babelfish is
/// initialized in it. A cluster whose files show no Babelfish was refused
/// before this, untouched (see `BabelfishEvidence`); one whose files name
/// Babelfish is started once on a private socket to confirm it in the
/// catalogs, and a refusal then says what that start changed.
struct Adopter {
    let context: BootContext
    /// What the settings files said (nil in plain mode).
    let evidence: BabelfishEvidence?

    private var config: EntrypointConfiguration { context.config }

    func run() throws {
        Log.info(
            "PGDATA=\(context.dataDirectory) holds a PostgreSQL \(context.installation.major) cluster that bbf-entrypoint did not create: inspecting it"
        )
        try context.ensureNoRunningServer()
        var babelfishVersion: String?
        if config.babelfishEnabled {
            babelfishVersion = try inspectBabelfish()
        }
        try context.ensureCertificate()
        try context.refreshManagedConfiguration()
        try context.ensureInclude()
        let state = ClusterState(
            origin: .adopted, babelfish: config.babelfishEnabled, entrypointVersion: EntrypointVersion.current,
            postgresVersion: context.installation.version, babelfishVersion: babelfishVersion)
        try FileSystem.writeAtomically(context.path(ManagedFiles.state), state.render())
        Log.info("adopted the existing cluster: from now on it starts like one this entrypoint created")
    }

    /// Starts the cluster on a private socket and checks that Babelfish is
    /// initialized in it. Returns babelfishpg_tsql's version.
    private func inspectBabelfish() throws -> String {
        let server: TemporaryServer
        do {
            server = try TemporaryServer.start(
                context.temporaryServerOptions(listenOnLoopback: false, relaxedDurability: false, managesConfiguration: false))
        } catch let error as EntrypointError {
            throw EntrypointError(
                .unsupportedDataDirectory,
                "could not start the existing cluster to inspect it: \(error.message)")
        }
        let finding: Result<String, EntrypointError>
        do {
            finding = try findBabelfish(server)
        } catch {
            try? server.stop()
            throw EntrypointError(
                .unsupportedDataDirectory,
                "could not inspect the existing cluster as POSTGRES_USER=\(config.superuser): \(error)\nSet POSTGRES_USER (and POSTGRES_PASSWORD if its socket connections need one) to a superuser of that cluster."
            )
        }
        try server.stop()
        return try finding.get()
    }

    /// What looking with a server did to the cluster, said plainly.
    private var startedToLook: String {
        let why: String
        switch evidence {
        case .configured(let found)?: why = "Its settings name Babelfish (\(found))"
        case .unknown(let reason)?: why = "Its settings may name Babelfish (\(reason))"
        case .absent?, nil: why = "To look for Babelfish"
        }
        return
            "\(why), so it was started once on a private socket, without TCP, to look in its catalogs: that changed only what every start and stop of PostgreSQL changes (global/pg_control, a shutdown checkpoint in pg_wal, pg_stat, postmaster.opts, the relation cache files pg_internal.init, and its log if logging_collector is on). No setting, database or data was changed."
    }

    private func findBabelfish(_ server: TemporaryServer) throws -> Result<String, EntrypointError> {
        let connection = try server.connect(database: "postgres", password: config.superuserPassword)
        var databaseName = config.babelfishDatabase
        if let configured = try connection.execute("SELECT current_setting('babelfishpg_tsql.database_name', true)").scalar,
            !configured.isEmpty
        {
            databaseName = configured
        }
        let exists = try connection.execute("SELECT 1 FROM pg_database WHERE datname = $1", [databaseName]).scalar != nil
        func notBabelfish(_ why: String) -> Result<String, EntrypointError> {
            .failure(
                EntrypointError(
                    .unsupportedDataDirectory,
                    "PGDATA=\(context.dataDirectory) holds a PostgreSQL cluster without Babelfish (\(why)). \(startedToLook) Point PGDATA at an empty directory for a new Babelfish database, set BABELFISH_DB if Babelfish lives in another database, or initialize Babelfish in this cluster yourself and start again."
                ))
        }
        guard exists else { return notBabelfish("no database \(databaseName)") }
        let babelfish = try server.connect(database: databaseName, password: config.superuserPassword)
        guard let version = try babelfish.execute("SELECT extversion FROM pg_extension WHERE extname = 'babelfishpg_tsql'").scalar else {
            return notBabelfish("no babelfishpg_tsql extension in database \(databaseName)")
        }
        guard try babelfish.execute("SELECT 1 FROM pg_roles WHERE rolname = 'sysadmin'").scalar != nil else {
            return notBabelfish("sys.initialize_babelfish has not run: there is no sysadmin role")
        }
        return .success(version)
    }
}
