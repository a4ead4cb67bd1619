import BBFContainer
import BBFImage
import BBFPipeline
import BBFProcess
import Foundation
import PostgresClient

/// `bbf dev up --from-backup ARCHIVE`: for a team without the image pipeline,
/// or a one-off copy of another environment, the backup is restored straight
/// into this instance's new volume with the bake's own restore steps, like
/// `sqlcmd create mssql --using file.bak` does for SQL Server.
extension DevSession {
    func upFromBackup(_ archive: String, options: UpOptions) throws(DevError) {
        let engine = try engine()
        let reference = try requireImage()
        let image = try ensureImage(reference, pull: settings.pull)
        let labels = ImageFactsFromLabels(labels: image.labels)
        guard !labels.isDataLoaded else {
            throw DevError(
                .refused,
                "--from-backup restores into a fresh cluster, but \(reference) is a data-loaded image (it already carries \(labels.snapshotArchive ?? "a DEV snapshot")): name the engine image with --image (e.g. the babelfish-dev:<line> it was baked on). Nothing was changed."
            )
        }
        if try wrap(.volume, { () throws(ContainerError) in try engine.volumeInspect(settings.volume) }) != nil {
            let contents = try? probeVolume(image: reference, running: try ownContainer())
            if contents?.empty != true {
                throw DevError(
                    .refused,
                    "--from-backup restores only into a new volume, and \(settings.volume) already holds a database: keep a copy with bbf dev save NAME, then remove it with bbf dev down --remove-volume (or use --volume NEW). Nothing was changed."
                )
            }
        }
        guard let passwords = try passwords() else {
            throw DevError(
                .configuration,
                "--from-backup needs the local passwords the restored logins get: set \"passwordFile\" (one password, or login=password lines) or \"password\" in bbf-dev.json, or pass --password-file FILE. Nothing was changed."
            )
        }

        // The backup, fetched and checked before anything is created.
        let work: String
        do {
            work = try makeScratch()
        } catch {
            throw DevError(.save, "cannot create a work directory: \(error)")
        }
        defer { try? FileManager.default.removeItem(atPath: work) }
        let log = PipelineLog(command: "bbf dev")
        let (manifest, unpacked, archiveName, record) = try pipeline { () throws(PipelineError) in
            let location = try StorageLocation.parse(archive, flag: "--from-backup") { path in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
            }
            let fetcher = try BackupFetcher(source: location, environment: environment)
            let (name, record) = try log.step("choose the backup") { () throws(PipelineError) in try fetcher.choose(work: work) }
            let path = try log.step("fetch and verify \(name)") { () throws(PipelineError) in
                try fetcher.fetch(name, record: record, work: work, consequence: "Nothing was changed.")
            }
            let unpacked = work + "/backup"
            try? FileManager.default.createDirectory(atPath: unpacked, withIntermediateDirectories: true)
            let manifest = try log.step("unpack and check every member's sha256") { () throws(PipelineError) in
                try BackupArchive.unpack(path, into: unpacked)
            }
            if path.hasPrefix(work) { try? FileManager.default.removeItem(atPath: path) }
            let engineFacts = EngineFacts(
                postgresVersion: labels.postgresVersion ?? manifest.server.version,
                babelfishVersion: babelfishEnabled(image) ? (labels.babelfishVersion ?? manifest.babelfish?.version) : nil)
            try Compatibility.check(manifest, archive: name, engine: engineFacts, baseLabels: nil, baseName: reference)
            try Restorer.checkPasswords(passwords, manifest: manifest, logins: nil, file: nil)
            return (manifest, unpacked, name, record)
        }

        // The instance comes up as a fresh cluster in the backup's mode, collation and names.
        var restoring = settings
        if let babelfish = manifest.babelfish {
            restoring.login = babelfish.initializeLogin
            restoring.environment["BABELFISH_DB"] = restoring.environment["BABELFISH_DB"] ?? manifest.source.database
            restoring.environment["BABELFISH_MIGRATION_MODE"] = babelfish.migrationMode
            if !babelfish.serverCollation.isEmpty { restoring.environment["BABELFISH_COLLATION"] = babelfish.serverCollation }
        } else {
            restoring.environment["POSTGRES_DB"] = manifest.source.database
        }
        let session = DevSession(settings: restoring, environment: environment, console: console)
        var quiet = options
        quiet.fromBackup = nil
        quiet.printConnectionStrings = false
        try session.bringUp(reference: reference, image: image, options: quiet, engine: engine)

        let target = ContainerRestoreTarget(
            engine: engine, container: settings.name, host: settings.bindAddress == "0.0.0.0" ? "127.0.0.1" : settings.bindAddress,
            postgresPort: settings.postgresPort, tdsPort: settings.tdsPort, superuserPassword: passwords.password(for: "postgres") ?? "")
        defer { target.cleanUp() }
        try pipeline { () throws(PipelineError) in
            try Restorer(
                target: target, manifest: manifest, passwords: passwords, jobs: Cores.available(),
                allowedErrors: [], log: log,
                consequence: "the volume \(settings.volume) holds a partial restore: remove it with bbf dev down --remove-volume"
            ).restore(unpacked: unpacked, postRestore: nil)
            try target.writeSnapshotRecord(
                SnapshotRecord(
                    archive: archiveName, archiveSHA256: record?.sha256 ?? "", snapshotCreatedAt: manifest.createdAt,
                    bakedAt: ISO8601DateFormatter().string(from: Date()), sourceHost: manifest.source.host,
                    sourceDatabase: manifest.source.database, serverVersion: manifest.server.version,
                    babelfishVersion: manifest.babelfish?.version, migrationMode: manifest.babelfish?.migrationMode,
                    tool: "bbf dev up --from-backup \(ProjectVersion.current)"))
        }
        console.info("restored \(archiveName) into the volume \(settings.volume)")
        try session.printConnectionStrings(
            image: image, plan: UpPlan.make(settings: restoring, reference: reference, image: image, firstBoot: [:]),
            login: restoring.login ?? "babelfish_user", options: options)
    }

