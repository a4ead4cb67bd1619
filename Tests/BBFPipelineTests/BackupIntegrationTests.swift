import BBFArchive
import BBFPipeline
import BBFSystem
import BBFTestSupport
import Foundation
import PostgresClient
import Testing

/// Runs the real `bbf` executable.
func bbf(_ arguments: [String], environment: [String: String], in scratch: Scratch, timeoutSeconds: Int = 600) throws -> Finished {
    var full = ["PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "TMPDIR": scratch.path, "HOME": scratch.path]
    if let pathAdditions = ProcessEnvironment.current()["PATH"] { full["PATH"] = pathAdditions }
    full.merge(environment) { $1 }
    return try runProgram(TestTools.built("bbf"), arguments, environment: full, in: scratch.path, timeoutSeconds: timeoutSeconds)
}

/// A plain PostgreSQL "DEV" with a few tables in babelfish_db.
func plainDev() throws -> BootedServer {
    let server = try BootedServer(babelfish: false, extra: ["POSTGRES_DB": "babelfish_db"])
    let connection = try server.connect(database: "babelfish_db")
    try connection.executeScript(
        """
        CREATE TABLE orders (id bigserial PRIMARY KEY, customer text NOT NULL, placed timestamptz DEFAULT now());
        INSERT INTO orders (customer) SELECT 'customer ' || g FROM generate_series(1, 2500) g;
        CREATE SCHEMA sales;
        CREATE TABLE sales.items (order_id bigint REFERENCES orders(id), sku text, qty int);
        INSERT INTO sales.items SELECT g, 'sku-' || (g % 17), g % 5 FROM generate_series(1, 2500) g;
        CREATE TABLE empty_one (x int);
        CREATE ROLE app_reader LOGIN PASSWORD 'never-dumped';
        GRANT SELECT ON orders TO app_reader;
        """)
    return server
}

func withServer<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let missing as TestPrerequisite {
        try Test.cancel(Comment(rawValue: missing.reason))
    }
}

/// Servers shared by the tests of this process (started once, on first use;
/// they die with the test process).
enum Shared {
    nonisolated(unsafe) static let moto = Result { try MotoS3() }
    nonisolated(unsafe) static let plainDev = Result { try BBFPipelineTests.plainDev() }

    static func get<T>(_ result: Result<T, any Error>) throws -> T { try withServer { try result.get() } }

    /// A bucket of its own for each test.
    static func bucket(_ s3: MotoS3) throws -> String {
        let name = "dumps-\(UInt32.random(in: 0...UInt32.max))"
        try s3.makeBucket(name)
        return name
    }
}

/// One bad-input case of `bbf backup` or `bbf bake`: its name, and what the error must say.
struct BadInput: CustomTestStringConvertible, Sendable {
    var name: String
    var expected: String
    var testDescription: String { name }
}

