import BBFContainer
import BBFImage
import BBFPipeline
import BBFProcess
import Foundation
import PostgresClient
import TDSClient

// bbf-pipeline-bench: the bake's restore against the plain sequence existing
// scripts use, side by side in one run, on a generated DEV of real size.
//   1. a Babelfish DEV with several T-SQL tables (IDENTITY, datetime, nvarchar,
//      money, indexes, foreign keys), filled to --size-mb of table data
//   2. bbf backup
//   3. the plain sequence: a default-configured fresh cluster, psql roles,
//      serial pg_restore, CHECKPOINT, sync (durable on disk)
//   4. bbf bake with -j for each --jobs value: initialize → restore → verify →
//      clean shutdown, then sync (durable on disk), and its data layer
//   5. sizes: the as-restored directory, gzip -1 of it, the data layer; ratios
//   6. with --engine-image REF (an image in the local Docker engine, e.g.
//      babelfish-dev:4.2): what a developer waits for. The engine image is put in
//      a loopback docker-registry with docker push beforehand (yesterday's state);
//      each bake then goes on it and pushes; then docker pull of the snapshot,
//      the volume copy of a new named volume, and the first TDS answer and
//      `healthy` of `docker run` with a new volume.
//
// Usage: bbf-pipeline-bench --babelfish-home PREFIX [--size-mb N] [--jobs 1,2,4] [--work-dir DIR] [--keep]
//                           [--engine-image REF [--docker PATH]]

struct Options {
    var home = ""
    var sizeMB = 1000
    var jobs = [1, 2, 4]
    var work = "/tmp"
    var keep = false
    var engineImage: String?
    var docker = "/usr/bin/docker"
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("bbf-pipeline-bench: \(message)\n".utf8))
    exit(1)
}

let usage =
    "usage: bbf-pipeline-bench --babelfish-home PREFIX [--size-mb N] [--jobs 1,2,4] [--work-dir DIR] [--keep] [--engine-image REF [--docker PATH]]"

func parse() -> Options {
    var options = Options()
    var arguments = Array(CommandLine.arguments.dropFirst())[...]
    while let flag = arguments.popFirst() {
        if flag == "--keep" {
            options.keep = true
            continue
        }
        if flag == "--help" || flag == "-h" {
            print(usage)
            exit(0)
        }
        guard let value = arguments.popFirst() else { fail("\(flag) needs a value") }
        switch flag {
        case "--babelfish-home": options.home = value
        case "--size-mb": options.sizeMB = Int(value) ?? 0
        case "--jobs": options.jobs = value.split(separator: ",").compactMap { Int($0) }
        case "--work-dir": options.work = value
        case "--engine-image": options.engineImage = value
        case "--docker": options.docker = value
        default: fail("unknown option \(flag)\n\(usage)")
        }
    }
    guard !options.home.isEmpty else { fail(usage) }
    guard FileManager.default.isExecutableFile(atPath: options.home + "/bin/bbf_dump") else {
        fail("--babelfish-home \(options.home) has no bin/bbf_dump: give a Babelfish build with the dump tools")
    }
    guard options.sizeMB > 0, !options.jobs.isEmpty else { fail("--size-mb and --jobs must be positive") }
    if options.engineImage != nil {
        for tool in [options.docker, "/usr/bin/skopeo", "/usr/bin/docker-registry"]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            fail("--engine-image needs \(tool) (apt-get install docker.io skopeo docker-registry; --docker PATH for another client)")
        }
    }
    return options
}

let options = parse()
let here = (CommandLine.arguments[0] as NSString).deletingLastPathComponent
let bbf = here + "/bbf"
let entrypoint = here + "/bbf-entrypoint"
for tool in [bbf, entrypoint] where !FileManager.default.isExecutableFile(atPath: tool) {
    fail("\(tool) is missing: swift build -c release first")
}
let bin = options.home + "/bin"
let work = options.work + "/bbf-pipeline-bench-\(getpid())"
try? FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
_ = chmod(work, 0o711)
let log = PipelineLog(command: "bench", quiet: true)
defer { if !options.keep { try? FileManager.default.removeItem(atPath: work) } }

