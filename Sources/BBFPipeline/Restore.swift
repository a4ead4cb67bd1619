import BBFEntrypoint
import BBFProcess
import Foundation
import PostgresClient
import TDSClient

/// Where a restore happens: the bake's own throwaway server, or a
/// developer's container (`bbf dev up --from-backup`). Tools run next to the
/// server, with libpq pointed at it as the superuser.
public protocol RestoreTarget {
    /// Runs a PostgreSQL client program (psql, pg_restore) against the server.
    func run(
        _ tool: String, _ arguments: [String], environment: [String: String], standardError: ToolOutput
    ) throws(PipelineError) -> ToolResult
    /// The path under which `run` sees a local file (uploading it if needed).
    func stage(_ localPath: String) throws(PipelineError) -> String
    func connect(database: String) throws(PipelineError) -> PostgresConnection
    /// Where TDS answers, for *.tsql scripts.
    var tdsEndpoint: (host: String, port: Int)? { get }
}

/// The restore steps every path shares: roles, Aurora placeholders, data in
/// parallel, checks against the manifest, local passwords, post-restore scripts.
public struct Restorer {
    public var target: RestoreTarget
    public var manifest: BackupManifest
    public var passwords: LoginPasswords
    public var jobs: Int
    public var allowedErrors: [String]
    public var log: PipelineLog
    /// What a failure says was not made ("no image was made").
    public var consequence: String

    public init(
        target: RestoreTarget, manifest: BackupManifest, passwords: LoginPasswords, jobs: Int, allowedErrors: [String], log: PipelineLog,
        consequence: String
    ) {
        self.target = target
        self.manifest = manifest
        self.passwords = passwords
        self.jobs = jobs
        self.allowedErrors = allowedErrors
        self.log = log
        self.consequence = consequence
    }

    var database: String { manifest.source.database }

    /// Everything from the roles to ANALYZE, given the unpacked backup.
    public func restore(unpacked: String, postRestore: String?) throws(PipelineError) {
        let rolesPath = unpacked + "/" + BackupManifest.Names.roles
        let dataPath = unpacked + "/" + BackupManifest.Names.data
        let roles = try Self.prepareRoles(at: rolesPath, log: log)
        try Self.checkPasswords(passwords, manifest: manifest, logins: Self.loginRoles(in: roles), file: nil)
        let stagedData = try target.stage(dataPath)
        try createPlaceholderRoles(dumpPath: stagedData)
        try log.step("restore the roles (psql, ON_ERROR_STOP)") { () throws(PipelineError) in
            try restoreRoles(path: rolesPath, text: roles)
        }
        try log.step("restore the data (pg_restore -j \(jobs))") { () throws(PipelineError) in try restoreData(path: stagedData) }
        try log.step("verify databases and row counts against the manifest") { () throws(PipelineError) in try verify() }
        try log.step("set the local passwords") { () throws(PipelineError) in try setPasswords(logins: Self.loginRoles(in: roles)) }
        if let postRestore {
            try log.step("run the post-restore scripts in \(postRestore)") { () throws(PipelineError) in try runScripts(postRestore) }
        }
        try log.step("ANALYZE") { () throws(PipelineError) in
            do {
                try target.connect(database: database).execute("ANALYZE")
            } catch {
                throw PipelineError(.restore, "ANALYZE failed: \(error)")
            }
        }
    }

    // MARK: - pure helpers

