import BBFArchive
import BBFContainer
import BBFPipeline
import BBFSystem
import BBFTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A tiny engine stand-in pushed to the registry: one layer, the labels an
/// engine image carries. Enough for the bake's image side (it never runs).
func pushStandInEngine(to registry: LocalRegistry, postgresVersion: String, scratch: Scratch) throws -> String {
    let skopeo = try Skopeo(environment: ProcessEnvironment.current(), tlsVerify: false)
    let tree = try scratch.sub("engine-tree")
    try FileSystem.writeAtomically(tree + "/README", "stand-in engine\n", permissions: 0o644)
    let layout = try OCILayout.create(at: scratch.path + "/engine-layout")
    let layer = try ImageLayer.write(directory: tree, as: "opt/engine", uid: 0, gid: 0, mtime: 0, into: layout)
    let config = try layout.writeBlob(
        Data(
            #"{"architecture":"amd64","os":"linux","config":{"User":"999:999","Labels":{"babelfish-dev.postgresql.version":"\#(postgresVersion)"}},"rootfs":{"type":"layers","diff_ids":["\#(layer.diffID)"]}}"#
                .utf8), mediaType: OCIMediaType.config)
    let manifest = try layout.writeBlob(
        Data(
            #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(config.digest)","size":\#(config.size)},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\#(layer.descriptor.digest)","size":\#(layer.descriptor.size)}]}"#
                .utf8), mediaType: OCIMediaType.manifest)
    try layout.tag(manifest, as: "engine")
    let reference = "\(registry.host)/engine:\(postgresVersion)"
    try skopeo.copy(from: .ociLayout(path: layout.path, name: "engine"), to: .registry(reference), doing: "push the stand-in engine")
    return reference
}

/// Extracts the data layer of an image in an OCI layout into `directory`
/// (the path inside the image is dropped), owned by `owner`.
func extractDataLayer(layout: String, into directory: String, owner: UserAccount) throws {
    let oci = OCILayout(path: layout)
    let manifest =
        try JSONSerialization.jsonObject(with: try oci.readBlob(try oci.manifestDescriptor(named: "data").digest)) as? [String: Any]
    let layers = try #require(manifest?["layers"] as? [[String: Any]])
    let digest = try #require(layers.last?["digest"] as? String)
    let reader = TarReader(try GunzipSource(try FileSource(path: oci.blobPath(digest)), name: "layer"), name: "layer")
    let prefix = "var/lib/babelfish/data"
    while let entry = try reader.next() {
        guard entry.path == prefix || entry.path.hasPrefix(prefix + "/") else { continue }
        #expect(entry.uid == 999 && entry.gid == 999, "\(entry.path) is owned by the image's postgres")
        let target = directory + String(entry.path.dropFirst(prefix.count))
        switch entry.kind {
        case .directory:
            try FileSystem.createDirectory(target, permissions: mode_t(entry.mode))
            try FileSystem.changePermissions(target, mode_t(entry.mode))
        case .file:
            let sink = try FileSink(path: target, permissions: mode_t(entry.mode), syncOnFinish: false)
            try reader.readContent(into: sink)
            try sink.finish()
        case .symlink(let link):
            try FileManager.default.createSymbolicLink(atPath: target, withDestinationPath: link)
        }
        _ = chown(target, owner.uid, owner.gid)
    }
}

