import BBFSystem
import PostgresClient

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Where `make-template` puts the template, and what it records.
struct TemplateOutput {
    /// The template directory: `data/` is PGDATA of the initialization.
    var directory: String
    var inputs: InitdbInputs
}

// The steps of a first boot from a template, and of making one.
extension Initializer {
    /// copy-template: the template's cluster into PGDATA, beside the marker:
    /// directories 0700 and files 0600 owned by this user, whatever the
    /// template's own (read-only) modes. Strict durability fsyncs every file
    /// and directory; relaxed leaves it to the one `syncfs` of the sync step.
    func copyTemplate() throws {
        guard let template else { throw EntrypointError(.initializationFailed, "no template to copy") }
        let source = template.directory + "/" + TemplateFiles.data
        let strict = config.durability == .strict
        var directories: [String] = []
        var files: [String] = []
        try Self.listTree(source, "", directories: &directories, files: &files)
        for relative in directories where mkdir(context.path(relative), 0o700) != 0 {
            throw SystemError("create directory", context.path(relative))
        }
        for (index, relative) in files.enumerated() {
            if index == files.count / 2, config.crashPoint == "copy-template-file" {
                Log.warning("BBF_ENTRYPOINT_CRASH_AT=copy-template-file: killing the entrypoint after \(index) of \(files.count) files")
                kill(getpid(), SIGKILL)
            }
            try FileSystem.copyFile(source + "/" + relative, to: context.path(relative), permissions: 0o600, sync: strict)
        }
        if strict {
            for relative in directories.reversed() { try FileSystem.syncDirectory(context.path(relative)) }
            try FileSystem.syncDirectory(context.dataDirectory)
        }
    }

    /// Every directory (parents first) and regular file below `root`, relative to it.
    static func listTree(_ root: String, _ relative: String, directories: inout [String], files: inout [String]) throws {
        let full = relative.isEmpty ? root : root + "/" + relative
        for name in try FileSystem.contents(ofDirectory: full) {
            let path = relative.isEmpty ? name : relative + "/" + name
            switch try FileSystem.info(root + "/" + path)?.kind {
            case .directory?:
                directories.append(path)
                try listTree(root, path, directories: &directories, files: &files)
            case .regular?:
                files.append(path)
            default:
                throw EntrypointError(
                    .initializationFailed,
                    "the template holds \(root)/\(path), which is neither a file nor a directory: make the template again (bbf-entrypoint make-template)."
                )
            }
        }
    }

    /// new-identity: every volume its own cluster. The template's system
    /// identifier and mock-authentication nonce (pg_control) are replaced by
    /// new ones, and pg_resetwal writes new WAL that carries the new
    /// identifier (the template holds none).
    func newIdentity() throws {
        let path = context.path("global/pg_control")
        let random = try FileSystem.randomBytes(ControlFile.nonceLength + 2)
        var now = timeval()
        gettimeofday(&now, nil)
        let identifier = ControlFile.newSystemIdentifier(
            seconds: UInt64(now.tv_sec), microseconds: UInt64(now.tv_usec),
            random: UInt16(random[ControlFile.nonceLength]) | UInt16(random[ControlFile.nonceLength + 1]) << 8)
        guard
            let updated = ControlFile.withIdentity(
                try FileSystem.readBytes(path), systemIdentifier: identifier, nonce: Array(random.prefix(ControlFile.nonceLength)))
        else {
            throw EntrypointError(
                .initializationFailed,
                "\(path) (copied from the template) is not a pg_control this entrypoint can read: make the template again, or set BBF_INIT_TEMPLATE=off."
            )
        }
        try FileSystem.replaceBytes(path, updated)
        try resetWAL()
    }

    /// pg_resetwal on the cleanly stopped cluster (what pg_upgrade does).
    func resetWAL() throws {
        let tool = try context.installation.tool("pg_resetwal")
        let result = try Command.run(
            tool, ["-D", context.dataDirectory], environment: EntrypointConfiguration.removingSecrets(from: context.environment))
        guard result.status.isSuccess else {
            throw EntrypointError(
                .initializationFailed,
                "pg_resetwal \(result.status):\n\((result.standardOutput + result.standardError).trimmedWhitespace())")
        }
    }

    /// scrub-passwords: a template holds no password, whoever set one.
    func scrubPasswords() throws {
        let connection = try runningServer().connect(database: "postgres")
        let roles = try connection.execute("SELECT rolname FROM pg_authid WHERE rolpassword IS NOT NULL ORDER BY 1").rows
        for row in roles {
            guard let role = row.first ?? nil else { continue }
            Log.info("removing the password of role \(role) from the template")
            try connection.execute("ALTER ROLE \(try connection.escapeIdentifier(role)) PASSWORD NULL")
        }
        let left = try connection.execute("SELECT count(*) FROM pg_authid WHERE rolpassword IS NOT NULL").scalar
        guard left == "0" else {
            throw EntrypointError(.initializationFailed, "\(left ?? "some") roles of the template still have a password")
        }
    }

