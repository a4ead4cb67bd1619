import BBFSystem
import PostgresClient

/// Takes over a cluster this entrypoint did not create, if Babelfish is
/// initialized in it; otherwise refuses and leaves it alone.
struct Adopter {
    let context: BootContext

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
                    "PGDATA=\(context.dataDirectory) holds a PostgreSQL cluster without Babelfish (\(why)). It was left untouched. Point PGDATA at an empty directory for a new Babelfish database, set BABELFISH_DB if Babelfish lives in another database, or initialize Babelfish in this cluster yourself and start again."
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