    func pipeline<T>(_ body: () throws(PipelineError) -> T) throws(DevError) -> T {
        do {
            return try body()
        } catch {
            throw DevError(.refused, error.description)
        }
    }

    func babelfishEnabled(_ image: ImageInspection) -> Bool {
        UpPlan.babelfishEnabled(image: image, settings: settings)
    }

    func makeScratch() throws -> String {
        let base = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let path = base + "/bbf-dev-restore-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return path
    }
}

/// A restore into a developer's running container: the container's own
/// psql and pg_restore over its socket (local trust, as the postgres user),
/// files copied in with `cp`, checks over the published PostgreSQL port.
final class ContainerRestoreTarget: RestoreTarget {
    let engine: Engine
    let container: String
    let host: String
    let postgresPort: Int
    let tdsPort: Int
    let superuserPassword: String
    let directory = "/tmp/bbf-restore"
    private var prepared = false

    init(engine: Engine, container: String, host: String, postgresPort: Int, tdsPort: Int, superuserPassword: String) {
        self.engine = engine
        self.container = container
        self.host = host
        self.postgresPort = postgresPort
        self.tdsPort = tdsPort
        self.superuserPassword = superuserPassword
    }

    func run(
        _ tool: String, _ arguments: [String], environment: [String: String], standardError: ToolOutput
    ) throws(PipelineError)
        -> ToolResult
    {
        var variables = ["PGHOST": ImageFacts.socketDirectory, "PGUSER": "postgres", "PGPORT": String(ImageFacts.postgresPort)]
        variables.merge(environment) { $1 }
        let command =
            ["exec", container, "env"] + variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + [tool] + arguments
        do {
            return try ToolProcess.run(engine.executable, command, environment: engine.environment, standardError: standardError)
        } catch {
            throw PipelineError(.tool, "cannot run \(tool) in \(container): \(error)")
        }
    }

    func stage(_ localPath: String) throws(PipelineError) -> String {
        let target = directory + "/" + (localPath as NSString).lastPathComponent
        do {
            if !prepared {
                _ = try engine.exec(container, ["mkdir", "-p", directory], user: "0")
                prepared = true
            }
            try engine.copy(localPath, "\(container):\(target)")
            _ = try engine.exec(container, ["chown", "-R", "\(ImageFacts.userID):\(ImageFacts.groupID)", directory], user: "0")
        } catch {
            throw PipelineError(.tool, "cannot copy \(localPath) into \(container): \(error.message)")
        }
        return target
    }

    func connect(database: String) throws(PipelineError) -> PostgresConnection {
        do {
            return try PostgresConnection([
                "host": host, "port": String(postgresPort), "user": "postgres", "password": superuserPassword, "dbname": database,
                "connect_timeout": "10", "fallback_application_name": "bbf dev",
            ])
        } catch {
            throw PipelineError(.restore, "cannot connect to \(container) on \(host):\(postgresPort): \(error)")
        }
    }

    var tdsEndpoint: (host: String, port: Int)? { (host, tdsPort) }

    func writeSnapshotRecord(_ record: SnapshotRecord) throws(PipelineError) {
        let local = NSTemporaryDirectory() + "/" + SnapshotRecord.fileName
        do {
            try PipelineJSON.encode(record).write(to: URL(fileURLWithPath: local))
        } catch {
            throw PipelineError(.fileSystem, "cannot write \(local): \(error)")
        }
        defer { try? FileManager.default.removeItem(atPath: local) }
        let staged = try stage(local)
        let result = try? engine.exec(
            container,
            ["sh", "-c", "mv \"$0\" \"$1\" && chmod 600 \"$1\"", staged, ImageFacts.dataDirectory + "/" + SnapshotRecord.fileName])
        guard result?.succeeded == true else { throw PipelineError(.restore, "cannot write the snapshot record into the volume") }
    }

    func cleanUp() {
        if prepared { _ = try? engine.exec(container, ["rm", "-rf", directory], user: "0") }
    }
}
