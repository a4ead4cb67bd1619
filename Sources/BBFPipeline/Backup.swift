import BBFArchive
import BBFImage
import BBFProcess
import Foundation

/// What `bbf backup` was asked to do.
public struct BackupOptions: Sendable {
    public var destination: StorageLocation
    /// The Babelfish database (PostgreSQL side).
    public var database = "babelfish_db"
    /// Keep the newest N complete backups at the destination (nil: keep all).
    public var keep: Int?
    /// Where the dump files are written before packing (default: TMPDIR or /tmp).
    public var workDirectory: String?
    /// Where bbf_dump / bbf_dumpall are (default: PATH).
    public var binDirectory: String?
    /// The source is plain PostgreSQL: pg_dump / pg_dumpall, no Babelfish facts.
    public var plainPostgres = false

    public init(destination: StorageLocation) { self.destination = destination }
}

/// A finished backup.
public struct BackupOutcome: Sendable {
    public var name: BackupName
    public var address: String
    public var record: ArchiveRecord
    public var deleted: [String]
}

/// `bbf backup`: dump roles and the database, pack them with a manifest into
/// one dated archive, publish it, apply retention.
public struct BackupRunner {
    public var options: BackupOptions
    public var environment: [String: String]
    public var log: PipelineLog

    public init(options: BackupOptions, environment: [String: String], log: PipelineLog = PipelineLog(command: "bbf backup")) {
        self.options = options
        self.environment = environment
        self.log = log
    }

