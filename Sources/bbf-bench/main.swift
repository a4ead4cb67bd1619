import BBFEntrypoint
import BBFSystem

#if canImport(Glibc)
    import Glibc
#endif

// bbf-bench: figures and ratios for bbf-entrypoint, side by side in one run.
//   1. process start -> exec of postgres on an initialized data directory
//   2. first-boot phases, relaxed vs strict durability (3: with Babelfish)
//   3a. a Babelfish first boot: full initialization, template copy and the
//      anchor's sequence (docker-babelfishpg's start.sh steps), with ratios
//   4. health check latency, binary size
//   5. the TLS certificate: in-process generation (first boot), the checks of
//      a later boot, and the openssl shell-out it replaces
//   6. with --image: the image in a container engine, run to the first TDS
//      answer and to healthy, with and without a health start interval;
//      --image more than once puts the images side by side
//
// Usage: bbf-bench [--postgres-bin DIR] [--babelfish-home DIR] [--runs N] [--boots N]
//                  [--image REF ... [--engine PATH] [--image-only]]

struct Options {
    var postgresBin: String?
    var babelfishHome: String?
    var runs = 200
    var boots = 3
    var images: [String] = []
    var engine: String?
    var imageOnly = false
}

let usage =
    "usage: bbf-bench [--postgres-bin DIR] [--babelfish-home PREFIX] [--runs N] [--boots N] [--image REF ... [--engine PATH] [--image-only]]"

func parseOptions() -> Options {
    var options = Options()
    var arguments = Array(CommandLine.arguments.dropFirst())[...]
    func count(_ flag: String, _ text: String) -> Int {
        guard let number = Int(text), number > 0 else {
            print("bbf-bench: \(flag) \(text) is not a positive number\n\(usage)")
            exit(2)
        }
        return number
    }
    while let flag = arguments.popFirst() {
        if flag == "--image-only" {
            options.imageOnly = true
            continue
        }
        let value = arguments.popFirst()
        switch (flag, value) {
        case ("--postgres-bin", let v?): options.postgresBin = v
        case ("--babelfish-home", let v?): options.babelfishHome = v
        case ("--runs", let v?): options.runs = count(flag, v)
        case ("--boots", let v?): options.boots = count(flag, v)
        case ("--image", let v?): options.images.append(v)
        case ("--engine", let v?): options.engine = v
        default:
            print(usage)
            exit(2)
        }
    }
    if options.images.isEmpty && (options.imageOnly || options.engine != nil) {
        print("bbf-bench: --image-only and --engine need --image REF\n\(usage)")
        exit(2)
    }
    return options
}

/// What must go when the benchmark ends, also when it fails half-way: the
/// server it started and the scratch directory (first boots leave about
/// 40 MB each there).
@MainActor
enum Cleanup {
    static var scratch: String?
    static var server: ChildProcess?

    static func run() {
        stopServer()
        if let scratch { try? FileSystem.removeTree(scratch) }
        scratch = nil
    }

    static func stopServer() {
        if let server, server.poll() == nil {
            server.send(SIGINT)
            if server.wait(timeoutMilliseconds: 30_000) == nil {
                server.send(SIGKILL)
                server.wait()
            }
        }
        server = nil
    }
}

@MainActor
func fail(_ message: String) -> Never {
    Cleanup.run()
    print("bbf-bench: \(message)")
    exit(1)
}

/// A PostgreSQL bin directory, checked before any long section runs.
@MainActor
func installation(bin: String, babelfish: Bool, option: String) -> PostgresInstallation {
    guard FileSystem.isExecutable(bin + "/postgres") else { fail("\(option): no executable \(bin)/postgres") }
    let found: PostgresInstallation
    do {
        found = try PostgresInstallation.locate(path: bin)
    } catch {
        fail("\(option): \(error)")
    }
    if babelfish {
        let missing = found.missingBabelfishFiles()
        guard missing.isEmpty, found.shareDirectory != nil else {
            fail(
                "\(option): the PostgreSQL \(found.version) in \(bin) has no Babelfish (\(missing.isEmpty ? "no pg_config to find its extensions" : missing.joined(separator: ", ") + " not found"))"
            )
        }
    }
    return found
}

