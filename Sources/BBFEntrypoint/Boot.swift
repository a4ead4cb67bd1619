import BBFSystem
import PostgresClient

/// Every later boot of a complete cluster: report settings the environment
/// can no longer change, update Babelfish after a minor image bump, refresh
/// the managed configuration.
struct Boot {
    let context: BootContext
    let state: ClusterState

    private var config: EntrypointConfiguration { context.config }

    func run() throws {
        if !state.babelfish && config.babelfishEnabled {
            throw EntrypointError(
                .unsupportedDataDirectory,
                "PGDATA=\(context.dataDirectory) was initialized without Babelfish (BABELFISH_ENABLED=false), so it has no TDS endpoint or T-SQL layer. Start it with BABELFISH_ENABLED=false, or use an empty directory for a Babelfish database."
            )
        }
        if state.babelfish && !config.babelfishEnabled {
            Log.warning("BABELFISH_ENABLED=false: starting a Babelfish cluster without its TDS endpoint")
        }
        for remark in try settingRemarks() { Log.warning(remark) }
        // Before any server starts: the managed configuration names these files.
        // A data-loaded image (bbf bake) ships without them.
        try context.ensureCertificate()
        if state.babelfish && config.babelfishEnabled {
            try updateBabelfishIfNeeded()
        }
        try context.refreshManagedConfiguration()
        try context.ensureInclude()
        let what =
            state.babelfish && config.babelfishEnabled
            ? "PostgreSQL \(context.installation.version) with Babelfish" : "PostgreSQL \(context.installation.version)"
        Log.info("PGDATA=\(context.dataDirectory) is initialized: starting \(what)")
    }

    /// Settings fixed at initialization that the environment asks to change.
    func settingRemarks() throws -> [String] {
        var remarks = passwordRemarks()
        guard state.babelfish else { return remarks }
        var settings: ClusterSettings?
        func compare(_ variable: String, wanted: String, setting: String, defaultValue: String?, what: String) throws {
            guard config.explicitlySet.contains(variable) else { return }
            if settings == nil { settings = try context.clusterSettings() }
            guard let actual = settings?.value(of: setting) ?? defaultValue else { return }
            if actual.lowercased() != wanted.lowercased() {
                remarks.append(
                    "\(variable)=\(wanted) is not applied: this cluster was initialized with \(what) \(actual), which cannot change after initialization. Unset \(variable), or start from an empty volume to get a new cluster."
                )
            }
        }
        try compare(
            "BABELFISH_MIGRATION_MODE", wanted: config.migrationMode.rawValue,
            setting: "babelfishpg_tsql.migration_mode", defaultValue: "single-db", what: "migration mode")
        try compare(
            "BABELFISH_DB", wanted: config.babelfishDatabase, setting: "babelfishpg_tsql.database_name",
            defaultValue: nil, what: "Babelfish database")
        if let collation = config.collation {
            try compare(
                "BABELFISH_COLLATION", wanted: collation, setting: "babelfishpg_tsql.server_collation_name",
                defaultValue: "sql_latin1_general_cp1_ci_as", what: "server collation")
        }
        if config.explicitlySet.contains("BABELFISH_USER"), let user = state.babelfishUser, user != config.babelfishUser {
            remarks.append(
                "BABELFISH_USER=\(config.babelfishUser) is not applied: this cluster's Babelfish login is \(user). Create more logins with CREATE LOGIN over TDS, or start from an empty volume."
            )
        }
        return remarks
    }

    /// Passwords are set once: for a data-loaded image by `bbf bake` (its
    /// volume holds bbf-snapshot.json). A password variable given to such a
    /// container changes nothing, which the developer must hear about.
    func passwordRemarks() -> [String] {
        guard FileSystem.exists(context.path("bbf-snapshot.json")) else { return [] }
        var remarks: [String] = []
        for (variable, role) in [("POSTGRES_PASSWORD", config.superuser), ("BABELFISH_PASSWORD", state.babelfishUser ?? config.babelfishUser)]
        where config.explicitlySet.contains(variable) {
            let change =
                variable == "BABELFISH_PASSWORD" ? "ALTER LOGIN \(role) WITH PASSWORD = '...' over TDS" : "ALTER ROLE \(role) PASSWORD '...' in psql"
            remarks.append(
                "\(variable) is not applied: this data directory came from a data-loaded image, whose passwords bbf bake set (the image label babelfish-dev.snapshot.passwords says where they come from). To change the password of \(role), run \(change)."
            )
        }
        return remarks
    }

    /// After a minor image bump the extensions' SQL objects must be updated:
    /// ALTER EXTENSION ... UPDATE in babelfish_db. Re-running it is harmless,
    /// so an interrupted update is simply redone at the next start.
    private func updateBabelfishIfNeeded() throws {
        guard let recorded = state.babelfishVersion,
            let available = context.installation.defaultVersion(ofExtension: "babelfishpg_tsql"),
            recorded != available
        else { return }
        if compareVersions(available, recorded) == .orderedAscending {
            throw EntrypointError(
                .incompatibleMajorVersion,
                "PGDATA=\(context.dataDirectory) was last used with Babelfish \(recorded), newer than this image's \(available). Run an image with Babelfish \(recorded) or later; the directory was left untouched."
            )
        }
        Log.info("Babelfish \(recorded) -> \(available): updating the extensions in this cluster")
        let databaseName = try context.clusterSettings().value(of: "babelfishpg_tsql.database_name") ?? config.babelfishDatabase
        let server = try TemporaryServer.start(
            context.temporaryServerOptions(listenOnLoopback: false, relaxedDurability: false, managesConfiguration: true))
        let installed: String?
        do {
            let connection = try server.connect(database: databaseName, password: config.superuserPassword)
            for name in ["babelfishpg_common", "babelfishpg_tsql", "babelfishpg_tds"] {
                try connection.execute("ALTER EXTENSION \(try connection.escapeIdentifier(name)) UPDATE")
            }
            installed = try connection.execute("SELECT extversion FROM pg_extension WHERE extname = 'babelfishpg_tsql'").scalar
        } catch {
            try? server.stop()
            throw EntrypointError(.serverFailed, step: "update-babelfish", "ALTER EXTENSION ... UPDATE failed: \(error)")
        }
        try server.stop()
        var updated = state
        updated.babelfishVersion = installed ?? available
        try FileSystem.writeAtomically(context.path(ManagedFiles.state), updated.render())
        Log.info("Babelfish extensions updated to \(updated.babelfishVersion ?? available)")
    }
}

enum VersionOrder { case orderedAscending, orderedSame, orderedDescending }

/// Compares dotted version strings numerically ("4.10.0" > "4.9.1").
func compareVersions(_ a: String, _ b: String) -> VersionOrder {
    let left = a.split(separator: ".").map { Int($0) ?? 0 }
    let right = b.split(separator: ".").map { Int($0) ?? 0 }
    for index in 0..<max(left.count, right.count) {
        let l = index < left.count ? left[index] : 0
        let r = index < right.count ? right[index] : 0
        if l < r { return .orderedAscending }
        if l > r { return .orderedDescending }
    }
    return .orderedSame
}