    /// Strips \restrict / \unrestrict in place; returns the text.
    public static func prepareRoles(at path: String, log: PipelineLog) throws(PipelineError) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw PipelineError(.archive, "cannot read \(path)")
        }
        let (stripped, removed) = RolesScript.strippingRestrict(text)
        if removed > 0 {
            log.info(
                "removed \(removed) \\restrict/\\unrestrict line(s) from the roles dump (pg_dump 17.6+ writes them; this psql may not know them)"
            )
            try write(stripped, to: path)
        }
        return stripped
    }

    static func write(_ text: String, to path: String) throws(PipelineError) {
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw PipelineError(.fileSystem, "cannot rewrite \(path): \(error)")
        }
    }

    /// The roles the roles dump gives LOGIN.
    public static func loginRoles(in rolesText: String) -> [String] {
        var logins: [String] = []
        for line in rolesText.split(separator: "\n") where line.hasPrefix("ALTER ROLE ") {
            let words = line.split(separator: " ").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ";")) }
            if words.contains("LOGIN"), let name = SQLNames.firstIdentifier(in: line.dropFirst("ALTER ROLE ".count)) { logins.append(name) }
        }
        return logins
    }

    /// Fails when a login of the backup would get no password.
    public static func checkPasswords(
        _ passwords: LoginPasswords, manifest: BackupManifest, logins: [String]?, file: String?
    )
        throws(PipelineError)
    {
        var needed = ["postgres"]
        if let babelfish = manifest.babelfish { needed += [babelfish.initializeLogin] + babelfish.logins }
        needed += logins ?? []
        let missing = Array(Set(passwords.missing(for: needed))).sorted()
        guard missing.isEmpty else {
            throw PipelineError(
                .invalidArgument,
                "\(file.map { "--login-password-file \($0)" } ?? "the passwords") has no password for \(missing.joined(separator: ", ")): add login=password lines, or a *=password default"
            )
        }
    }

    // MARK: - steps

    private func roleNames() throws(PipelineError) -> Set<String> {
        let connection = try target.connect(database: database)
        return Set((try? connection.execute("SELECT rolname FROM pg_roles"))?.rows.compactMap { $0[0] } ?? [])
    }

    private func tool(
        _ name: String, _ arguments: [String], environment: [String: String] = [:], standardError: ToolOutput = .capture
    )
        throws(PipelineError) -> ToolResult
    {
        try target.run(name, arguments, environment: environment.merging(["PGDATABASE": database]) { $1 }, standardError: standardError)
    }

    func createPlaceholderRoles(dumpPath: String) throws(PipelineError) {
        let result = try tool("pg_restore", ["--schema-only", "-f", "-", dumpPath])
        guard result.succeeded else {
            throw PipelineError(.restore, "pg_restore cannot read the data dump: \(result.errorTail())")
        }
        let placeholders = AuroraRoles.placeholders(
            referenced: SQLNames.referencedRoles(inSchemaSQL: result.output), existing: try roleNames())
        guard !placeholders.isEmpty else { return }
        let connection = try target.connect(database: database)
        for role in placeholders {
            do {
                try connection.execute("CREATE ROLE \(try connection.escapeIdentifier(role)) NOLOGIN")
            } catch {
                throw PipelineError(.restore, "cannot create the placeholder role \(role): \(error)")
            }
        }
        log.info(
            "the dump grants to or is owned by Aurora's built-in role(s) \(placeholders.joined(separator: ", ")), which a community server lacks: created them as NOLOGIN roles without privileges, so those grants restore as they are"
        )
    }

    func restoreRoles(path: String, text: String) throws(PipelineError) {
        let (filtered, skipped) = RolesScript.skippingExisting(text, existing: try roleNames())
        if !skipped.isEmpty {
            log.info(
                "the roles dump creates \(skipped.joined(separator: ", ")), which the fresh cluster has already: kept it, applied its ALTER ROLE"
            )
            try Self.write(filtered, to: path)
        }
        let result = try tool("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", try target.stage(path)])
        guard result.succeeded else {
            throw PipelineError(.restore, "psql stopped on the roles dump (\(result.statusDescription)):\n\(result.errorTail())")
        }
        // The dump turns ON_ERROR_STOP off around the roles: check the outcome.
        let existing = try roleNames()
        let missing = RolesScript.createdRoles(text).filter { !existing.contains($0) }
        guard missing.isEmpty else {
            throw PipelineError(
                .restore,
                "the roles dump ran, but these roles do not exist afterwards: \(missing.joined(separator: ", ")):\n\(result.errorTail())")
        }
        let errors = result.standardError.split(separator: "\n").filter { $0.contains("ERROR:") }
        if !errors.isEmpty {
            log.warning(
                "psql reported \(errors.count) error(s) in the roles dump (each role exists afterwards):\n"
                    + errors.prefix(5).joined(separator: "\n"))
        }
    }

    func restoreData(path: String) throws(PipelineError) {
        // Babelfish fills sys.babelfish_sysdatabases' owner and dbid during COPY only
        // when dump_restore is on; pg_restore sets it on the leader connection only,
        // so parallel workers need it from PGOPTIONS (Babelfish issue #2266).
        let environment = manifest.babelfish == nil ? [:] : ["PGOPTIONS": "-c babelfishpg_tsql.dump_restore=on"]
        let items = (try? tool("pg_restore", ["-l", path]))?.output.split(separator: "\n").filter { !$0.hasPrefix(";") }.count ?? 0
        let counter = ProgressCounter(total: items, log: log)
        defer { counter.stop() }
        let result = try tool(
            "pg_restore", ["-d", database, "-j", String(jobs), "--verbose", path], environment: environment,
            standardError: .lines { line in counter.saw(line) })
        let errors = RestoreErrors.parse(result.standardError)
        let unallowed = RestoreErrors.unallowed(errors, allow: allowedErrors)
        if !errors.isEmpty && unallowed.isEmpty {
            log.warning(
                "pg_restore reported \(errors.count) error(s), all matched by --allow-restore-error:\n" + errors.joined(separator: "\n"))
        }
        guard unallowed.isEmpty, result.succeeded || !errors.isEmpty else {
            let shown = unallowed.prefix(10).joined(separator: "\n")
            throw PipelineError(
                .restore,
                "pg_restore \(result.statusDescription) with \(unallowed.count) error(s) (\(consequence); --allow-restore-error REGEX accepts known ones):\n\(shown.isEmpty ? result.errorTail() : shown)"
            )
        }
    }

    func verify() throws(PipelineError) {
        let connection = try target.connect(database: database)
        var problems: [String] = []
        if let babelfish = manifest.babelfish {
            let rows = (try? connection.execute("SELECT name::text FROM sys.babelfish_sysdatabases"))?.rows.compactMap { $0[0] } ?? []
            let restored = Set(rows)
            let expected = Set(babelfish.databases.map(\.name))
            if restored != expected {
                problems.append(
                    "the T-SQL databases are \(restored.sorted().joined(separator: ", ")), the manifest lists \(expected.sorted().joined(separator: ", "))"
                )
            }
            let orphans = (try? connection.execute("SELECT count(*) FROM sys.babelfish_sysdatabases WHERE owner IS NULL"))?.scalar ?? "0"
            if orphans != "0" { problems.append("\(orphans) T-SQL database(s) have no owner (a parallel restore without dump_restore)") }
        }
        var mismatched = 0
        for table in manifest.tables {
            let count: String?
            do {
                let name = try connection.escapeIdentifier(table.schema) + "." + connection.escapeIdentifier(table.name)
                count = try connection.execute("SELECT count(*) FROM \(name)").scalar
            } catch {
                problems.append("\(table.schema).\(table.name) is missing: \(error)")
                continue
            }
            if count != String(table.rows) {
                mismatched += 1
                if mismatched <= 10 {
                    problems.append("\(table.schema).\(table.name) has \(count ?? "?") rows, the manifest says \(table.rows)")
                }
            }
        }
        guard problems.isEmpty else {
            throw PipelineError(
                .verification, "the restore does not match the backup's manifest (\(consequence)):\n" + problems.joined(separator: "\n"))
        }
        log.info("\(manifest.tables.count) tables and \(manifest.tables.reduce(0) { $0 + $1.rows }) rows match the manifest")
    }

    func setPasswords(logins: [String]) throws(PipelineError) {
        let connection = try target.connect(database: database)
        var targets = logins + ["postgres"]
        if let babelfish = manifest.babelfish { targets += [babelfish.initializeLogin] + babelfish.logins }
        var done: [String] = []
        for login in Array(Set(targets)).sorted() {
            guard let password = passwords.password(for: login) else { continue }
            do {
                let hash = try connection.encryptPassword(password, forUser: login)
                try connection.execute(
                    "ALTER ROLE \(try connection.escapeIdentifier(login)) PASSWORD \(try connection.escapeLiteral(hash))")
            } catch {
                throw PipelineError(.restore, "cannot set the password of \(login): \(error)")
            }
            done.append(login)
        }
        log.info("local passwords set for \(done.joined(separator: ", "))")
    }

    /// Whether a directory holds *.tsql scripts (they need TDS on loopback).
    public static func hasTSQLScripts(_ directory: String?) -> Bool {
        guard let directory, let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return false }
        return names.contains { $0.hasSuffix(".tsql") }
    }

    func runScripts(_ directory: String) throws(PipelineError) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw PipelineError(.invalidArgument, "--post-restore \(directory) cannot be read: \(error.localizedDescription)")
        }
        // Dot-names are skipped quietly: a Kubernetes ConfigMap volume holds ..data links.
        for name in names where !name.hasPrefix(".") {
            let path = directory + "/" + name
            if name.hasSuffix(".sql") {
                let result = try tool("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", try target.stage(path)])
                guard result.succeeded else {
                    throw PipelineError(.restore, "the post-restore script \(name) failed (\(consequence)):\n\(result.errorTail())")
                }
                log.info("ran \(name)")
            } else if name.hasSuffix(".tsql") {
                try runTSQL(name: name, path: path)
            } else {
                log.info("ignoring \(name) (only *.sql and *.tsql run)")
            }
        }
    }

    private func runTSQL(name: String, path: String) throws(PipelineError) {
        guard let babelfish = manifest.babelfish, let password = passwords.password(for: babelfish.initializeLogin),
            let endpoint = target.tdsEndpoint
        else {
            throw PipelineError(.invalidArgument, "\(name): *.tsql scripts need a Babelfish backup and a TDS endpoint")
        }
        let batches: [TSQLBatch]
        do {
            batches = try TSQLBatches.split(try String(contentsOfFile: path, encoding: .utf8))
        } catch {
            throw PipelineError(.invalidArgument, "the post-restore script \(name) cannot be read: \(error)")
        }
        let connection: TDSConnection
        do {
            connection = try TDSConnection(
                host: endpoint.host, port: endpoint.port, user: babelfish.initializeLogin, password: password, application: "bbf restore")
        } catch {
            throw PipelineError(.restore, "\(name): cannot log in over TDS as \(babelfish.initializeLogin): \(error)")
        }
        for batch in batches {
            for _ in 0..<max(1, batch.repeatCount) {
                do {
                    try connection.execute(batch.text)
                } catch {
                    throw PipelineError(
                        .restore,
                        "the post-restore script \(name) failed in the batch at line \(batch.firstLine) (\(consequence)): \(error)")
                }
            }
        }
        log.info("ran \(name) (\(batches.count) batches over TDS)")
    }
}

/// The bake's target: its own restore server, its own binaries.
struct LocalRestoreTarget: RestoreTarget {
    var server: EntrypointServer
    var bin: String

    func run(
        _ tool: String, _ arguments: [String], environment: [String: String], standardError: ToolOutput
    ) throws(PipelineError)
        -> ToolResult
    {
        var variables = server.clientEnvironment
        variables["PATH"] = bin + ":/usr/bin:/bin"
        variables["LANG"] = "C.UTF-8"
        variables.merge(environment) { $1 }
        do {
            return try ToolProcess.run(
                bin + "/" + tool, arguments, environment: variables, standardOutput: .capture, standardError: standardError)
        } catch {
            throw PipelineError(.tool, "cannot run \(tool): \(error)")
        }
    }

    func stage(_ localPath: String) throws(PipelineError) -> String { localPath }

    func connect(database: String) throws(PipelineError) -> PostgresConnection { try server.connect(database: database) }

    var tdsEndpoint: (host: String, port: Int)? { ("127.0.0.1", server.tdsPort) }
}