func now() -> Double { Date().timeIntervalSince1970 }
func sync() { _ = try? ToolProcess.run("/bin/sync", []) }
func seconds(_ value: Double) -> String { String(format: "%.1f s", value) }
func megabytes(_ bytes: Double) -> String { String(format: "%.0f MB", bytes / 1_000_000) }
func size(of path: String) -> Double {
    let result = try? ToolProcess.run("/usr/bin/du", ["-sb", path])
    return Double(result?.output.split(separator: "\t").first ?? "0") ?? 0
}

func server(_ name: String, settings: [(String, String)] = [], loopback: Bool = false) -> EntrypointServer {
    do {
        return try EntrypointServer(
            .init(
                entrypoint: entrypoint, binDirectory: bin, dataDirectory: work + "/" + name, socketDirectory: work + "/sock-" + name,
                logPath: work + "/" + name + ".log",
                variables: ["POSTGRES_PASSWORD": "Bench-pg-1", "BABELFISH_PASSWORD": "Bench-bbf-1", "BBF_INIT_DURABILITY": "strict"],
                settings: settings, loopback: loopback), log: log)
    } catch {
        fail("cannot start \(name): \(error)")
    }
}

func sql(_ server: EntrypointServer, _ text: String) {
    do {
        try server.connect(database: "babelfish_db").executeScript(text)
    } catch {
        fail("\(error)\n\(text.prefix(300))")
    }
}

// 1. DEV.
print(
    "bbf-pipeline-bench: DEV of ~\(options.sizeMB) MB table data, jobs \(options.jobs.map(String.init).joined(separator: "/")), \(ProcessInfo.processInfo.activeProcessorCount) cores"
)
let dev = server("dev", settings: [("fsync", "off"), ("synchronous_commit", "off")], loopback: true)
do {
    let tds = try TDSConnection(host: "127.0.0.1", port: dev.tdsPort, user: "babelfish_user", password: "Bench-bbf-1", application: "bench")
    for batch in [
        "CREATE DATABASE sales", "USE sales",
        "CREATE TABLE dbo.customers (id INT IDENTITY(1,1) PRIMARY KEY, name NVARCHAR(100) NOT NULL, email VARCHAR(200), created DATETIME NOT NULL)",
        "CREATE TABLE dbo.orders (id BIGINT IDENTITY(1,1) PRIMARY KEY, customer_id INT NOT NULL REFERENCES dbo.customers(id), placed DATETIME NOT NULL, amount DECIMAL(12,2), status VARCHAR(20))",
        "CREATE TABLE dbo.order_lines (id BIGINT IDENTITY(1,1) PRIMARY KEY, order_id BIGINT NOT NULL REFERENCES dbo.orders(id), sku VARCHAR(30), qty INT, price MONEY, shipped DATETIME2)",
        "CREATE INDEX orders_customer ON dbo.orders (customer_id)", "CREATE INDEX lines_order ON dbo.order_lines (order_id)",
        "CREATE INDEX orders_placed ON dbo.orders (placed)",
        "CREATE LOGIN app_login WITH PASSWORD = 'App-bench-1'", "CREATE USER app_user FOR LOGIN app_login",
    ] { try tds.execute(batch) }
} catch {
    fail("cannot create DEV's objects over TDS: \(error)")
}
let lines = options.sizeMB * 5_500
let generateStarted = now()
sql(
    dev,
    """
    INSERT INTO sales_dbo.customers (name, email, created)
      SELECT 'Customer ' || g || ' Zoë', 'c' || g || '@example.com', ('2015-01-01'::timestamp + g * interval '17 minutes')::sys.datetime
      FROM generate_series(1, \(lines / 20)) g;
    INSERT INTO sales_dbo.orders (customer_id, placed, amount, status)
      SELECT 1 + g % \(lines / 20), ('2018-01-01'::timestamp + g * interval '3 minutes')::sys.datetime, (g % 100000) / 100.0,
             (ARRAY['new','paid','shipped','returned'])[1 + g % 4]
      FROM generate_series(1, \(lines / 2)) g;
    INSERT INTO sales_dbo.order_lines (order_id, sku, qty, price, shipped)
      SELECT 1 + g % \(lines / 2), 'SKU-' || (g % 5000), 1 + g % 9, ((g % 2000) / 10.0)::numeric::sys.money,
             '2019-01-01'::timestamp + g * interval '1 minute'
      FROM generate_series(1, \(lines)) g;
    ANALYZE;
    """)
