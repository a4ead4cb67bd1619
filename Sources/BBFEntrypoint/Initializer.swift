import BBFSystem
import PostgresClient

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The first-boot initialization: one small named step each, crash-safe
/// because a marker is written before the first step and removed after the last.
final class Initializer {
    let context: BootContext
    private let scripts: [InitScript]
    let source: InitializationSource
    private let steps: [InitStep]
    var server: TemporaryServer?
    var babelfishVersion: String?
    private(set) var timings: [(step: String, milliseconds: Double)] = []
    /// Set by `make-template`: where the template goes (its cluster is PGDATA).
    var templateOutput: TemplateOutput?

    var config: EntrypointConfiguration { context.config }

    /// - Parameter steps: the plan's steps unless given (`make-template` gives its own).
    init(context: BootContext, scripts: [InitScript], source: InitializationSource = .initdb(reasons: []), steps: [InitStep]? = nil) {
        self.context = context
        self.scripts = scripts
        self.source = source
        self.steps = steps ?? InitPlan.steps(for: context.config, hasInitScripts: !scripts.isEmpty, source: source)
    }

    /// The template copied, when this first boot copies one.
    var template: (directory: String, manifest: TemplateManifest)? {
        if case .template(let directory, let manifest) = source { return (directory, manifest) }
        return nil
    }

    func run(clearingInterruptedInitialization: Bool) throws {
        let start = Instant.now()
        if templateOutput == nil, let line = TemplateMatch.logLine(source) { Log.info(line) }
        do {
            if clearingInterruptedInitialization {
                try timed("clear-interrupted-initialization") { try clearInterruptedInitialization() }
            }
            for step in steps {
                injectFault(before: step)
                try timed(step.rawValue) { try perform(step) }
            }
        } catch var error as EntrypointError {
            server = nil
            // Only a marker on disk makes the next start redo it; without one
            // (it could not be written) nothing was begun.
            if templateOutput == nil && error.code != .unsupportedDataDirectory
                && FileSystem.exists(context.path(ManagedFiles.initializationMarker))
            {
                error.message += "\nThe initialization did not complete: the next start clears PGDATA and begins it again."
            }
            throw error
        }
        let phases = timings.map { "\($0.step) \(Int($0.milliseconds.rounded())) ms" }.joined(separator: ", ")
        Log.info("initialization complete in \(Int(start.millisecondsElapsed().rounded())) ms (\(phases))")
    }

    private func timed(_ step: String, _ body: () throws -> Void) throws {
        let start = Instant.now()
        do {
            try body()
        } catch var error as EntrypointError {
            if error.step == nil { error.step = step }
            throw error
        } catch {
            throw EntrypointError(.initializationFailed, step: step, "\(error)")
        }
        timings.append((step, start.millisecondsElapsed()))
    }

    /// Test hook: BBF_ENTRYPOINT_CRASH_AT=<step> or server@<step>.
    private func injectFault(before step: InitStep) {
        guard let point = config.crashPoint else { return }
        if point == step.rawValue {
            Log.warning("BBF_ENTRYPOINT_CRASH_AT=\(point): killing the entrypoint before \(step.rawValue)")
            kill(getpid(), SIGKILL)
        } else if point == "server@" + step.rawValue {
            Log.warning("BBF_ENTRYPOINT_CRASH_AT=\(point): killing the temporary server before \(step.rawValue)")
            server?.kill()
        }
    }

    private func perform(_ step: InitStep) throws {
        switch step {
        case .begin: try begin()
        case .initdb: try initdb()
        case .installCluster: try installCluster()
        case .copyTemplate: try copyTemplate()
        case .newIdentity: try newIdentity()
        case .writeCertificate: try context.ensureCertificate()
        case .writeConfiguration: try writeConfiguration()
        case .startTemporaryServer:
            // A template boot with init scripts listens on loopback from the start: the
            // roles have no password yet, and the restart for the scripts is saved.
            server = try TemporaryServer.start(
                context.temporaryServerOptions(
                    listenOnLoopback: template != nil && steps.contains(.runInitScripts),
                    relaxedDurability: config.durability == .relaxed, managesConfiguration: true))
        case .setSuperuserPassword: try setSuperuserPassword()
        case .createLogin: try createLogin()
        case .setLoginPassword: try setLoginPassword()
        case .createDatabases: try createDatabases()
        case .createExtension: try createExtension()
        case .configureBabelfish: try configureBabelfish()
        case .initializeBabelfish: try initializeBabelfish()
        case .scrubPasswords: try scrubPasswords()
        case .runInitScripts: try runInitScripts()
        case .stopTemporaryServer:
            try runningServer().stop()
            server = nil
            try context.refreshManagedConfiguration()
        case .trimTemplate: try trimTemplate()
        case .sync: try sync()
        case .commit: try commit()
        case .sealTemplate: try sealTemplate()
        }
    }