let options = parseOptions()
if options.imageOnly, !options.images.isEmpty {
    containerStart(images: options.images, engineOption: options.engine, boots: options.boots)
    exit(0)
}
let entrypoint = FileSystem.builtExecutable(named: "bbf-entrypoint")
guard FileSystem.exists(entrypoint) else { fail("no \(entrypoint): build it first (swift build -c release --static-swift-stdlib)") }
let plainBin: String =
    options.postgresBin
    ?? {
        for major in (12...20).reversed() where FileSystem.exists("/usr/lib/postgresql/\(major)/bin/postgres") {
            return "/usr/lib/postgresql/\(major)/bin"
        }
        fail("no PostgreSQL found: pass --postgres-bin DIR")
    }()
_ = installation(bin: plainBin, babelfish: false, option: "--postgres-bin")
if let home = options.babelfishHome {
    _ = installation(bin: home + "/bin", babelfish: true, option: "--babelfish-home \(home)")
}

// MARK: a scratch area the postgres user can use when this runs as root

let scratch: String = {
    guard let directory = try? FileSystem.makeTemporaryDirectory(prefix: "bbf-bench-") else { fail("cannot create a directory in /tmp") }
    try? FileSystem.changePermissions(directory, 0o755)
    return directory
}()
Cleanup.scratch = scratch

var directoryCounter = 0
@MainActor
func freshDirectory() -> String {
    directoryCounter += 1
    let path = "\(scratch)/d\(directoryCounter)"
    try? FileSystem.createDirectory(path, permissions: 0o755)
    return path
}

func baseEnvironment(bin: String, root: String, babelfish: Bool) -> [String: String] {
    [
        "PATH": "\(bin):/usr/bin:/bin", "PGDATA": root + "/data", "POSTGRES_SOCKET_DIR": root + "/sock",
        "BABELFISH_INITDB_DIR": root + "/init", "POSTGRES_PASSWORD": "bench-pw", "BABELFISH_PASSWORD": "Bench-pw-2",
        "BABELFISH_ENABLED": babelfish ? "true" : "false", "BABELFISH_TDS_PORT": String((try? Network.freeLoopbackPort()) ?? 41433),
        "LANG": "C.UTF-8",
    ]
}

/// Runs a command to completion with its output discarded; returns milliseconds.
@MainActor
func timedRun(_ executable: String, _ arguments: [String], environment: [String: String]) -> (Double, TerminationStatus) {
    let start = Instant.now()
    guard
        let child = try? ChildProcess.spawn(
            executable: executable, arguments: arguments, environment: environment, stdin: .null, stdout: .null, stderr: .null)
    else { fail("cannot start \(executable)") }
    let status = child.wait()
    return (start.millisecondsElapsed(), status)
}

struct Stats {
    var samples: [Double]
    var median: Double { percentile(0.5) }
    var p90: Double { percentile(0.9) }
    var mean: Double { samples.reduce(0, +) / Double(max(samples.count, 1)) }
    func percentile(_ p: Double) -> Double {
        let sorted = samples.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p + 0.5))]
    }
}

func format(_ value: Double, _ digits: Int = 2) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = String(rounded)
    if let dot = text.firstIndex(of: ".") {
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
    } else if digits > 0 {
        text += "." + String(repeating: "0", count: digits)
    }
    return text
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

// MARK: 1. process start -> exec of postgres, initialized directory

print("bbf-bench: \(entrypoint)")
if let info = try? FileSystem.info(entrypoint) {
    print("binary size: \(format(Double(info.size) / 1_048_576, 1)) MiB (\(info.size) bytes)")
}
print("PostgreSQL: \(plainBin)\(options.babelfishHome.map { ", Babelfish: \($0)" } ?? "")")
print("")

let bootRoot = freshDirectory()
var bootEnvironment = baseEnvironment(bin: plainBin, root: bootRoot, babelfish: false)
let (initMs, initStatus) = timedRun(entrypoint, ["postgres", "-C", "data_directory"], environment: bootEnvironment)
guard initStatus.isSuccess else { fail("the initializing run failed (\(initStatus)); run it by hand to see why") }

// A bin directory whose postgres is /bin/true (pg_config stays real), so the
// exec target costs next to nothing and is measured separately.
let fakeBin = scratch + "/fake-bin"
try? FileSystem.createDirectory(fakeBin, permissions: 0o755)
_ = symlink("/bin/true", fakeBin + "/postgres")
_ = symlink(plainBin + "/pg_config", fakeBin + "/pg_config")
var fastPath = bootEnvironment
fastPath["PATH"] = "\(fakeBin):/usr/bin:/bin"
fastPath["POSTGRES_PASSWORD"] = nil
fastPath["BABELFISH_PASSWORD"] = nil