let tableBytes =
    (try? dev.connect(database: "babelfish_db").execute(
        "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'sales_dbo' AND c.relkind = 'r'"
    ).scalar)?.flatMap { Double($0) } ?? 0
print(
    "  DEV generated in \(seconds(now() - generateStarted)): \(megabytes(tableBytes)) in tables and indexes, \(lines + lines / 2 + lines / 20) rows"
)

// 2. The backup.
let backups = work + "/backups"
try? FileManager.default.createDirectory(atPath: backups, withIntermediateDirectories: true)
var backupEnvironment = ProcessInfo.processInfo.environment
backupEnvironment.merge(dev.clientEnvironment) { $1 }
backupEnvironment["PGPASSWORD"] = "Bench-pg-1"
let backupStarted = now()
guard
    let backup = try? ToolProcess.run(
        bbf, ["backup", "--to", backups, "--bin", bin, "--work-dir", work, "--quiet"], environment: backupEnvironment),
    backup.succeeded
else { fail("bbf backup failed") }
let archive = backup.output.trimmingCharacters(in: .whitespacesAndNewlines)
print("  bbf backup: \(seconds(now() - backupStarted)), archive \(megabytes(size(of: archive)))")
try? dev.stop()
try? FileManager.default.removeItem(atPath: work + "/dev")

// 3. The plain sequence.
let unpacked = work + "/unpacked"
try? FileManager.default.createDirectory(atPath: unpacked, withIntermediateDirectories: true)
_ = try? ToolProcess.run("/bin/tar", ["-xzf", archive, "-C", unpacked])
_ = try? Restorer.prepareRoles(at: unpacked + "/roles.sql", log: log)
let plainStarted = now()
let plain = server("plain")
var plainEnvironment = plain.clientEnvironment
plainEnvironment["PGDATABASE"] = "babelfish_db"
guard
    let roles = try? ToolProcess.run(
        bin + "/psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", unpacked + "/roles.sql"],
        environment: plainEnvironment),
    roles.succeeded
else { fail("the plain sequence's roles restore failed") }
guard
    let restore = try? ToolProcess.run(
        bin + "/pg_restore", ["-d", "babelfish_db", unpacked + "/database.dump"], environment: plainEnvironment),
    restore.succeeded