    public func run() throws(PipelineError) -> BackupOutcome {
        let store = try makeStore(for: options.destination, environment: environment, forWriting: true)
        let tools = try log.step("find the dump tools") { () throws(PipelineError) in
            try DumpTools.locate(binDirectory: options.binDirectory, plain: options.plainPostgres, environment: environment)
        }
        log.info("using \(tools.dumpVersion) and \(tools.dumpallVersion)")
        try log.step("check the destination \(store.description)") { () throws(PipelineError) in try store.preflight() }

        let source = try log.step("connect to the source") { () throws(PipelineError) in
            try SourceDatabase(database: options.database, environment: environment)
        }
        let server = try source.server()
        let babelfish = try source.babelfish()
        try checkSource(server: server, babelfish: babelfish, tools: tools)
        if let babelfish {
            log.info(
                "source: PostgreSQL \(server.version), Babelfish \(babelfish.version), \(babelfish.migrationMode), collation \(babelfish.serverCollation), \(babelfish.databases.count) T-SQL databases, \(babelfish.logins.count) logins"
            )
        } else {
            log.info("source: PostgreSQL \(server.version) without Babelfish (--plain-postgres)")
        }

        let work = try makeWorkDirectory()
        let token = Interruption.shared.onInterrupt { try? FileManager.default.removeItem(atPath: work) }
        defer {
            Interruption.shared.remove(token)
            try? FileManager.default.removeItem(atPath: work)
        }
        let rolesPath = work + "/" + BackupManifest.Names.roles
        let dataPath = work + "/" + BackupManifest.Names.data

        try log.step("dump the roles (\((tools.dumpall as NSString).lastPathComponent) --roles-only)") { () throws(PipelineError) in
            try runDumpTool(
                tools.dumpall,
                [
                    "--database=\(options.database)", "--roles-only", "--no-role-passwords", "--quote-all-identifiers",
                    "--file=\(rolesPath)",
                ], output: rolesPath)
        }

        let snapshot = try source.exportSnapshot()
        let createdAt = ISO8601DateFormatter().string(from: Date())
        let tables = try log.step("count the rows in the dump's snapshot") { () throws(PipelineError) in
            try source.tableCounts(babelfish: babelfish != nil)
        }
        log.info("\(tables.count) tables, \(tables.reduce(0) { $0 + $1.rows }) rows")
        try log.step("dump the database \(options.database) (\((tools.dump as NSString).lastPathComponent) --format=c)") {
            () throws(PipelineError) in
            try runDumpTool(
                tools.dump,
                [
                    "--format=c", "--quote-all-identifiers", "--snapshot=\(snapshot)", "--file=\(dataPath)",
                    "--dbname=\(options.database)",
                ], output: dataPath)
        }
        source.endSnapshot()

        var members: [BackupManifest.Member] = []
        for (name, kind, path) in [
            (BackupManifest.Names.roles, BackupManifest.Member.Kind.roles, rolesPath), (BackupManifest.Names.data, .data, dataPath),
        ] {
            let (digest, size) = try hashFile(path)
            members.append(.init(name: name, kind: kind, size: size, sha256: digest))
        }
        let manifest = BackupManifest(
            createdAt: createdAt,
            tool: .init(name: "bbf", version: ProjectVersion.current, dump: tools.dumpVersion, dumpall: tools.dumpallVersion),
            source: .init(
                host: environment["PGHOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "local socket",
                port: environment["PGPORT"].flatMap { $0.isEmpty ? nil : $0 } ?? "5432", database: options.database,
                user: try source.currentUser()),
            server: server, babelfish: babelfish, tables: tables, members: members)

        let name = BackupName(date: ISO8601DateFormatter().date(from: createdAt) ?? Date())
        let existing = try store.list()
        guard !existing.contains(name.archive), !existing.contains(name.record) else {
            throw PipelineError(
                .storage, "\(store.address(of: name.archive)) already exists (two backups in the same second?): run it again")
        }
        let archivePath: String
        if let directory = store as? DirectoryStore {
            archivePath = directory.stagingPath(for: name.archive)
        } else {
            archivePath = work + "/" + name.archive
        }
        let packed = try log.step("pack \(name.archive)") { () throws(PipelineError) in
            do throws(PipelineError) {
                return try BackupArchive.pack(
                    manifest: manifest, files: [BackupManifest.Names.roles: rolesPath, BackupManifest.Names.data: dataPath], to: archivePath
                )
            } catch {
                try? FileManager.default.removeItem(atPath: archivePath)
                throw error
            }
        }
        log.info("\(name.archive): \(PipelineLog.size(packed.size)), sha256 \(packed.sha256)")
        let record = ArchiveRecord(archive: name.archive, size: packed.size, sha256: packed.sha256, manifest: manifest)
        let recordPath = work + "/" + name.record
        do {
            try PipelineJSON.encode(record).write(to: URL(fileURLWithPath: recordPath))
        } catch {
            throw PipelineError(.fileSystem, "cannot write \(recordPath): \(error)")
        }

        let partialToken = Interruption.shared.onInterrupt { try? FileManager.default.removeItem(atPath: archivePath) }
        defer { Interruption.shared.remove(partialToken) }
        try log.step("publish \(store.address(of: name.archive))") { () throws(PipelineError) in
            do throws(PipelineError) {
                try store.put(archivePath, as: name.archive)
            } catch {
                try? FileManager.default.removeItem(atPath: archivePath)
                throw error
            }
            FaultInjection.crash(at: "publish-record", environment: environment)
            try store.put(recordPath, as: name.record)
        }

        var deleted: [String] = []
        if let keep = options.keep {
            deleted = try log.step("retention: keep the newest \(keep)") { () throws(PipelineError) in
                let catalog = BackupCatalog(listing: try store.list())
                let doomed = catalog.retention(keep: keep)
                for file in doomed {
                    try store.delete(file)
                    log.info("deleted \(store.address(of: file))")
                }
                return doomed
            }
        }
        return BackupOutcome(name: name, address: store.address(of: name.archive), record: record, deleted: deleted)
    }

    func checkSource(server: BackupManifest.Server, babelfish: BackupManifest.Babelfish?, tools: DumpTools) throws(PipelineError) {
        if babelfish == nil && !options.plainPostgres {
            throw PipelineError(
                .source,
                "the database \(options.database) has no Babelfish (babelfishpg_tsql is not installed in it): pass the Babelfish database with --database (usually babelfish_db). To back up plain PostgreSQL, pass --plain-postgres."
            )
        }
        if babelfish != nil && options.plainPostgres {
            throw PipelineError(
                .invalidArgument,
                "--plain-postgres, but \(options.database) has Babelfish: back it up with bbf_dump (drop --plain-postgres).")
        }
        if let (major, _) = DumpTools.majorMinor(ofVersionOutput: tools.dumpVersion), major != server.versionNumber / 10000 {
            throw PipelineError(
                .tool,
                "\(tools.dumpVersion) cannot make a dump that restores into PostgreSQL \(server.version): use the dump tools of PostgreSQL \(server.versionNumber / 10000) (the pipeline image of the same line as the server)."
            )
        }
    }

    func runDumpTool(_ tool: String, _ arguments: [String], output: String) throws(PipelineError) {
        let name = (tool as NSString).lastPathComponent
        let progress = Heartbeat(path: output, log: log, what: name)
        defer { progress.stop() }
        let result: ToolResult
        do {
            result = try ToolProcess.run(tool, arguments, environment: environment, standardOutput: .discard, standardError: .capture)
        } catch {
            throw PipelineError(.tool, "cannot run \(tool): \(error)")
        }
        guard result.succeeded else {
            let tail = result.errorTail()
            var message = "\(name) \(result.statusDescription):\n\(tail)"
            let lower = tail.lowercased()
            if lower.contains("no space left") || lower.contains("could not write") {
                message +=
                    "\nThe work directory \((output as NSString).deletingLastPathComponent) is full: give it more room, or pass --work-dir on a larger disk."
            } else if lower.contains("password authentication failed") || lower.contains("connection to server") {
                message += "\nCheck PGHOST, PGPORT, PGUSER and PGPASSWORD / PGPASSFILE."
            }
            throw PipelineError(.tool, message)
        }
    }

    func makeWorkDirectory() throws(PipelineError) -> String {
        let base = options.workDirectory ?? environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let path = base + "/bbf-backup-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw PipelineError(
                .fileSystem, "cannot create the work directory \(path): \(error.localizedDescription). Pass --work-dir DIR.")
        }
        return path
    }
}

