import BBFArchive
import BBFContainer
import BBFEntrypoint
import BBFImage
import BBFProcess
import BBFSystem
import Foundation
import PostgresClient
import TDSClient

/// What `bbf bake` was asked to do.
public struct BakeOptions: Sendable {
    public enum Output: Equatable, Sendable {
        /// Push every tag to its registry.
        case push
        /// Load into the local engine (docker-daemon: or containers-storage:).
        case load
        /// Only write an OCI layout here.
        case layout(String)
    }

    public var source: StorageLocation
    public var baseImage: ImageLocation
    /// In push order as given; moving tags (`latest`) are pushed last anyway.
    public var tags: [ImageLocation]
    /// Repositories to publish as REPO:<the backup's UTC time> and then REPO:latest.
    public var datedRepositories: [String] = []
    /// Log in to the ECR registries of the tags and base with `aws ecr get-login-password`.
    public var ecrLogin = false
    public var output: Output = .push
    public var tlsVerify = true
    public var registryAuthFile: String?
    public var passwordFile: String
    /// Says where the passwords come from, for the image's labels.
    public var passwordSource: String?
    public var postRestoreDirectory: String?
    public var allowedRestoreErrors: [String] = []
    public var jobs: Int
    public var workDirectory: String?
    public var binDirectory: String?
    public var entrypoint: String?
    public var plainPostgres = false
    /// Bake even when the target already holds this archive on this base.
    public var force = false
    /// Keep the WAL a clean shutdown leaves (default: pg_resetwal drops it).
    public var keepWAL = false
    /// zstd instead of gzip for the data layer (engines that pull it: Docker 23+,
    /// containerd 1.5+, podman 4+; the image becomes OCI format).
    public var zstdLayer = false

    public init(source: StorageLocation, baseImage: ImageLocation, tags: [ImageLocation], passwordFile: String, jobs: Int) {
        self.source = source
        self.baseImage = baseImage
        self.tags = tags
        self.passwordFile = passwordFile
        self.jobs = jobs
    }
}

public struct BakeOutcome: Sendable {
    public enum Result: Equatable, Sendable {
        case baked(digest: String, tags: [String])
        case alreadyBaked(tag: String)
    }

    public var result: Result
    public var archive: String
    /// Step durations, data directory and layer sizes.
    public var figures: [String: Double]
}

/// `bbf bake`: the newest complete backup → a restored, verified, cleanly
/// stopped data directory → one deterministic layer on the engine image →
/// pushed (dated tags first, `latest` last), without a Docker daemon.
public final class BakeRunner {
    public let options: BakeOptions
    let environment: [String: String]
    let log: PipelineLog
    private var figures: [String: Double] = [:]
    /// `--tag`s plus the dated ones, known once the backup is chosen.
    private var tags: [String] = []

    public init(options: BakeOptions, environment: [String: String], log: PipelineLog = PipelineLog(command: "bbf bake")) {
        self.options = options
        self.environment = environment
        self.log = log
    }

