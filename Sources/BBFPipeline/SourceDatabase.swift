import PostgresClient

/// The database being backed up, over libpq. Connection settings come from
/// libpq's own environment (PGHOST, PGPORT, PGUSER, PGPASSWORD or PGPASSFILE,
/// PGSSLMODE, PGSSLROOTCERT, ...), so nothing secret is passed around here.
final class SourceDatabase {
    let connection: PostgresConnection
    let database: String

    init(database: String, environment: [String: String]) throws(PipelineError) {
        self.database = database
        do {
            connection = try PostgresConnection(["dbname": database, "fallback_application_name": "bbf backup"])
        } catch {
            throw PipelineError(.source, Self.explainConnectionFailure("\(error)", database: database, environment: environment))
        }
    }

    /// What to do about a connection failure. Pure.
    static func explainConnectionFailure(_ message: String, database: String, environment: [String: String]) -> String {
        let host = environment["PGHOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "the local socket"
        let port = environment["PGPORT"].flatMap { $0.isEmpty ? nil : $0 } ?? "5432"
        let user = environment["PGUSER"].flatMap { $0.isEmpty ? nil : $0 } ?? "the current user"
        let target = "database \(database) at \(host) port \(port) as \(user)"
        let lower = message.lowercased()
        if lower.contains("password authentication failed") || lower.contains("no password supplied")
            || lower.contains("authentication failed")
        {
            return "cannot log in to \(target): \(message). Check PGUSER and PGPASSWORD (or the PGPASSFILE entry)."
        }
        if lower.contains("database \"\(database.lowercased())\" does not exist") {
            return
                "\(target): the database \(database) does not exist. Pass the Babelfish database with --database (Babelfish's default is babelfish_db)."
        }
        if lower.contains("ssl") || lower.contains("certificate") {
            return
                "cannot connect to \(target) over TLS: \(message). Check PGSSLMODE and PGSSLROOTCERT (Aurora: PGSSLMODE=verify-full with the RDS CA bundle)."
        }
        return "cannot connect to \(target): \(message). Check PGHOST, PGPORT and that the server accepts connections from here."
    }

    func query(_ sql: String, _ parameters: [String?] = [], doing action: String) throws(PipelineError) -> PostgresResult {
        do {
            return try connection.execute(sql, parameters)
        } catch {
            throw PipelineError(.source, "\(action) failed on the source: \(error)")
        }
    }

    func server() throws(PipelineError) -> BackupManifest.Server {
        let number = Int(try query("SHOW server_version_num", doing: "reading the server version").scalar ?? "") ?? connection.serverVersion
        let text = try query("SELECT version()", doing: "reading the server version").scalar ?? ""
        return BackupManifest.Server(versionNumber: number, version: BackupManifest.Server.version(fromNumber: number), versionString: text)
    }

    func currentUser() throws(PipelineError) -> String {
        try query("SELECT current_user", doing: "reading the current user").scalar ?? ""
    }

    /// Babelfish's facts, or nil when `babelfishpg_tsql` is not installed in this database.
    func babelfish() throws(PipelineError) -> BackupManifest.Babelfish? {
        let extensions = try query(
            "SELECT extname, extversion FROM pg_extension WHERE extname LIKE 'babelfishpg%' ORDER BY extname", doing: "listing extensions")
        var versions: [String: String] = [:]
        for row in extensions.rows {
            if let name = row[0], let version = row[1] { versions[name] = version }
        }
        guard let tsql = versions["babelfishpg_tsql"] else { return nil }
        func setting(_ name: String) throws(PipelineError) -> String {
            try query("SELECT current_setting($1, true)", [name], doing: "reading \(name)").scalar ?? ""
        }
        let owner =
            try query(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()", doing: "reading the database owner"
            ).scalar ?? ""
        let databases = try query(
            "SELECT name::text, owner::text FROM sys.babelfish_sysdatabases ORDER BY dbid", doing: "listing the T-SQL databases")
        let logins = try query(
            "SELECT rolname::text FROM sys.babelfish_authid_login_ext ORDER BY rolname", doing: "listing the Babelfish logins")
        return BackupManifest.Babelfish(
            version: tsql, extensions: versions, migrationMode: try setting("babelfishpg_tsql.migration_mode"),
            serverCollation: try setting("babelfishpg_tsql.server_collation_name"), initializeLogin: owner,
            databases: databases.rows.map { .init(name: $0[0] ?? "", owner: $0[1] ?? "") },
            logins: logins.rows.compactMap { $0[0] })
    }

    /// Starts the transaction whose snapshot the dump reads, and returns the snapshot's name.
    func exportSnapshot() throws(PipelineError) -> String {
        _ = try query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", doing: "starting the snapshot transaction")
        guard let snapshot = try query("SELECT pg_export_snapshot()", doing: "exporting a snapshot").scalar else {
            throw PipelineError(.source, "pg_export_snapshot() returned nothing")
        }
        return snapshot
    }

    func endSnapshot() {
        _ = try? connection.execute("COMMIT")
    }

    /// Every user table (not part of an extension, outside the system
    /// schemas) with its exact row count, in the current transaction's snapshot.
    func tableCounts(babelfish: Bool) throws(PipelineError) -> [BackupManifest.Table] {
        let tables = try query(
            """
            SELECT n.nspname::text, c.relname::text
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r'
              AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
              AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
            ORDER BY 1, 2
            """, doing: "listing the tables")
        var databaseOfSchema: [String: String] = [:]
        if babelfish {
            let mapping = try query(
                """
                SELECT e.nspname::text, d.name::text FROM sys.babelfish_namespace_ext e
                JOIN sys.babelfish_sysdatabases d ON d.dbid = e.dbid
                """, doing: "reading the T-SQL schemas")
            for row in mapping.rows {
                if let schema = row[0], let database = row[1] { databaseOfSchema[schema] = database }
            }
        }
        var result: [BackupManifest.Table] = []
        for row in tables.rows {
            guard let schema = row[0], let name = row[1] else { continue }
            let qualified: String
            do {
                qualified = try connection.escapeIdentifier(schema) + "." + connection.escapeIdentifier(name)
            } catch {
                throw PipelineError(.source, "cannot quote \(schema).\(name): \(error)")
            }
            let count = try query("SELECT count(*) FROM \(qualified)", doing: "counting the rows of \(schema).\(name)").scalar
            result.append(.init(schema: schema, name: name, rows: Int64(count ?? "") ?? 0, tsqlDatabase: databaseOfSchema[schema]))
        }
        return result
    }
}