// A second initialized directory with BABELFISH_TLS=off, booted in turn with
// the first: the difference is what looking at server.crt costs a later boot.
let bootRootWithoutTLS = freshDirectory()
var withoutTLSEnvironment = baseEnvironment(bin: plainBin, root: bootRootWithoutTLS, babelfish: false)
withoutTLSEnvironment["BABELFISH_TLS"] = "off"
guard timedRun(entrypoint, ["postgres", "-C", "data_directory"], environment: withoutTLSEnvironment).1.isSuccess else {
    fail("the initializing run with BABELFISH_TLS=off failed")
}
var fastPathWithoutTLS = withoutTLSEnvironment
fastPathWithoutTLS["PATH"] = fastPath["PATH"]
fastPathWithoutTLS["POSTGRES_PASSWORD"] = nil
fastPathWithoutTLS["BABELFISH_PASSWORD"] = nil

var toExec: [Double] = []
var toExecWithoutTLS: [Double] = []
var trueAlone: [Double] = []
var realPostgres: [Double] = []
var realThroughEntrypoint: [Double] = []
for _ in 0..<options.runs {
    let (a, statusA) = timedRun(entrypoint, ["postgres"], environment: fastPath)
    guard statusA.isSuccess else { fail("boot path failed: \(statusA)") }
    toExec.append(a)
    trueAlone.append(timedRun("/bin/true", [], environment: fastPath).0)
    let (b, statusB) = timedRun(entrypoint, ["postgres"], environment: fastPathWithoutTLS)
    guard statusB.isSuccess else { fail("boot path without TLS failed: \(statusB)") }
    toExecWithoutTLS.append(b)
}
let realRuns = max(20, options.runs / 5)
for _ in 0..<realRuns {
    realThroughEntrypoint.append(timedRun(entrypoint, ["postgres", "-C", "data_directory"], environment: bootEnvironment).0)
    realPostgres.append(
        timedRun(plainBin + "/postgres", ["-D", bootRoot + "/data", "-C", "data_directory"], environment: bootEnvironment).0)
}
let execStats = Stats(samples: toExec)
let trueStats = Stats(samples: trueAlone)
let overhead = execStats.median - trueStats.median
let withoutTLSStats = Stats(samples: toExecWithoutTLS)
print("1. Boot of an initialized directory: process start -> exec of postgres (\(options.runs) runs)")
print("   entrypoint + /bin/true as postgres   median \(format(execStats.median)) ms   p90 \(format(execStats.p90)) ms")
print("   /bin/true alone                      median \(format(trueStats.median)) ms")
print(
    "   => entrypoint start to exec          \(format(overhead)) ms   (target < 20 ms: \(overhead < 20 ? "met" : "NOT met"), \(format(20 / max(overhead, 0.001), 1))x headroom)"
)
print(
    "   the same, BABELFISH_TLS=off (in turn) median \(format(withoutTLSStats.median)) ms   => looking at server.crt: \(format(execStats.median - withoutTLSStats.median)) ms"
)
let realEntry = Stats(samples: realThroughEntrypoint)
let realDirect = Stats(samples: realPostgres)
print(
    "   real postgres -C via entrypoint      median \(format(realEntry.median)) ms   direct \(format(realDirect.median)) ms   ratio \(format(realEntry.median / max(realDirect.median, 0.001)))x (\(realRuns) runs)"
)
print("")

// MARK: 2. first-boot phases

@MainActor
func firstBootPhases(bin: String, babelfish: Bool, durability: String) -> (total: [Double], phases: [String: [Double]], order: [String]) {
    var totals: [Double] = []
    var phases: [String: [Double]] = [:]
    var order: [String] = []
    for _ in 0..<options.boots {
        let root = freshDirectory()
        try? FileSystem.createDirectory(root + "/init", permissions: 0o755)
        if babelfish {
            try? FileSystem.writeAtomically(
                root + "/init/10-bench.tsql",
                "CREATE DATABASE benchdb;\nGO\nUSE benchdb;\nGO\nCREATE TABLE t (id INT);\nINSERT INTO t VALUES (1), (2), (3);\nGO\n",
                permissions: 0o644)
        }
        try? FileSystem.writeAtomically(root + "/init/05-bench.sql", "CREATE TABLE bench (id int);\n", permissions: 0o644)
        let (wall, text) = entrypointFirstBoot(
            bin: bin, root: root, extra: ["BBF_INIT_DURABILITY": durability], babelfish: babelfish)
        guard let line = text.split(whereSeparator: \.isNewline).first(where: { $0.contains("initialization complete in") }) else {
            fail("first boot logged no \"initialization complete\" line:\n\(text)")
        }
        totals.append(wall)
        // "... initialization complete in 644 ms (begin 1 ms, initdb 501 ms, ...)"
        if let open = line.firstIndex(of: "("), let close = line.lastIndex(of: ")") {
            for part in line[line.index(after: open)..<close].split(separator: ",") {
                let words = part.split(separator: " ")
                guard words.count >= 2, let value = Double(words[1]) else { continue }
                let name = String(words[0])
                if phases[name] == nil { order.append(name) }
                phases[name, default: []].append(value)
            }
        }
    }
    return (totals, phases, order)
}