    public func run() throws(PipelineError) -> BakeOutcome {
        let started = Date()
        let passwords = try readPasswords()
        let store = try makeStore(for: options.source, environment: environment, forWriting: false)
        var skopeo = try wrap { () throws(ContainerError) in
            try Skopeo(environment: environment, tlsVerify: options.tlsVerify, authFile: options.registryAuthFile)
        }
        let bin = try binDirectory()
        let entrypoint = try entrypointPath()
        let compression = try layerCompression()
        let engine = try engineFacts(bin: bin)

        let work = try makeWorkDirectory()
        let token = Interruption.shared.onInterrupt { try? FileManager.default.removeItem(atPath: work) }
        defer {
            Interruption.shared.remove(token)
            try? FileManager.default.removeItem(atPath: work)
        }

        // 1. Choose the archive and read its record.
        let (archiveName, record) = try log.step("choose the backup in \(store.description)") { () throws(PipelineError) in
            try chooseArchive(store: store, work: work)
        }
        let manifest = record?.manifest
        tags = options.tags.map(\.description)
        if let stamp = BackupName.parse(archiveName)?.0.stamp {
            for repository in options.datedRepositories { tags += ["\(repository):\(stamp.lowercased())", "\(repository):latest"] }
        }
        if options.ecrLogin {
            skopeo.authFile = try log.step("log in to ECR (aws ecr get-login-password)") { () throws(PipelineError) in
                try ECRLogin.authFile(for: tags + [options.baseImage.description], in: work, environment: environment)
            }
        }
        log.info("backup \(archiveName)" + (manifest.map { " of \($0.source.host)/\($0.source.database), taken \($0.createdAt)" } ?? ""))

        // 2. Nothing to do when the target already carries it on this base.
        let baseInspection = try log.step("inspect the base image \(options.baseImage)") { () throws(PipelineError) in
            try wrap { () throws(ContainerError) in try inspectBase(skopeo) }
        }
        if let record, !options.force, let tag = try alreadyBaked(record: record, baseDigest: baseInspection.digest, skopeo: skopeo) {
            log.info(
                "\(tag) already holds \(archiveName) (sha256 \(record.sha256)) on this base image: nothing to do (--force bakes anyway)")
            return BakeOutcome(result: .alreadyBaked(tag: tag), archive: archiveName, figures: figures)
        }
        if let manifest {
            try Compatibility.check(
                manifest, archive: archiveName, engine: engine, baseLabels: baseInspection.labels, baseName: options.baseImage.description)
            try Restorer.checkPasswords(passwords, manifest: manifest, logins: nil, file: options.passwordFile)
        }

        // 3. Fetch, verify and unpack.
        let archivePath = try log.step("fetch and verify \(archiveName)") { () throws(PipelineError) in
            try fetch(archiveName, record: record, store: store, work: work)
        }
        let unpacked = work + "/backup"
        try makeDirectory(unpacked, permissions: 0o700)
        let verified = try log.step("unpack and check every member's sha256") { () throws(PipelineError) in
            try BackupArchive.unpack(archivePath, into: unpacked)
        }
        if archivePath.hasPrefix(work) { try? FileManager.default.removeItem(atPath: archivePath) }
        if manifest == nil {
            try Compatibility.check(
                verified, archive: archiveName, engine: engine, baseLabels: baseInspection.labels, baseName: options.baseImage.description)
        }
        let rolesText = try Restorer.prepareRoles(at: unpacked + "/" + BackupManifest.Names.roles, log: log)
        try Restorer.checkPasswords(passwords, manifest: verified, logins: Restorer.loginRoles(in: rolesText), file: options.passwordFile)

        // 4. Initialize with the entrypoint's own first boot and restore.
        let data = work + "/data"
        let server = try log.step("initialize a fresh cluster (bbf-entrypoint first boot) and start the restore server") {
            () throws(PipelineError) in
            try startServer(
                entrypoint: entrypoint, bin: bin, data: data, work: work, manifest: verified, passwords: passwords,
                settings: EntrypointServer.restoreSettings(jobs: options.jobs),
                loopback: Restorer.hasTSQLScripts(options.postRestoreDirectory)
            )
        }
        let database = verified.source.database
        try Restorer(
            target: LocalRestoreTarget(server: server, bin: bin), manifest: verified, passwords: passwords, jobs: options.jobs,
            allowedErrors: options.allowedRestoreErrors, log: log, consequence: "no image was made"
        ).restore(unpacked: unpacked, postRestore: options.postRestoreDirectory)
        try log.step("CHECKPOINT, clean shutdown") { () throws(PipelineError) in
            try finish(server: server, database: database)
        }
        try? FileManager.default.removeItem(atPath: unpacked)

        // 5. Make the directory what a developer needs, then check it boots.
        let bakedAt = ISO8601DateFormatter().string(from: Date())
        try log.step("prepare the data directory for the image") { () throws(PipelineError) in
            try prepareDataDirectory(data, bin: bin, record: record, archive: archiveName, manifest: verified, bakedAt: bakedAt)
        }
        try log.step("boot it once as a developer's container would") { () throws(PipelineError) in
            let check = try startServer(
                entrypoint: entrypoint, bin: bin, data: data, work: work, manifest: verified, passwords: nil, settings: [], loopback: false)
            let connection = try check.connect(database: database)
            _ = try? connection.execute("SELECT 1")
            try check.stop()
            try? FileManager.default.removeItem(atPath: data + "/postmaster.opts")
        }

        // 6. The layer and the image.
        // skopeo's dir: format keeps the base exactly as it is (an OCI layout
        // would convert a Docker-format config and drop its HEALTHCHECK).
        let layout = DirImage(path: work + "/image")
        try log.step("fetch the base image \(options.baseImage)") { () throws(PipelineError) in
            try wrap { () throws(ContainerError) in
                try skopeo.copy(from: options.baseImage, to: .directory(layout.path), doing: "fetch the base image")
            }
        }
        let mtime = Int(ISO8601DateFormatter().date(from: verified.createdAt)?.timeIntervalSince1970 ?? 0)
        let layer = try log.step("write the data layer (deterministic tar, \(options.zstdLayer ? "zstd" : "gzip"))") {
            () throws(PipelineError) in
            try wrap { () throws(ContainerError) in
                try ImageLayer.write(
                    directory: data, as: String(ImageFacts.dataDirectory.dropFirst()), uid: ImageFacts.userID, gid: ImageFacts.groupID,
                    mtime: mtime, into: layout, compression: compression, skip: Self.leaveOut)
            }
        }
        figures["layer.compressed.bytes"] = Double(layer.descriptor.size)
        figures["layer.uncompressed.bytes"] = Double(layer.uncompressedSize)
        log.info(
            "data layer \(layer.descriptor.digest): \(PipelineLog.size(layer.descriptor.size)) compressed, \(PipelineLog.size(layer.uncompressedSize)) as tar, \(layer.files) files"
        )
        try? FileManager.default.removeItem(atPath: data)
        let labelRecord =
            record
            ?? ArchiveRecord(archive: archiveName, size: 0, sha256: (try? sha256(ofFile: archivePath).digest) ?? "", manifest: verified)
        let labels = SnapshotLabels.make(
            record: labelRecord, bakedAt: bakedAt, baseDigest: baseInspection.digest, baseImage: options.baseImage.description,
            passwordSource: options.passwordSource
                ?? "set by bbf bake from \((options.passwordFile as NSString).lastPathComponent) (not in the image); ask the team that runs the bake",
            tool: "bbf \(ProjectVersion.current)")
        let image = try wrap { () throws(ContainerError) in
            let manifest = try ImageAssembly.add(
                .init(
                    layer: layer, labels: labels,
                    annotations: ["org.opencontainers.image.created": bakedAt, SnapshotLabels.archive: archiveName],
                    created: bakedAt, createdBy: "bbf bake \(archiveName)"), toManifest: try layout.manifest(), in: layout)
            try layout.setManifest(manifest)
            return "sha256:" + sha256(of: [UInt8](manifest))
        }
        let published = try publish(layout: layout, skopeo: skopeo)
        figures["total.seconds"] = Date().timeIntervalSince(started)
        return BakeOutcome(result: .baked(digest: image, tags: published), archive: archiveName, figures: figures)
    }