func hashFile(_ path: String) throws(PipelineError) -> (String, Int64) {
    do {
        return try sha256(ofFile: path)
    } catch {
        throw PipelineError(.fileSystem, "cannot read \(path): \(error)")
    }
}

/// Makes the store for a location.
public func makeStore(for location: StorageLocation, environment: [String: String], forWriting: Bool) throws(PipelineError) -> ArchiveStore
{
    switch location {
    case .s3(let bucket, let prefix):
        return S3Store(bucket: bucket, prefix: prefix, aws: try AWSCLI(environment: environment))
    case .directory(let path):
        return DirectoryStore(directory: path)
    case .s3Object(let bucket, let key):
        guard !forWriting else {
            throw PipelineError(
                .invalidArgument,
                "--to s3://\(bucket)/\(key) names an archive: give the prefix (s3://\(bucket)/\(key.split(separator: "/").dropLast().joined(separator: "/"))/)"
            )
        }
        let parts = key.split(separator: "/")
        let prefix = parts.dropLast().joined(separator: "/")
        return S3Store(bucket: bucket, prefix: prefix.isEmpty ? "" : prefix + "/", aws: try AWSCLI(environment: environment))
    case .file(let path):
        guard !forWriting else {
            throw PipelineError(.invalidArgument, "--to \(path) names an archive file: give a directory")
        }
        return DirectoryStore(directory: (path as NSString).deletingLastPathComponent)
    }
}

/// Test hook: BBF_PIPELINE_CRASH_AT=<point> kills the process there (SIGKILL),
/// to prove that an interruption at that point publishes nothing complete.
enum FaultInjection {
    static func crash(at point: String, environment: [String: String]) {
        guard environment["BBF_PIPELINE_CRASH_AT"] == point else { return }
        FileHandle.standardError.write(Data("bbf: BBF_PIPELINE_CRASH_AT=\(point): killing myself\n".utf8))
        kill(getpid(), SIGKILL)
    }
}

/// Prints how far a long-running tool got (the size of its output file) every 15 s.
final class Heartbeat: @unchecked Sendable {
    private let timer: DispatchSourceTimer

    init(path: String, log: PipelineLog, what: String, interval: Int = 15) {
        let started = Date()
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "bbf.heartbeat"))
        timer.schedule(deadline: .now() + .seconds(interval), repeating: .seconds(interval))
        timer.setEventHandler {
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? nil
            log.info("\(what): \(PipelineLog.size(size ?? 0)) written after \(PipelineLog.duration(Date().timeIntervalSince(started)))")
        }
        timer.resume()
    }

    func stop() { timer.cancel() }
}