@Suite("bbf bake of a plain PostgreSQL backup: selection, checks, the data layer, the registry", .serialized)
struct BakeIntegrationTests {
    /// Two backups of the shared plain DEV in a directory (the second one newer).
    func twoBackups(_ scratch: Scratch, dev: BootedServer) throws -> (directory: String, newest: String) {
        let directory = try scratch.sub("backups")
        var newest = ""
        for round in 0..<2 {
            try dev.connect(database: "babelfish_db").execute("INSERT INTO orders (customer) VALUES ('round \(round)')")
            let second = Int(Date().timeIntervalSince1970)
            _ = waitUntil(seconds: 2) { Int(Date().timeIntervalSince1970) > second }
            let result = try bbf(
                ["backup", "--to", directory, "--plain-postgres", "--bin", dev.bin], environment: dev.clientEnvironment(), in: scratch)
            try #require(result.succeeded, "\(result.output)")
            newest = (result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) as NSString).lastPathComponent
        }
        return (directory, newest)
    }

    /// Two backups, a registry holding the stand-in engine of DEV's version, and
    /// a password file giving every login `Local-1`.
    func backupsAndRegistry(
        _ scratch: Scratch, dev: BootedServer
    ) throws -> (
        directory: String, newest: String, registry: LocalRegistry, version: String, base: String, passwords: String
    ) {
        let (directory, newest) = try twoBackups(scratch, dev: dev)
        let registry = try withServer { try LocalRegistry() }
        let version =
            EngineFacts.version(fromPgConfig: "PostgreSQL " + (try dev.connect().execute("SHOW server_version").scalar ?? "")) ?? ""
        let base = try pushStandInEngine(to: registry, postgresVersion: version, scratch: scratch)
        let passwords = scratch.path + "/pw"
        try FileSystem.writeAtomically(passwords, "Local-1\n")
        return (directory, newest, registry, version, base, passwords)
    }

    func bakeArguments(from: String, base: String, tags: [String], passwords: String, dev: BootedServer) -> [String] {
        [
            "bake", "--from", from, "--base-image", base, "--no-tls-verify", "--login-password-file", passwords, "--plain-postgres",
            "--bin", dev.bin,
            "--entrypoint", TestTools.built("bbf-entrypoint"),
        ]
            + tags.flatMap { ["--tag", $0] }
    }

    @Test("The newest backup is baked; the data layer boots as a cluster with the data, the local passwords and the snapshot record")
    func bakeNewestAndBootTheLayer() throws {
        let dev = try Shared.get(Shared.plainDev)
        let scratch = try Scratch()
        let (directory, newest) = try twoBackups(scratch, dev: dev)
        let passwords = scratch.path + "/pw"
        try FileSystem.writeAtomically(passwords, "app_reader=Reader-local-1\n*=pg-secret-1\n")
        let post = try scratch.sub("post")
        try FileSystem.writeAtomically(post + "/10-mask.sql", "UPDATE orders SET customer = 'masked ' || id;\n", permissions: 0o644)
        try FileSystem.writeAtomically(post + "/README.md", "not run\n", permissions: 0o644)
        let serverVersion = try dev.connect().execute("SHOW server_version").scalar ?? ""
        let version = EngineFacts.version(fromPgConfig: "PostgreSQL " + serverVersion) ?? ""
        let layout = scratch.path + "/out"
        let registry = try withServer { try LocalRegistry() }
        let base = try pushStandInEngine(to: registry, postgresVersion: version, scratch: scratch)
        let arguments =
            bakeArguments(from: directory, base: base, tags: [], passwords: passwords, dev: dev) + [
                "--oci-layout", layout, "--post-restore", post,
            ]
        let result = try bbf(arguments, environment: [:], in: scratch)
        try #require(result.succeeded, "\(result.output)")
        #expect(result.standardError.contains("backup \(newest)"), "the newest backup: \(result.standardError)")
        #expect(result.standardError.contains("ran 10-mask.sql") && result.standardError.contains("ignoring README.md"))
        #expect(result.standardError.contains("tables and") && result.standardError.contains("match the manifest"))
        #expect(!result.output.contains("Reader-local-1"))

        let owner = try #require(Privileges.account(named: "postgres") ?? Privileges.account(uid: getuid()))
        let booted = try BootedServer(babelfish: false) { data in
            try FileSystem.createDirectory(data, permissions: 0o700)
            _ = chown(data, owner.uid, owner.gid)
            try extractDataLayer(layout: layout, into: data, owner: owner)
            #expect(!FileSystem.exists(data + "/server.key") && !FileSystem.exists(data + "/server.crt"), "no TLS key in the image")
            #expect(!FileSystem.exists(data + "/postmaster.opts") && !FileSystem.exists(data + "/postmaster.pid"))
            #expect(FileSystem.exists(data + "/bbf-snapshot.json"))
        }
        #expect(FileSystem.exists(booted.dataDirectory + "/server.key"), "the developer's first boot makes its own key")
        #expect(!booted.log.contains("initialization complete"), "booted as an existing cluster: \(booted.log)")
        let connection = try booted.connect(database: "babelfish_db")
        #expect(try connection.execute("SELECT count(*) FROM orders WHERE customer NOT LIKE 'masked %'").scalar == "0")
        #expect(try connection.execute("SELECT count(*) FROM orders").scalar == "2502")
        let reader = try PostgresClientCheck.login(port: booted.port, user: "app_reader", password: "Reader-local-1")
        #expect(reader, "the restored login has its local password")
        let record = try JSONDecoder().decode(
            SnapshotRecord.self, from: Data(contentsOf: URL(fileURLWithPath: booted.dataDirectory + "/bbf-snapshot.json")))
        #expect(record.archive == newest)
    }

    @Test("--layer-compression zstd: the data layer is a zstd blob of the same tar, the image OCI; --load refuses it")
    func zstdLayer() throws {
        _ = try TestTools.require("zstd", install: "apt-get install zstd")
        let dev = try Shared.get(Shared.plainDev)
        let scratch = try Scratch()
        let (directory, _, registry, _, base, passwords) = try backupsAndRegistry(scratch, dev: dev)
        let layout = scratch.path + "/out"
        let arguments = bakeArguments(from: directory, base: base, tags: [], passwords: passwords, dev: dev)
        let result = try bbf(arguments + ["--oci-layout", layout, "--layer-compression", "zstd"], environment: [:], in: scratch)
        try #require(result.succeeded, "\(result.output)")
        #expect(result.standardError.contains("write the data layer (deterministic tar, zstd)"), "\(result.standardError)")
        let oci = OCILayout(path: layout)
        let manifest = try #require(
            try JSONSerialization.jsonObject(with: try oci.readBlob(try oci.manifestDescriptor(named: "data").digest)) as? [String: Any])
        let last = try #require((manifest["layers"] as? [[String: Any]])?.last)
        #expect(last["mediaType"] as? String == OCIMediaType.layerZstd)
        let tar = try TestTools.require("tar", install: "apt-get install tar")
        let digest = try #require(last["digest"] as? String)
        let listing = try Command.output(tar, ["--zstd", "-tf", oci.blobPath(digest)])
        #expect(listing.contains("var/lib/babelfish/data/PG_VERSION") && listing.contains("var/lib/babelfish/data/bbf-snapshot.json"))

        let load = try bbf(
            arguments + ["--tag", "\(registry.host)/dev-data:zstd", "--load", "--layer-compression", "zstd"], environment: [:], in: scratch)
        let said = load.standardError.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(load.status == .exited(64) && said.contains("--load puts the image straight into the local engine"), "\(said)")
    }

    @Test("Pushed to a registry: labels name the backup; dated before latest; a second run reports it is already baked")
    func pushAndIdempotence() throws {
        let dev = try Shared.get(Shared.plainDev)
        let scratch = try Scratch()
        let (directory, newest, registry, version, base, passwords) = try backupsAndRegistry(scratch, dev: dev)
        let tags = ["\(registry.host)/dev-data:latest", "\(registry.host)/dev-data:20261201"]
        let arguments = bakeArguments(from: directory, base: base, tags: tags, passwords: passwords, dev: dev)
        let first = try bbf(arguments, environment: [:], in: scratch)
        try #require(first.succeeded, "\(first.output)")
        let pushes = first.standardError.split(separator: "\n").filter { $0.contains(": push ") && $0.hasSuffix("...") }
        #expect(pushes.count == 2 && pushes[0].contains(":20261201") && pushes[1].contains(":latest"), "\(pushes)")
        let skopeo = try Skopeo(environment: ProcessEnvironment.current(), tlsVerify: false)
        let labels = try #require(try skopeo.labelsIfPresent(.registry(tags[0])))
        #expect(labels[SnapshotLabels.archive] == newest)
        #expect(labels["babelfish-dev.postgresql.version"] == version, "the engine's labels stay")
        #expect(labels.values.allSatisfy { !$0.contains("Local-1") })

        let second = try bbf(arguments, environment: [:], in: scratch)
        #expect(second.succeeded && second.standardOutput.hasPrefix("already baked: \(tags[0])"), "\(second.output)")
    }

    @Test(
        "Bad input fails with the fix, exit 1, and publishes nothing",
        arguments: [
            BadInput(name: "no archive under the prefix", expected: "no complete backup under"),
            BadInput(name: "missing bucket", expected: "the bucket no-such-bucket does not exist"),
            BadInput(name: "checksum mismatch", expected: "does not match its record"),
            BadInput(name: "truncated archive", expected: "is truncated"),
            BadInput(name: "dump of another version", expected: "it was dumped from PostgreSQL 9.6"),
            BadInput(name: "a registry that refuses the push", expected: "cannot push"),
            BadInput(name: "a login without a password", expected: "has no password for app_reader"),
            BadInput(name: "a failing post-restore script", expected: "the post-restore script 20-broken.sql failed"),
            BadInput(name: "zstd layers without the zstd program", expected: "--layer-compression zstd needs the zstd program"),
        ])
    func badInput(_ input: BadInput) throws {
        let dev = try Shared.get(Shared.plainDev)
        let s3 = try Shared.get(Shared.moto)
        let bucket = try Shared.bucket(s3)
        let scratch = try Scratch()
        var environment = dev.clientEnvironment()
        environment.merge(s3.environment) { $1 }
        let backup = try bbf(
            ["backup", "--to", "s3://\(bucket)/dev/", "--plain-postgres", "--bin", dev.bin], environment: environment, in: scratch)
        try #require(backup.succeeded, "\(backup.output)")
        let address = backup.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        let name = (address as NSString).lastPathComponent
        let registry = try withServer { try LocalRegistry(readOnly: input.name == "a registry that refuses the push") }
        let version =
            EngineFacts.version(fromPgConfig: "PostgreSQL " + (try dev.connect().execute("SHOW server_version").scalar ?? "")) ?? ""
        let base = try withServer { try LocalRegistry() }
        let baseReference = try pushStandInEngine(to: base, postgresVersion: version, scratch: scratch)
        let passwords = scratch.path + "/pw"
        try FileSystem.writeAtomically(passwords, "Local-1\n")
        let tag = "\(registry.host)/dev-data:latest"
        var arguments = bakeArguments(from: "s3://\(bucket)/dev/", base: baseReference, tags: [tag], passwords: passwords, dev: dev)
        let local = try scratch.sub("local")
        var runEnvironment = s3.environment
        switch input.name {
        case "no archive under the prefix": arguments[2] = "s3://\(bucket)/empty/"
        case "missing bucket": arguments[2] = "s3://no-such-bucket/dev/"
        case "checksum mismatch", "truncated archive", "dump of another version":
            _ = try s3.aws(["s3", "cp", "--recursive", "s3://\(bucket)/dev/", local])
            let archive = local + "/" + name
            var bytes = try FileSystem.readBytes(archive)
            if input.name == "checksum mismatch" {
                bytes[bytes.count / 2] ^= 0xff
                try FileSystem.writeAtomically(archive, bytes)
            } else if input.name == "truncated archive" {
                try FileSystem.writeAtomically(archive, Array(bytes.prefix(bytes.count * 2 / 3)))
                try FileSystem.removeTree(local + "/" + name.replacingOccurrences(of: ".tar.gz", with: ".manifest.json"))
                arguments[2] = archive
            } else {
                let recordPath = local + "/" + name.replacingOccurrences(of: ".tar.gz", with: ".manifest.json")
                let record = try FileSystem.readText(recordPath).replacingOccurrences(
                    of: "\"version\" : \"\(version)\"", with: "\"version\" : \"9.6\"")
                try FileSystem.writeAtomically(recordPath, record)
            }
            if input.name != "truncated archive" { arguments[2] = local }
        case "a login without a password":
            try FileSystem.writeAtomically(passwords, "postgres=Pg-1\n")
        case "a failing post-restore script":
            let post = try scratch.sub("post")
            try FileSystem.writeAtomically(post + "/20-broken.sql", "UPDATE no_such_table SET x = 1;\n", permissions: 0o644)
            arguments += ["--post-restore", post]
        case "zstd layers without the zstd program":
            // Only skopeo on PATH (the backup is local, the tools are given): zstd is missing.
            _ = try s3.aws(["s3", "cp", "--recursive", "s3://\(bucket)/dev/", local])
            arguments[2] = local
            arguments += ["--layer-compression", "zstd"]
            let tools = try scratch.sub("tools")
            try FileManager.default.createSymbolicLink(
                atPath: tools + "/skopeo", withDestinationPath: try TestTools.require("skopeo", install: "apt-get install skopeo"))
            runEnvironment["PATH"] = tools
        default: break
        }
        let result = try bbf(arguments, environment: runEnvironment, in: scratch)
        #expect(result.status == .exited(1), "\(result.output)")
        #expect(result.standardError.contains(input.expected), "\(result.standardError)")
        let skopeo = try Skopeo(environment: ProcessEnvironment.current(), tlsVerify: false)
        #expect(try skopeo.labelsIfPresent(.registry(tag)) == nil, "nothing was pushed")
        #expect(
            try FileSystem.contents(ofDirectory: scratch.path).filter { $0.hasPrefix("bbf-bake-") }.isEmpty, "the work directory is removed"
        )
    }
}

/// A TCP login check with libpq.
enum PostgresClientCheck {
    static func login(port: Int, user: String, password: String) throws -> Bool {
        let result = try runProgram(
            TestTools.postgresBin.map { $0 + "/psql" } ?? "psql", ["-X", "-At", "-c", "SELECT current_user"],
            environment: [
                "PGHOST": "127.0.0.1", "PGPORT": String(port), "PGUSER": user, "PGPASSWORD": password, "PGDATABASE": "babelfish_db",
                "PATH": "/usr/bin:/bin",
            ], in: "/tmp")
        return result.succeeded && result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == user
    }
}