    /// What never goes into the image: runtime files a clean start recreates.
    static func leaveOut(_ relative: String) -> Bool {
        ["postmaster.pid", "postmaster.opts", "server.key", "server.crt", "server.req", "server.key.tmp", "server.crt.tmp"].contains(
            relative)
            || (relative.hasPrefix("pg_stat_tmp/")) || relative.hasPrefix("log/") || relative.hasSuffix("/pg_internal.init")
            || relative == "pg_internal.init"
    }

    // MARK: - steps

    /// gzip, or zstd by the `zstd` program on PATH (found before any work starts).
    func layerCompression() throws(PipelineError) -> LayerCompression {
        guard options.zstdLayer else { return .gzip(level: 1) }
        guard let program = ToolProcess.find("zstd", path: environment["PATH"]) else {
            throw PipelineError(
                .invalidArgument,
                "--layer-compression zstd needs the zstd program, which is not on PATH: install it (apt-get install zstd; the pipeline image has it), or leave the layer gzip."
            )
        }
        return .zstd(level: 3, program: program)
    }

    func readPasswords() throws(PipelineError) -> LoginPasswords {
        guard let text = try? String(contentsOfFile: options.passwordFile, encoding: .utf8) else {
            throw PipelineError(
                .invalidArgument,
                "--login-password-file \(options.passwordFile) cannot be read: give a file with one password for every login, or login=password lines"
            )
        }
        return try LoginPasswords.parse(text, file: options.passwordFile)
    }