else { fail("the plain sequence's pg_restore failed") }
sql(plain, "CHECKPOINT")
sync()
let plainSeconds = now() - plainStarted
try? plain.stop()
let restoredBytes = size(of: work + "/plain")
let gzipStarted = now()
let gzipped = (try? ToolProcess.run("/bin/sh", ["-c", "tar -C '\(work)/plain' -cf - . | gzip -1 | wc -c"]))?.output ?? "0"
let gzipBytes = Double(gzipped.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
let gzipSeconds = now() - gzipStarted
try? FileManager.default.removeItem(atPath: work + "/plain")
print("  plain sequence (serial pg_restore, default settings, to durable): \(seconds(plainSeconds))")
print("  as restored: \(megabytes(restoredBytes)), gzip -1 \(megabytes(gzipBytes)) (\(seconds(gzipSeconds)))")

// 4. The bake, per job count: onto the engine image in a loopback registry, pushed
// there (--engine-image), else onto a one-file stand-in base written to an OCI layout.
var developer: DeveloperSide?
if let engineImage = options.engineImage {
    do {
        let started = now()
        developer = try DeveloperSide(engineImage: engineImage, docker: options.docker)
        print("  engine image \(engineImage) pushed to the loopback registry with docker push (setup, \(seconds(now() - started)))")
    } catch {
        fail("cannot set up the developer side: \(error)")
    }
}
defer { developer?.stop() }
do {
    let layout = try OCILayout.create(at: work + "/base")
    try? FileManager.default.createDirectory(atPath: work + "/base-tree", withIntermediateDirectories: true)
    try "stand-in\n".write(toFile: work + "/base-tree/README", atomically: true, encoding: .utf8)
    let layer = try ImageLayer.write(directory: work + "/base-tree", as: "opt/base", uid: 0, gid: 0, mtime: 0, into: layout)
    let config = try layout.writeBlob(
        Data(#"{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["\#(layer.diffID)"]}}"#.utf8),
        mediaType: OCIMediaType.config)
    let manifest = try layout.writeBlob(
        Data(
            #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(config.digest)","size":\#(config.size)},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\#(layer.descriptor.digest)","size":\#(layer.descriptor.size)}]}"#
                .utf8), mediaType: OCIMediaType.manifest)
    try layout.tag(manifest, as: "base")
} catch {
    fail("cannot make the stand-in base image: \(error)")
}
let passwords = work + "/passwords"
try? "*=Bench-local-1\n".write(toFile: passwords, atomically: true, encoding: .utf8)
func figure(_ text: String, after marker: String) -> Double? {
    guard let line = text.split(separator: "\n").first(where: { $0.contains(marker) && $0.contains("done in") }),
        let range = line.range(of: "done in ")
    else { return nil }
    // PipelineLog.duration: "4.21 s", "73.5 s" or "3 min 9 s".
    let rest = line[range.upperBound...].split(separator: " ")
    guard let value = Double(rest.first ?? "") else { return nil }
    guard rest.count >= 4, rest[1] == "min", let extra = Double(rest[2]) else { return value }
    return value * 60 + extra
}
/// The data layer's digest in a bake's OCI layout (the last layer of its "data" image).
func layerDigest(in layout: String) -> String? {
    let oci = OCILayout(path: layout)
    guard let descriptor = try? oci.manifestDescriptor(named: "data"), let data = try? oci.readBlob(descriptor.digest),
        let manifest = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
        let layers = manifest["layers"] as? [[String: Any]]
    else { return nil }
    return layers.last?["digest"] as? String
}
var zstdLayerBytes: Double?

/// The bake's steps that make up its restore to durable (the figure set against the plain sequence).
let restoreSteps = [
    "initialize a fresh cluster", "restore the roles", "restore the data", "verify databases", "set the local passwords", "ANALYZE",
    "CHECKPOINT, clean shutdown",
]
var rows: [(jobs: Int, restore: Double, total: Double, layer: Double, data: Double, push: Double?, steps: [Double])] = []
for jobs in options.jobs {
    let out = work + "/layout-\(jobs)"
    let started = now()
    let target =
        developer.map {
            ["--base-image", "docker://" + $0.engineBase, "--tag", "\($0.registry)/bench-data:j\(jobs)", "--no-tls-verify", "--force"]
        } ?? ["--base-image", "oci:\(work)/base:base", "--oci-layout", out]
    let bake: ToolResult
    do {
        bake = try ToolProcess.run(
            bbf,
            ["bake", "--from", backups] + target + [
                "--login-password-file", passwords, "--bin", bin, "--entrypoint", entrypoint, "--jobs", String(jobs), "--work-dir", work,
            ])
    } catch {
        fail("cannot run bbf bake: \(error)")
    }
    guard bake.succeeded else {
        fail(
            "bbf bake -j \(jobs) failed (\(bake.statusDescription)):\n\(bake.standardError.split(separator: "\n").suffix(15).joined(separator: "\n"))"
        )
    }
    sync()
    let text = bake.standardError
    let steps = restoreSteps.map { figure(text, after: $0) ?? 0 }
    let restore = steps.reduce(0, +)
    let layer = text.split(separator: "\n").first { $0.contains("data layer sha256:") }.flatMap { line -> Double? in
        guard let range = line.range(of: ": ", options: .backwards) else { return nil }
        let words = line[range.upperBound...].split(separator: " ")
        guard let value = Double(words.first ?? "") else { return nil }
        return value * (words.dropFirst().first == "GB" ? 1e9 : words.dropFirst().first == "KB" ? 1e3 : 1e6)
    }
    let data = text.split(separator: "\n").first { $0.contains("data directory: ") }.flatMap { line -> Double? in
        let words = line.split(separator: " ")
        guard let index = words.firstIndex(of: "directory:"), index + 2 < words.count, let value = Double(words[index + 1]) else {
            return nil
        }
        return value * (words[index + 2] == "GB" ? 1e9 : 1e6)
    }
    rows.append(
        (jobs, restore, now() - started, layer ?? 0, data ?? 0, developer.flatMap { figure(text, after: "push \($0.registry)/") }, steps))
    // The same layer as zstd (what --layer-compression zstd writes: level 3, one thread), once.
    if zstdLayerBytes == nil, developer == nil, let digest = layerDigest(in: out) {
        let blob = out + "/blobs/sha256/" + digest.dropFirst("sha256:".count)
        let measured = try? ToolProcess.run("/bin/sh", ["-c", "gzip -dc '\(blob)' | zstd -q -3 -T1 -c | wc -c"])
        zstdLayerBytes = measured.flatMap { Double($0.output.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
    try? FileManager.default.removeItem(atPath: out)
}

// 5. Side by side.
print("")
print("  restore to durable           seconds   vs plain")
print("  plain sequence (serial)      \(String(format: "%7.1f", plainSeconds))     1.00x")
for row in rows {
    print(
        "  bbf bake -j \(row.jobs)                \(String(format: "%7.1f", row.restore))     \(String(format: "%.2fx", row.restore / plainSeconds))"
    )
}
print("")
print("  where the bake's restore goes    " + rows.map { String(format: "   -j %-3d", $0.jobs) }.joined())
for (index, step) in restoreSteps.enumerated() {
    print("  " + step.padding(toLength: 32, withPad: " ", startingAt: 0) + rows.map { String(format: "%8.1f s", $0.steps[index]) }.joined())
}
if let best = rows.first(where: { $0.layer > 0 }) {
    print("")
    print(
        "  sizes: as restored \(megabytes(restoredBytes)), gzip -1 \(megabytes(gzipBytes)); shipped data directory \(megabytes(best.data)), data layer \(megabytes(best.layer))"
    )
    print("  data layer / as-restored gzip: \(String(format: "%.2fx", best.layer / max(gzipBytes, 1)))")
    if let zstdLayerBytes {
        print(
            "  the same layer as zstd -3: \(megabytes(zstdLayerBytes)) (\(String(format: "%.2fx", zstdLayerBytes / max(best.layer, 1))) of the gzip layer, \(String(format: "%.2fx", zstdLayerBytes / max(gzipBytes, 1))) of the as-restored gzip)"
        )
    }
}

// 6. What a developer waits for.
if let developer, let best = rows.min(by: { $0.restore < $1.restore }) {
    do {
        let figures = try developer.measure(
            image: "bench-data:j\(best.jobs)", login: "babelfish_user", password: "Bench-local-1", dataDirectory: ImageFacts.dataDirectory)
        print("")
        print("  developer side (snapshot of bbf bake -j \(best.jobs); engine layers already in the registry and the engine)")
        for row in rows { print("  bbf bake -j \(row.jobs) push (data layer, config, manifest): \(row.push.map(seconds) ?? "?")") }
        print(
            "  docker pull: \(seconds(figures.pull)); layers downloaded \(figures.layersPulled), already present \(figures.layersPresent); \(megabytes(figures.pulledBytes)) compressed beyond the engine image"
        )
        print(
            "  volume copy: docker run --rm /bin/true with a new volume \(seconds(figures.volumeCopy)), on the engine image (nothing to copy) \(seconds(figures.emptyRun)): the copy ≈ \(seconds(max(0, figures.volumeCopy - figures.emptyRun)))"
        )
        print(
            "  docker run with a new volume: first TDS answer \(seconds(figures.firstAnswer)), healthy \(figures.healthy.map(seconds) ?? "not within 180 s")"
        )
        let total = figures.pull + figures.firstAnswer
        print(
            "  developer total (pull + run to first answer): \(seconds(total)); the plain restore of the backup: \(seconds(plainSeconds)) (\(String(format: "%.2fx", total / plainSeconds)))"
        )
    } catch {
        fail("the developer side failed: \(error)")
    }
}