/// write-certificate's median in the last first boots reported (relaxed).
var firstBootCertificateStep: Double?

@MainActor
func reportFirstBoot(title: String, bin: String, babelfish: Bool) {
    let relaxed = firstBootPhases(bin: bin, babelfish: babelfish, durability: "relaxed")
    if let samples = relaxed.phases["write-certificate"] { firstBootCertificateStep = Stats(samples: samples).median }
    let strict = firstBootPhases(bin: bin, babelfish: babelfish, durability: "strict")
    print("\(title) (median of \(options.boots) first boots each, ms)")
    print("   \(pad("phase", 28)) \(pad("relaxed", 9)) \(pad("strict", 9)) strict/relaxed")
    var order = relaxed.order
    for name in strict.order where !order.contains(name) { order.append(name) }
    for name in order {
        let r = Stats(samples: relaxed.phases[name] ?? []).median
        let s = Stats(samples: strict.phases[name] ?? []).median
        print("   \(pad(name, 28)) \(pad(format(r, 1), 9)) \(pad(format(s, 1), 9)) \(r > 0.5 ? format(s / r) + "x" : "-")")
    }
    let r = Stats(samples: relaxed.total).median
    let s = Stats(samples: strict.total).median
    print("   \(pad("whole first boot (wall)", 28)) \(pad(format(r, 1), 9)) \(pad(format(s, 1), 9)) \(format(s / max(r, 0.001)))x")
    print("")
}

reportFirstBoot(title: "2. First boot, plain PostgreSQL (BABELFISH_ENABLED=false), one *.sql script", bin: plainBin, babelfish: false)
if let home = options.babelfishHome {
    reportFirstBoot(title: "3. First boot, Babelfish, one *.sql and one *.tsql script", bin: home + "/bin", babelfish: true)
    reportSideBySide(babelfishHome: home)
} else {
    print("3. First boot with Babelfish: skipped (pass --babelfish-home PREFIX)")
    print("3a. Full initialization vs template copy vs the anchor's sequence: skipped (pass --babelfish-home PREFIX)")
    print("")
}

// MARK: 4. health check

/// Starts a server with `extra` settings and times the health check on it.
@MainActor
func healthcheckLatency(_ extra: [String: String]) -> (Stats, String) {
    let healthRoot = freshDirectory()
    var healthEnvironment = baseEnvironment(
        bin: options.babelfishHome.map { $0 + "/bin" } ?? plainBin, root: healthRoot, babelfish: options.babelfishHome != nil)
    healthEnvironment.merge(extra) { $1 }
    let port = (try? Network.freeLoopbackPort()) ?? 45432
    guard
        let server = try? ChildProcess.spawn(
            executable: entrypoint, arguments: ["postgres", "-c", "port=\(port)"], environment: healthEnvironment,
            stdin: .null, stdout: .null, stderr: .null)
    else { fail("cannot start a server for the health check") }
    Cleanup.server = server
    let waitStart = Instant.now()
    healthEnvironment["POSTGRES_PASSWORD"] = nil
    healthEnvironment["BABELFISH_PASSWORD"] = nil
    while timedRun(entrypoint, ["healthcheck"], environment: healthEnvironment).1 != .exited(0) {
        if server.poll() != nil || waitStart.millisecondsElapsed() > 60_000 { fail("the server for the health check did not come up") }
        sleep(milliseconds: 50)
    }
    var health: [Double] = []
    for _ in 0..<max(20, options.runs / 5) {
        health.append(timedRun(entrypoint, ["healthcheck"], environment: healthEnvironment).0)
    }
    Cleanup.stopServer()
    return (Stats(samples: health), "\(health.count) runs\(options.babelfishHome != nil ? ", PostgreSQL + TDS" : ", PostgreSQL only")")
}