    func binDirectory() throws(PipelineError) -> String {
        if let bin = options.binDirectory { return bin }
        guard let postgres = ToolProcess.find("postgres", path: environment["PATH"]) else {
            throw PipelineError(
                .tool, "no postgres on PATH: run bbf bake in the pipeline image, or pass --bin with the engine's bin directory")
        }
        return (postgres as NSString).deletingLastPathComponent
    }

    func entrypointPath() throws(PipelineError) -> String {
        if let path = options.entrypoint { return path }
        let beside =
            ((CommandLine.arguments.first.flatMap { ToolProcess.find($0, path: environment["PATH"]) } ?? "") as NSString)
            .deletingLastPathComponent + "/bbf-entrypoint"
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        guard let found = ToolProcess.find("bbf-entrypoint", path: environment["PATH"]) else {
            throw PipelineError(.tool, "bbf-entrypoint was not found beside bbf or on PATH: pass --entrypoint PATH")
        }
        return found
    }

    func engineFacts(bin: String) throws(PipelineError) -> EngineFacts {
        let config = bin + "/pg_config"
        guard let result = try? ToolProcess.run(config, ["--version"]), result.succeeded,
            let version = EngineFacts.version(fromPgConfig: result.output)
        else {
            throw PipelineError(.tool, "\(config) --version failed: is \(bin) the bin directory of a PostgreSQL installation? (--bin)")
        }
        let share = (try? ToolProcess.run(config, ["--sharedir"]))?.output.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let control = try? String(contentsOfFile: share + "/extension/babelfishpg_tsql.control", encoding: .utf8)
        let babelfish = control.flatMap(EngineFacts.defaultVersion(inControlFile:))
        if options.plainPostgres { return EngineFacts(postgresVersion: version, babelfishVersion: nil) }
        return EngineFacts(postgresVersion: version, babelfishVersion: babelfish)
    }

    func makeWorkDirectory() throws(PipelineError) -> String {
        let base = options.workDirectory ?? environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let path = base + "/bbf-bake-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        // 0711: the server may run as another user (postgres) when bbf is root.
        try makeDirectory(path, permissions: 0o711)
        return path
    }