    /// trim-template: what a cleanly stopped cluster does not need. WAL
    /// (pg_resetwal, then its one segment removed: every first boot from the
    /// template writes new WAL), statistics, postmaster.opts, the relation
    /// cache files (PostgreSQL removes them at every start) and the managed
    /// configuration (written at every start).
    func trimTemplate() throws {
        if FileSystem.exists(context.path("postmaster.pid")) {
            throw EntrypointError(.initializationFailed, "postmaster.pid is still there: the server did not stop cleanly")
        }
        try resetWAL()
        for name in try FileSystem.contents(ofDirectory: context.path("pg_wal"))
        where try FileSystem.info(context.path("pg_wal/" + name))?.kind == .regular {
            try FileSystem.removeTree(context.path("pg_wal/" + name))
        }
        for directory in ["pg_stat", "pg_stat_tmp", "pg_wal/archive_status", "log"] where FileSystem.exists(context.path(directory)) {
            for name in try FileSystem.contents(ofDirectory: context.path(directory)) {
                try FileSystem.removeTree(context.path(directory + "/" + name))
            }
        }
        for name in ["postmaster.opts", "current_logfiles", ManagedFiles.managedConfiguration, ManagedFiles.state] {
            try FileSystem.removeTree(context.path(name))
        }
        var directories: [String] = []
        var files: [String] = []
        try Self.listTree(context.dataDirectory, "", directories: &directories, files: &files)
        for file in files where file.hasSuffix("pg_internal.init") || file.hasSuffix(".tmp") {
            try FileSystem.removeTree(context.path(file))
        }
    }

    /// seal-template: files of equal content linked (template1, template0
    /// and postgres are largely copies of each other: a third of an empty
    /// Babelfish cluster), every file read-only and readable by any user
    /// (the container may run as any uid; nothing in it is secret), synced,
    /// and the manifest written last: a directory without it is no template.
    func sealTemplate() throws {
        guard let output = templateOutput else { throw EntrypointError(.initializationFailed, "no template output directory") }
        try FileSystem.removeTree(context.path(ManagedFiles.initializationMarker))
        var directories: [String] = []
        var files: [String] = []
        try Self.listTree(context.dataDirectory, "", directories: &directories, files: &files)
        var total: Int64 = 0
        var bySize: [Int64: [String]] = [:]
        for file in files {
            let size = try FileSystem.info(context.path(file))?.size ?? 0
            total += size
            if size > 0 { bySize[size, default: []].append(file) }
        }
        var linked: Int64 = 0
        for (size, group) in bySize where group.count > 1 {
            var originals: [[UInt8]: String] = [:]
            for file in group {
                let bytes = try FileSystem.readBytes(context.path(file))
                if let original = originals[bytes] {
                    try FileSystem.removeTree(context.path(file))
                    try FileSystem.hardLink(context.path(original), at: context.path(file))
                    linked += size
                } else {
                    originals[bytes] = file
                }
            }
        }
        for file in files { try FileSystem.changePermissions(context.path(file), 0o444) }
        for directory in directories { try FileSystem.changePermissions(context.path(directory), 0o755) }
        try FileSystem.changePermissions(context.dataDirectory, 0o755)
        try FileSystem.syncFileSystem(containing: output.directory)
        let manifest = TemplateManifest(
            entrypointVersion: EntrypointVersion.current, postgresVersion: context.installation.version,
            babelfish: config.babelfishEnabled, babelfishVersion: babelfishVersion, superuser: config.superuser,
            babelfishUser: config.babelfishUser, babelfishDatabase: config.babelfishDatabase,
            migrationMode: config.migrationMode.rawValue, collation: config.collation, initdbArguments: config.initdbArguments,
            inputs: output.inputs, made: utcTimestamp(), files: files.count, bytes: total)
        try FileSystem.writeAtomically(output.directory + "/" + TemplateFiles.manifest, manifest.render(), permissions: 0o444)
        Log.info(
            "template cluster made in \(output.directory): \(files.count) files, \(megabytes(total)) MB (\(megabytes(total - linked)) MB stored: files of equal content are linked)"
        )
    }

    private func megabytes(_ bytes: Int64) -> String {
        let tenths = (bytes * 10 + 524_288) / 1_048_576
        return "\(tenths / 10).\(tenths % 10)"
    }
}