let (healthStats, healthRuns) = healthcheckLatency([:])
print("4. bbf-entrypoint healthcheck on a running server (\(healthRuns))")
print(
    "   median \(format(healthStats.median)) ms   p90 \(format(healthStats.p90)) ms   (\(format(1000 / max(healthStats.median, 0.001), 0))/s; Docker's default timeout is 30 s)"
)
let (withoutTLSHealth, _) = healthcheckLatency(["BABELFISH_TLS": "off"])
print("   with BABELFISH_TLS=off: median \(format(withoutTLSHealth.median)) ms   p90 \(format(withoutTLSHealth.p90)) ms")
if options.babelfishHome != nil {
    let (required, _) = healthcheckLatency(["BABELFISH_TLS_REQUIRE": "true"])
    print(
        "   with BABELFISH_TLS_REQUIRE=true (PRELOGIN + TLS handshake): median \(format(required.median)) ms   p90 \(format(required.p90)) ms"
    )
}
print("")

// MARK: 5. the TLS certificate

print("5. TLS certificate (P-256 ECDSA, self-signed, \(TLSPolicy.validityDays) days)")
let names = TLSPolicy.alternativeNames(hostname: "bench-host")
@MainActor
func makeCertificate() -> TLSMaterial {
    do {
        return try TLSCrypto.makeSelfSigned(
            commonName: TLSPolicy.commonName, organization: TLSPolicy.organization, dnsNames: names.dns, ipAddresses: names.ip,
            notBefore: Int64(time(nil)) - TLSPolicy.backdatingSeconds, validityDays: TLSPolicy.validityDays)
    } catch {
        fail("generating a certificate failed: \(error)")
    }
}
let coldStart = Instant.now()
var material = makeCertificate()
let cold = coldStart.millisecondsElapsed()
var inProcess: [Double] = []
var inspections: [Double] = []
var summaries: [Double] = []
for _ in 0..<max(20, options.runs / 5) {
    let start = Instant.now()
    material = makeCertificate()
    inProcess.append(start.millisecondsElapsed())
    let inspectStart = Instant.now()
    _ = try? TLSCrypto.inspect(certificate: material.certificate)
    inspections.append(inspectStart.millisecondsElapsed())
    let summaryStart = Instant.now()
    guard CertificateSummary.read(pem: material.certificate) != nil else { fail("the hand reader did not read a generated certificate") }
    summaries.append(summaryStart.millisecondsElapsed())
}
print(
    "   in-process key + certificate: first in a process \(format(cold)) ms (OpenSSL's initialisation), then median \(format(Stats(samples: inProcess).median)) ms"
)
if let writeCertificate = firstBootCertificateStep {
    print(
        "   first-boot step write-certificate (generation + two fsynced files), median: \(format(writeCertificate, 1)) ms   (target < 50 ms: \(writeCertificate < 50 ? "met" : "NOT met"))"
    )
}
print(
    "   a later boot's look at server.crt (dates, ours or not): by hand \(format(Stats(samples: summaries).median, 3)) ms; OpenSSL, warm, \(format(Stats(samples: inspections).median, 3)) ms (cold, a first OpenSSL decoding in a process costs milliseconds)"
)
if let openssl = findExecutable("openssl", path: "/usr/bin:/bin:/usr/local/bin") {
    let out = scratch + "/openssl-pair"
    var shellOut: [Double] = []
    for _ in 0..<20 {
        let (ms, status) = timedRun(
            openssl,
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", out + ".key", "-out",
                out + ".crt", "-days", "825", "-subj", "/CN=localhost", "-addext",
                "subjectAltName=DNS:localhost,DNS:bench-host,IP:127.0.0.1,IP:::1",
            ], environment: ["PATH": "/usr/bin:/bin"])
        guard status.isSuccess else { fail("openssl req failed: \(status)") }
        shellOut.append(ms)
    }
    let median = Stats(samples: shellOut).median
    print(
        "   the same with the openssl command (a process per boot): median \(format(median)) ms, \(format(median / max(Stats(samples: inProcess).median, 0.001), 0))x the in-process figure"
    )
}
_ = initMs
Cleanup.run()
if !options.images.isEmpty {
    print("")
    containerStart(images: options.images, engineOption: options.engine, boots: options.boots)
}