    func makeDirectory(_ path: String, permissions: Int16) throws(PipelineError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: nil)
            try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: path)
        } catch {
            throw PipelineError(.fileSystem, "cannot create \(path): \(error.localizedDescription) (--work-dir)")
        }
    }

    func chooseArchive(store: ArchiveStore, work: String) throws(PipelineError) -> (String, ArchiveRecord?) {
        try BackupFetcher(source: options.source, store: store).choose(work: work)
    }

    struct BaseInspection {
        var digest: String
        var labels: [String: String]
    }

    func inspectBase(_ skopeo: Skopeo) throws(ContainerError) -> BaseInspection {
        let data = try skopeo.inspect(options.baseImage)
        struct Inspection: Decodable {
            var digest: String?
            var labels: [String: String]?
            enum CodingKeys: String, CodingKey {
                case digest = "Digest"
                case labels = "Labels"
            }
        }
        guard let inspection = try? JSONDecoder().decode(Inspection.self, from: data) else {
            throw ContainerError(.tool, "skopeo inspect \(options.baseImage) gave no image description")
        }
        return BaseInspection(digest: inspection.digest ?? "", labels: inspection.labels ?? [:])
    }

    /// The first pushed tag that already carries this archive on this base.
    func alreadyBaked(record: ArchiveRecord, baseDigest: String, skopeo: Skopeo) throws(PipelineError) -> String? {
        guard options.output == .push, let first = TagOrder.ordered(tags).last,
            case .registry = (try? ImageLocation.parse(first, flag: "--tag")) ?? .dockerDaemon("")
        else { return nil }
        let labels = try? skopeo.labelsIfPresent(.registry(first))
        guard let labels = labels ?? nil else { return nil }
        return labels[SnapshotLabels.sha256] == record.sha256 && labels[SnapshotLabels.baseDigest] == baseDigest ? first : nil
    }

    func fetch(_ name: String, record: ArchiveRecord?, store: ArchiveStore, work: String) throws(PipelineError) -> String {
        let path = try BackupFetcher(source: options.source, store: store).fetch(
            name, record: record, work: work, consequence: "Nothing was baked.")
        figures["archive.bytes"] = Double((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0)
        return path
    }

    func startServer(
        entrypoint: String, bin: String, data: String, work: String, manifest: BackupManifest, passwords: LoginPasswords?,
        settings: [(String, String)], loopback: Bool
    ) throws(PipelineError) -> EntrypointServer {
        let socket = work + "/sock"
        var variables: [String: String] = ["BBF_INIT_DURABILITY": "relaxed"]
        if let babelfish = manifest.babelfish {
            variables["BABELFISH_USER"] = babelfish.initializeLogin
            variables["BABELFISH_DB"] = manifest.source.database
            variables["BABELFISH_MIGRATION_MODE"] = babelfish.migrationMode
            if !babelfish.serverCollation.isEmpty { variables["BABELFISH_COLLATION"] = babelfish.serverCollation }
            variables["BABELFISH_PASSWORD"] = passwords?.password(for: babelfish.initializeLogin)
        } else {
            variables["BABELFISH_ENABLED"] = "false"
            variables["POSTGRES_DB"] = manifest.source.database
        }
        variables["POSTGRES_PASSWORD"] = passwords?.password(for: "postgres")
        return try EntrypointServer(
            .init(
                entrypoint: entrypoint, binDirectory: bin, dataDirectory: data, socketDirectory: socket, logPath: work + "/server.log",
                variables: variables.compactMapValues { $0 }, settings: settings, loopback: loopback), log: log)
    }

    func finish(server: EntrypointServer, database: String) throws(PipelineError) {
        let connection = try server.connect(database: database)
        do {
            try connection.execute("CHECKPOINT")
        } catch {
            throw PipelineError(.restore, "CHECKPOINT failed: \(error)")
        }
        try server.stop()
    }

    func prepareDataDirectory(
        _ data: String, bin: String, record: ArchiveRecord?, archive: String, manifest: BackupManifest, bakedAt: String
    )
        throws(PipelineError)
    {
        let control = (try? ToolProcess.run(bin + "/pg_controldata", [data]))?.output ?? ""
        guard control.contains("Database cluster state:               shut down") else {
            throw PipelineError(.restore, "the cluster did not shut down cleanly; pg_controldata says:\n\(control)")
        }
        let before = directorySize(data + "/pg_wal")
        if !options.keepWAL {
            let (executable, arguments) = commandAsOwner(of: data, bin + "/pg_resetwal", ["-D", data])
            let result = try? ToolProcess.run(executable, arguments)
            guard let result, result.succeeded else {
                throw PipelineError(.restore, "pg_resetwal failed: \(result?.errorTail() ?? "it did not run") (--keep-wal skips it)")
            }
            log.info("pg_resetwal: WAL \(PipelineLog.size(before)) → \(PipelineLog.size(directorySize(data + "/pg_wal")))")
        }
        for name in ["postmaster.opts"] { try? FileManager.default.removeItem(atPath: data + "/" + name) }
        if let stats = try? FileManager.default.contentsOfDirectory(atPath: data + "/pg_stat_tmp") {
            for name in stats { try? FileManager.default.removeItem(atPath: data + "/pg_stat_tmp/" + name) }
        }
        let snapshot = SnapshotRecord(
            archive: archive, archiveSHA256: record?.sha256 ?? "", snapshotCreatedAt: manifest.createdAt, bakedAt: bakedAt,
            sourceHost: manifest.source.host, sourceDatabase: manifest.source.database, serverVersion: manifest.server.version,
            babelfishVersion: manifest.babelfish?.version, migrationMode: manifest.babelfish?.migrationMode,
            tool: "bbf \(ProjectVersion.current)")
        let path = data + "/" + SnapshotRecord.fileName
        do {
            try PipelineJSON.encode(snapshot).write(to: URL(fileURLWithPath: path))
            if let info = try FileSystem.info(data) { try FileSystem.changeOwner(path, user: info.owner, group: info.group) }
            try FileSystem.changePermissions(path, 0o600)
        } catch {
            throw PipelineError(.fileSystem, "cannot write \(path): \(error)")
        }
        figures["data.bytes"] = Double(directorySize(data))
        log.info("data directory: \(PipelineLog.size(directorySize(data)))")
    }

    func publish(layout: DirImage, skopeo: Skopeo) throws(PipelineError) -> [String] {
        let source = ImageLocation.directory(layout.path)
        switch options.output {
        case .layout(let path):
            try wrap { () throws(ContainerError) in
                try skopeo.copy(from: source, to: .ociLayout(path: path, name: "data"), doing: "write the OCI layout \(path)")
            }
            return ["oci:\(path):data"]
        case .push, .load:
            var done: [String] = []
            for tag in TagOrder.ordered(tags) {
                let target = try wrap { () throws(ContainerError) in try ImageLocation.parse(tag, flag: "--tag") }
                let destination: ImageLocation
                if options.output == .load, case .registry(let reference) = target {
                    destination =
                        environment["BBF_CONTAINER_ENGINE"]?.contains("podman") == true
                        ? .containersStorage(reference) : .dockerDaemon(reference)
                } else {
                    destination = target
                }
                try log.step("push \(destination)") { () throws(PipelineError) in
                    try wrap { () throws(ContainerError) in try skopeo.copy(from: source, to: destination, doing: "push \(destination)") }
                }
                done.append(destination.description)
            }
            return done
        }
    }
}