    func runningServer() throws -> TemporaryServer {
        guard let server else { throw EntrypointError(.initializationFailed, "the temporary server is not running") }
        return server
    }

    // MARK: steps

    private func clearInterruptedInitialization() throws {
        Log.warning(
            "PGDATA=\(context.dataDirectory) holds an initialization that was interrupted (\(ManagedFiles.initializationMarker) is present): clearing it and starting over."
        )
        try context.ensureNoRunningServer()
        for name in try FileSystem.contents(ofDirectory: context.dataDirectory)
        where name != ManagedFiles.initializationMarker && !ignorableEntries.contains(name) {
            try FileSystem.removeTree(context.path(name))
        }
        try FileSystem.syncDirectory(context.dataDirectory)
    }

    private func begin() throws {
        do {
            try FileSystem.createDirectory(context.dataDirectory, permissions: 0o700)
        } catch let error as SystemError {
            throw EntrypointError(
                .initializationFailed,
                "cannot create PGDATA: \(error). Mount a volume there that uid \(getuid()) can write, or start the container as root so the entrypoint can prepare it."
            )
        }
        let marker = context.path(ManagedFiles.initializationMarker)
        if !FileSystem.exists(marker) {
            try FileSystem.createDurably(
                marker,
                "Initialization by bbf-entrypoint \(EntrypointVersion.current) started at \(utcTimestamp()).\nWhile this file exists the directory is incomplete; the next start clears it and initializes again.\n"
            )
        }
    }

    private var stagingDirectory: String { context.path(ManagedFiles.initdbStaging) }

    private func initdb() throws {
        var arguments = [
            "-D", stagingDirectory, "--username=\(config.superuser)", "--encoding=UTF8",
            // pg_hba.conf is rewritten in write-configuration; scram-sha-256 here
            // makes initdb store passwords as SCRAM (md5 host lines verify those too).
            "--auth-local=trust", "--auth-host=scram-sha-256",
        ]
        if config.durability == .relaxed { arguments.append("--no-sync") }
        arguments += config.initdbArguments
        let initdb = try context.installation.tool("initdb")
        let result = try Command.run(initdb, arguments, environment: EntrypointConfiguration.removingSecrets(from: context.environment))
        guard result.status.isSuccess else {
            let output = (result.standardOutput + result.standardError).trimmedWhitespace()
            throw EntrypointError(
                .initializationFailed,
                "initdb \(result.status) (POSTGRES_INITDB_ARGS: \(config.initdbArguments.joined(separator: " "))):\n\(output)")
        }
    }

    private func installCluster() throws {
        guard let staged = try FileSystem.info(stagingDirectory) else {
            throw EntrypointError(.initializationFailed, "initdb left no cluster in \(stagingDirectory)")
        }
        for name in try FileSystem.contents(ofDirectory: stagingDirectory) {
            try FileSystem.rename(stagingDirectory + "/" + name, to: context.path(name))
        }
        try FileSystem.removeTree(stagingDirectory)
        try FileSystem.changePermissions(context.dataDirectory, staged.permissions)
        try FileSystem.syncDirectory(context.dataDirectory)
    }

    private func writeConfiguration() throws {
        try context.refreshManagedConfiguration()
        try context.ensureInclude()
        try FileSystem.writeAtomically(
            context.path("pg_hba.conf"), ManagedFiles.renderHostBasedAuthentication(config.hostAuthMethod))
    }

    private func setSuperuserPassword() throws {
        guard let password = config.superuserPassword else { return }
        let connection = try runningServer().connect(database: "postgres")
        let hash = try connection.encryptPassword(password, forUser: config.superuser)
        try connection.execute(
            "ALTER ROLE \(try connection.escapeIdentifier(config.superuser)) PASSWORD \(try connection.escapeLiteral(hash))")
    }

    private func createLogin() throws {
        let connection = try runningServer().connect(database: "postgres")
        var sql = "CREATE ROLE \(try connection.escapeIdentifier(config.babelfishUser)) WITH LOGIN SUPERUSER CREATEDB CREATEROLE INHERIT"
        if let password = config.babelfishPassword {
            let hash = try connection.encryptPassword(password, forUser: config.babelfishUser)
            sql += " PASSWORD \(try connection.escapeLiteral(hash))"
        }
        try connection.execute(sql)
    }

    private func setLoginPassword() throws {
        guard let password = config.babelfishPassword else { return }
        let connection = try runningServer().connect(database: "postgres")
        let hash = try connection.encryptPassword(password, forUser: config.babelfishUser)
        try connection.execute(
            "ALTER ROLE \(try connection.escapeIdentifier(config.babelfishUser)) PASSWORD \(try connection.escapeLiteral(hash))")
    }