@Suite("bbf backup against a real PostgreSQL and a real S3 API server", .serialized)
struct BackupIntegrationTests {
    @Test("A backup to a directory: one archive and its record; the manifest matches the server; the dump restores by hand")
    func backupToDirectory() throws {
        let dev = try withServer { try plainDev() }  // its own: it checks exact row counts
        let scratch = try Scratch()
        let destination = try scratch.sub("backups")
        let result = try bbf(
            ["backup", "--to", destination, "--plain-postgres", "--bin", dev.bin], environment: dev.clientEnvironment(), in: scratch)
        #expect(result.succeeded, "\(result.output)")
        let files = try FileSystem.contents(ofDirectory: destination)
        #expect(files.count == 2, "\(files)")
        let archiveName = try #require(files.first { $0.hasSuffix(".tar.gz") })
        #expect(result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == destination + "/" + archiveName)
        #expect(result.standardError.contains("count the rows in the dump's snapshot: done"))
        #expect(!result.output.contains(dev.superuserPassword), "the password must never be printed")

        let recordName = try #require(files.first { $0.hasSuffix(".manifest.json") })
        let record = try JSONDecoder().decode(
            ArchiveRecord.self, from: Data(contentsOf: URL(fileURLWithPath: destination + "/" + recordName)))
        let (digest, size) = try sha256(ofFile: destination + "/" + archiveName)
        #expect(record.sha256 == digest && record.size == size)

        let unpacked = try scratch.sub("unpacked")
        let manifest = try BackupArchive.unpack(destination + "/" + archiveName, into: unpacked)
        #expect(manifest == record.manifest)
        let connection = try dev.connect(database: "babelfish_db")
        #expect(manifest.server.versionNumber == connection.serverVersion)
        #expect(manifest.babelfish == nil)
        #expect(manifest.source.database == "babelfish_db")
        let rows = Dictionary(uniqueKeysWithValues: manifest.tables.map { ("\($0.schema).\($0.name)", $0.rows) })
        #expect(rows == ["public.orders": 2500, "sales.items": 2500, "public.empty_one": 0])
        let roles = try String(contentsOfFile: unpacked + "/roles.sql", encoding: .utf8)
        #expect(roles.contains("app_reader"))
        #expect(!roles.contains("never-dumped"), "--no-role-passwords")

        // Restore by hand (MISSION.md's commands, plain PostgreSQL flavour).
        try dev.connect().execute("CREATE DATABASE restored")
        let restore = try runProgram(
            dev.bin + "/pg_restore", ["-d", "restored", "--exit-on-error", unpacked + "/database.dump"],
            environment: dev.clientEnvironment().merging(["PATH": "/usr/bin:/bin"]) { $1 }, in: scratch.path)
        #expect(restore.succeeded, "\(restore.output)")
        let restored = try dev.connect(database: "restored")
        #expect(try restored.execute("SELECT count(*) FROM orders").scalar == "2500")
        #expect(try restored.execute("SELECT count(*) FROM sales.items").scalar == "2500")
        #expect(try FileSystem.contents(ofDirectory: scratch.path).filter { $0.hasPrefix("bbf-backup-") }.isEmpty, "work files removed")
    }