func wrap<T>(_ body: () throws(ContainerError) -> T) throws(PipelineError) -> T {
    do {
        return try body()
    } catch {
        throw PipelineError(error.code == .registry ? .registry : .image, error.message)
    }
}

func directorySize(_ path: String) -> Int64 {
    guard let enumerator = FileManager.default.enumerator(atPath: path) else { return 0 }
    var total: Int64 = 0
    while let name = enumerator.nextObject() as? String {
        if let size = (try? FileManager.default.attributesOfItem(atPath: path + "/" + name))?[.size] as? Int64 { total += size }
    }
    return total
}

/// "restored 120 of 450 items" every 15 s, from pg_restore --verbose.
final class ProgressCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var seen = 0
    private let total: Int
    private let timer: DispatchSourceTimer

    init(total: Int, log: PipelineLog) {
        self.total = total
        let started = Date()
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "bbf.progress"))
        timer.schedule(deadline: .now() + 15, repeating: 15)
        timer.resume()
        timer.setEventHandler { [weak self] in
            guard let self else { return }
            self.lock.lock()
            let count = self.seen
            self.lock.unlock()
            log.info("pg_restore: \(count) of \(total) items after \(PipelineLog.duration(Date().timeIntervalSince(started)))")
        }
    }

    func saw(_ line: String) {
        guard
            line.hasPrefix("pg_restore: processing item") || line.hasPrefix("pg_restore: creating")
                || line.hasPrefix("pg_restore: finished item")
        else { return }
        lock.lock()
        seen += line.hasPrefix("pg_restore: finished item") ? 0 : 1
        lock.unlock()
    }

    func stop() { timer.cancel() }
}