    private func createDatabases() throws {
        let connection = try runningServer().connect(database: "postgres")
        // A template already holds the Babelfish database.
        if config.babelfishEnabled && template == nil {
            try connection.execute(
                "CREATE DATABASE \(try connection.escapeIdentifier(config.babelfishDatabase)) OWNER \(try connection.escapeIdentifier(config.babelfishUser))"
            )
        }
        if let extra = config.extraDatabase, !(config.babelfishEnabled && extra == config.babelfishDatabase) {
            try connection.execute("CREATE DATABASE \(try connection.escapeIdentifier(extra))")
        }
    }

    private func createExtension() throws {
        let connection = try runningServer().connect(database: config.babelfishDatabase)
        do {
            try connection.execute("CREATE EXTENSION IF NOT EXISTS babelfishpg_tds CASCADE")
        } catch let error as PostgresError {
            throw EntrypointError(
                .installation,
                "CREATE EXTENSION babelfishpg_tds CASCADE failed: \(error)\nThe PostgreSQL in \(context.installation.binDirectory) must be a Babelfish build with the babelfishpg_* extensions installed."
            )
        }
        try connection.execute("GRANT ALL ON SCHEMA sys TO \(try connection.escapeIdentifier(config.babelfishUser))")
    }

    /// The settings `sys.initialize_babelfish` reads, in the order Babelfish documents.
    private var babelfishSettings: [(String, String)] {
        var settings = [
            ("babelfishpg_tsql.database_name", config.babelfishDatabase),
            ("babelfishpg_tsql.migration_mode", config.migrationMode.rawValue),
        ]
        if let collation = config.collation { settings.append(("babelfishpg_tsql.server_collation_name", collation)) }
        return settings
    }

    private func configureBabelfish() throws {
        let connection = try runningServer().connect(database: config.babelfishDatabase)
        for (name, value) in babelfishSettings {
            do {
                try connection.execute("ALTER SYSTEM SET \(name) = \(try connection.escapeLiteral(value))")
            } catch let error as PostgresError {
                throw EntrypointError(.initializationFailed, "ALTER SYSTEM SET \(name) = '\(value)' failed: \(error)")
            }
        }
        try connection.execute("SELECT pg_reload_conf()")
    }

    /// A new connection that already sees the reloaded settings (the reload is asynchronous).
    private func connectionSeeingSettings() throws -> PostgresConnection {
        let start = Instant.now()
        while true {
            let connection = try runningServer().connect(database: config.babelfishDatabase)
            var current: [String?] = []
            for (name, _) in babelfishSettings {
                current.append(try connection.execute("SELECT current_setting($1, true)", [name]).scalar)
            }
            if current == babelfishSettings.map({ Optional($0.1) }) { return connection }
            if start.millisecondsElapsed() > 10_000 {
                throw EntrypointError(
                    .initializationFailed, "the server did not apply the Babelfish settings after pg_reload_conf() within 10 s")
            }
            sleep(milliseconds: 5)
        }
    }

    private func initializeBabelfish() throws {
        let connection = try connectionSeeingSettings()
        try connection.execute("CALL sys.initialize_babelfish(\(try connection.escapeLiteral(config.babelfishUser)))")
        babelfishVersion = try connection.execute(
            "SELECT extversion FROM pg_extension WHERE extname = 'babelfishpg_tsql'"
        ).scalar
    }

    private func runInitScripts() throws {
        var loopback = try runningServer()
        if loopback.tdsPort == nil {
            try loopback.stop()
            server = nil
            loopback = try TemporaryServer.start(
                context.temporaryServerOptions(
                    listenOnLoopback: true, relaxedDurability: config.durability == .relaxed, managesConfiguration: true))
            server = loopback
        }
        let runner = InitScriptRunner(context: context, server: loopback)
        for script in scripts {
            try runner.run(script)
        }
    }

    private func sync() throws {
        if config.durability == .relaxed {
            try FileSystem.syncFileSystem(containing: context.dataDirectory)
            if try FileSystem.info(context.path("pg_wal"))?.kind == .symlink {
                try FileSystem.syncFileSystem(containing: context.path("pg_wal"))
            }
        } else {
            try FileSystem.syncDirectory(context.dataDirectory)
        }
    }

    private func commit() throws {
        var state = ClusterState(
            origin: .initialized, babelfish: config.babelfishEnabled, entrypointVersion: EntrypointVersion.current,
            postgresVersion: context.installation.version, babelfishVersion: babelfishVersion ?? template?.manifest.babelfishVersion,
            babelfishUser: config.babelfishEnabled ? config.babelfishUser : nil)
        state.template = template?.directory
        try FileSystem.writeAtomically(context.path(ManagedFiles.state), state.render())
        try FileSystem.removeDurably(context.path(ManagedFiles.initializationMarker))
    }
}