    @Test("Backups to S3 through the AWS CLI: archive + record per run, --keep 2 keeps the newest two")
    func backupToS3WithRetention() throws {
        let dev = try Shared.get(Shared.plainDev)
        let s3 = try Shared.get(Shared.moto)
        let bucket = try Shared.bucket(s3)
        let scratch = try Scratch()
        var environment = dev.clientEnvironment()
        environment.merge(s3.environment) { $1 }
        var published: [String] = []
        for _ in 0..<3 {
            // Names are per second.
            let second = Int(Date().timeIntervalSince1970)
            _ = waitUntil(seconds: 2) { Int(Date().timeIntervalSince1970) > second }
            let result = try bbf(
                ["backup", "--to", "s3://\(bucket)/daily/", "--plain-postgres", "--bin", dev.bin, "--keep", "2"], environment: environment,
                in: scratch)
            #expect(result.succeeded, "\(result.output)")
            published.append(result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let keys = try s3.keys(bucket: bucket, prefix: "daily/")
        let expected = published.suffix(2).flatMap { address -> [String] in
            let key = String(address.dropFirst("s3://\(bucket)/".count))
            return [key, key.replacingOccurrences(of: ".tar.gz", with: ".manifest.json")]
        }.sorted()
        #expect(keys == expected)
    }

    @Test("Killed between the archive upload and its record: nothing a reader would pick")
    func interruptedPublish() throws {
        let dev = try Shared.get(Shared.plainDev)
        let s3 = try Shared.get(Shared.moto)
        let bucket = try Shared.bucket(s3)
        let scratch = try Scratch()
        var environment = dev.clientEnvironment()
        environment.merge(s3.environment) { $1 }
        environment["BBF_PIPELINE_CRASH_AT"] = "publish-record"
        let result = try bbf(
            ["backup", "--to", "s3://\(bucket)/daily/", "--plain-postgres", "--bin", dev.bin], environment: environment, in: scratch)
        #expect(result.status == .signaled(SIGKILL), "\(result.output)")
        let keys = try s3.keys(bucket: bucket, prefix: "daily/")
        #expect(keys.count == 1 && keys[0].hasSuffix(".tar.gz"), "\(keys)")
        #expect(BackupCatalog(listing: keys.map { String($0.dropFirst("daily/".count)) }).newest == nil)
    }

    @Test(
        "Bad input fails with a message naming the fix, exit 1, nothing published, no temporary files",
        arguments: [
            BadInput(name: "unreachable DEV", expected: "cannot connect to database babelfish_db at 127.0.0.1 port"),
            BadInput(name: "wrong password", expected: "cannot log in to database babelfish_db"),
            BadInput(name: "missing database", expected: "Pass the Babelfish database with --database"),
            BadInput(name: "no Babelfish without --plain-postgres", expected: "has no Babelfish"),
            BadInput(name: "missing bucket", expected: "the bucket no-such-bucket does not exist"),
            BadInput(name: "no AWS credentials", expected: "no AWS credentials were found"),
            BadInput(name: "destination is not a directory", expected: "is not a directory: create it first"),
        ])
    func badInput(_ input: BadInput) throws {
        let dev = try Shared.get(Shared.plainDev)
        let s3 = try Shared.get(Shared.moto)
        let bucket = try Shared.bucket(s3)
        let scratch = try Scratch()
        let destination = try scratch.sub("backups")
        var environment = dev.clientEnvironment()
        environment.merge(s3.environment) { $1 }
        var arguments = ["backup", "--to", "s3://\(bucket)/daily/", "--plain-postgres", "--bin", dev.bin]
        switch input.name {
        case "unreachable DEV": environment["PGPORT"] = String(try Network.freeLoopbackPort())
        case "wrong password": environment["PGPASSWORD"] = "wrong"
        case "missing database": arguments += ["--database", "nope_db"]
        case "no Babelfish without --plain-postgres": arguments.removeAll { $0 == "--plain-postgres" }
        case "missing bucket": arguments[2] = "s3://no-such-bucket/daily/"
        case "no AWS credentials":
            environment["AWS_ACCESS_KEY_ID"] = ""
            environment["AWS_SECRET_ACCESS_KEY"] = ""
        case "destination is not a directory": arguments[2] = destination + "/missing"
        default: break
        }
        if input.name == "no Babelfish without --plain-postgres" {
            // The plain tools are what this machine has; point --bin at them under their bbf names.
            let fakeBin = try scratch.sub("bin")
            try FileManager.default.createSymbolicLink(atPath: fakeBin + "/bbf_dump", withDestinationPath: dev.bin + "/pg_dump")
            try FileManager.default.createSymbolicLink(atPath: fakeBin + "/bbf_dumpall", withDestinationPath: dev.bin + "/pg_dumpall")
            arguments[arguments.count - 1] = fakeBin
        }
        let result = try bbf(arguments, environment: environment.filter { !$0.value.isEmpty }, in: scratch)
        #expect(result.status == .exited(1), "\(result.output)")
        #expect(result.standardError.contains(input.expected), "\(result.standardError)")
        #expect(result.standardOutput.isEmpty)
        #expect(try s3.keys(bucket: bucket).isEmpty)
        #expect(try FileSystem.contents(ofDirectory: destination).isEmpty)
        #expect(try FileSystem.contents(ofDirectory: scratch.path).filter { $0.hasPrefix("bbf-backup-") }.isEmpty)
        #expect(!result.output.contains(dev.superuserPassword))
    }

    @Test(
        "A full disk for the dump files: a clear error naming --work-dir, nothing published",
        .enabled(if: Privileges.isRoot, "needs root to mount a small tmpfs"))
    func fullDisk() throws {
        let dev = try withServer { try plainDev() }
        try dev.connect(database: "babelfish_db").execute(
            "CREATE TABLE bulk AS SELECT g, md5(g::text) || md5((g * 7)::text) AS filler FROM generate_series(1, 60000) g")
        let scratch = try Scratch()
        let small = try scratch.sub("small")
        let mount = try Command.run("/bin/mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", small])
        guard mount.status.isSuccess else { try Test.cancel("cannot mount a tmpfs here: \(mount.standardError)") }
        defer { _ = try? Command.run("/bin/umount", [small]) }
        let destination = try scratch.sub("backups")
        let result = try bbf(
            ["backup", "--to", destination, "--plain-postgres", "--bin", dev.bin, "--work-dir", small],
            environment: dev.clientEnvironment(),
            in: scratch)
        #expect(result.status == .exited(1), "\(result.output)")
        #expect(result.standardError.contains("--work-dir"), "\(result.standardError)")
        #expect(try FileSystem.contents(ofDirectory: destination).isEmpty)
        #expect(try FileSystem.contents(ofDirectory: small).isEmpty, "the work directory is removed")
    }
}
