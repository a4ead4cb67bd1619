import BBFSystem
import PostgresClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Where the programs under test are.
enum TestEnvironment {
    /// The bbf-entrypoint built next to this test bundle (the test target depends on it).
    static let entrypoint = FileSystem.builtExecutable(named: "bbf-entrypoint")

    /// A plain PostgreSQL's bin directory: BBF_TEST_POSTGRES_BIN, or Debian's newest.
    static let postgresBin: String? = {
        if let configured = ProcessEnvironment.current()["BBF_TEST_POSTGRES_BIN"], !configured.isEmpty { return configured }
        for major in (12...20).reversed() where FileSystem.exists("/usr/lib/postgresql/\(major)/bin/postgres") {
            return "/usr/lib/postgresql/\(major)/bin"
        }
        return nil
    }()

    /// An install prefix of PostgreSQL + Babelfish (BBF_TEST_BABELFISH_HOME).
    static let babelfishHome: String? = {
        guard let home = ProcessEnvironment.current()["BBF_TEST_BABELFISH_HOME"], !home.isEmpty else { return nil }
        return home
    }()

    static var hasBabelfish: Bool { babelfishHome != nil }
    static let babelfishSkipReason: Comment =
        "needs a real Babelfish: set BBF_TEST_BABELFISH_HOME to an install prefix holding bin/postgres and the babelfishpg_* extensions"

    static var hasPostgres: Bool { postgresBin != nil }
    static let postgresSkipReason: Comment =
        "needs PostgreSQL server binaries: apt-get install postgresql-15 (as .ci/run does), or set BBF_TEST_POSTGRES_BIN"

    static var tsql: String? { findExecutable("tsql", path: ProcessEnvironment.current()["PATH"]) }

    static let setpriv = findExecutable("setpriv", path: "/usr/bin:/bin")

    /// The tests run as root and can start the entrypoint as the postgres user.
    static var canSwitchToPostgres: Bool { Privileges.isRoot && Privileges.account(named: "postgres") != nil && setpriv != nil }
    static let switchSkipReason: Comment =
        "needs to run as root, with a postgres user and setpriv (util-linux), to start the entrypoint as another user"

    /// The plain PostgreSQL's bin directory; without one the test is skipped, saying why.
    static func requirePostgres() throws -> String {
        guard let bin = postgresBin else { try Test.cancel(postgresSkipReason) }
        return bin
    }
}

/// A test that cannot go on: thrown, it is recorded once, with this message.
struct HarnessFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` every `pollMilliseconds` until it holds or
/// `timeoutSeconds` pass; returns whether it held. The one bounded wait of
/// these tests: never a fixed sleep, never a wait without an end.
func waitUntil(timeoutSeconds: Double = 30, pollMilliseconds: Int = 5, _ condition: () throws -> Bool) rethrows -> Bool {
    let start = Instant.now()
    while true {
        if try condition() { return true }
        if start.millisecondsElapsed() > timeoutSeconds * 1000 { return false }
        sleep(milliseconds: pollMilliseconds)
    }
}

/// How a finished entrypoint ended, and what it printed.
struct RunResult {
    var status: TerminationStatus
    var output: String
}

/// A private directory with a data directory, socket directory, init
/// directory and free ports; everything started from it is stopped and it is
/// removed when the sandbox goes away.
final class Sandbox {
    let root: String
    let port: Int
    let tdsPort: Int
    private var servers: [RunningServer] = []
    private var runCount = 0

    var dataDirectory: String { root + "/data" }
    var socketDirectory: String { root + "/sock" }
    var initDirectory: String { root + "/init" }

    init() throws {
        let root = try FileSystem.makeTemporaryDirectory(prefix: "bbf-it-")
        // The entrypoint runs as postgres when the tests run as root.
        try FileSystem.changePermissions(root, 0o755)
        try FileSystem.createDirectory(root + "/init", permissions: 0o755)
        self.root = root
        port = try Network.freeLoopbackPort()
        var tds = try Network.freeLoopbackPort()
        while tds == port { tds = try Network.freeLoopbackPort() }
        tdsPort = tds
    }

    deinit {
        for server in servers { server.stop() }
        try? FileSystem.removeTree(root)
    }

    /// The environment for a plain-PostgreSQL (`babelfish: false`) or Babelfish run.
    func environment(babelfish: Bool = false, _ extra: [String: String] = [:]) throws -> [String: String] {
        let bin: String
        if babelfish {
            guard let home = TestEnvironment.babelfishHome else { try Test.cancel(TestEnvironment.babelfishSkipReason) }
            bin = home + "/bin"
        } else {
            bin = try TestEnvironment.requirePostgres()
        }
        var environment = [
            "PATH": "\(bin):/usr/local/bin:/usr/bin:/bin",
            "PGDATA": dataDirectory,
            "POSTGRES_SOCKET_DIR": socketDirectory,
            "BABELFISH_INITDB_DIR": initDirectory,
            "POSTGRES_PASSWORD": "pg-secret-1",
            "BABELFISH_PASSWORD": "Bbf-secret-2",
            "BABELFISH_TDS_PORT": String(tdsPort),
            "BABELFISH_ENABLED": babelfish ? "true" : "false",
            "LANG": "C.UTF-8",
        ]
        environment.merge(extra) { $1 }
        return environment.filter { !$0.value.isEmpty }
    }

    var postgresArguments: [String] { ["postgres", "-c", "port=\(port)"] }

    private func logFile() throws -> (path: String, fd: Int32) {
        runCount += 1
        let path = "\(root)/run-\(runCount).log"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw SystemError("open", path) }
        return (path, fd)
    }

    /// A first boot with BBF_ENTRYPOINT_CRASH_AT=`point` (the entrypoint's crash
    /// hook): it must end by SIGKILL and leave no server behind.
    @discardableResult
    func bootKilled(
        at point: String, environment: [String: String], sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> RunResult {
        var crashing = environment
        crashing["BBF_ENTRYPOINT_CRASH_AT"] = point
        let crashed = try run(postgresArguments, environment: crashing)
        try #require(
            crashed.status == .signaled(SIGKILL), "the crash at \(point) did not happen; output: \(crashed.output)",
            sourceLocation: sourceLocation)
        #expect(noPostgresRemains(on: dataDirectory), "a server outlived the entrypoint", sourceLocation: sourceLocation)
        return crashed
    }

    /// Runs the entrypoint and waits for it to exit (it must not reach postgres).
    func run(_ arguments: [String], environment: [String: String], timeoutSeconds: Int = 120, asUser: String? = nil) throws -> RunResult {
        let (path, fd) = try logFile()
        defer { close(fd) }
        let child = try spawnEntrypoint(arguments, environment: environment, output: fd, asUser: asUser)
        guard let status = child.wait(timeoutMilliseconds: timeoutSeconds * 1000) else {
            child.send(SIGKILL)
            child.wait()
            Issue.record("the entrypoint did not exit within \(timeoutSeconds) s")
            return RunResult(status: .signaled(SIGKILL), output: (try? FileSystem.readText(path)) ?? "")
        }
        return RunResult(status: status, output: try FileSystem.readText(path))
    }

    /// Starts the entrypoint for a boot that ends in postgres, and waits until
    /// PostgreSQL accepts TCP connections on `port`.
    @discardableResult
    func start(_ arguments: [String]? = nil, environment: [String: String], asUser: String? = nil) throws -> RunningServer {
        let (path, fd) = try logFile()
        defer { close(fd) }
        let child = try spawnEntrypoint(arguments ?? postgresArguments, environment: environment, output: fd, asUser: asUser)
        let server = RunningServer(child: child, logPath: path, port: port)
        servers.append(server)
        try server.waitUntilAccepting()
        return server
    }

    /// Starts the entrypoint without waiting for anything.
    func spawn(_ arguments: [String]? = nil, environment: [String: String]) throws -> RunningServer {
        let (path, fd) = try logFile()
        defer { close(fd) }
        let child = try spawnEntrypoint(arguments ?? postgresArguments, environment: environment, output: fd, asUser: nil)
        let server = RunningServer(child: child, logPath: path, port: port)
        servers.append(server)
        return server
    }

    private func spawnEntrypoint(
        _ arguments: [String], environment: [String: String], output: Int32, asUser: String?
    ) throws -> ChildProcess {
        if let user = asUser {
            let setpriv = try #require(TestEnvironment.setpriv, "setpriv is not installed: apt-get install util-linux")
            return try ChildProcess.spawn(
                executable: setpriv,
                arguments: ["--reuid=\(user)", "--regid=\(user)", "--init-groups", "--", TestEnvironment.entrypoint] + arguments,
                environment: environment, stdin: .null, stdout: .descriptor(output), stderr: .descriptor(output),
                killWithParent: false)
        }
        return try ChildProcess.spawn(
            executable: TestEnvironment.entrypoint, arguments: arguments, environment: environment,
            stdin: .null, stdout: .descriptor(output), stderr: .descriptor(output), killWithParent: false)
    }

    /// A superuser connection over TCP with the configured password.
    func connect(database: String = "postgres", user: String = "postgres", password: String = "pg-secret-1") throws -> PostgresConnection {
        try PostgresConnection([
            "host": "127.0.0.1", "port": String(port), "user": user, "password": password, "dbname": database,
            "connect_timeout": "5",
        ])
    }

    func file(_ name: String) -> String { dataDirectory + "/" + name }

    func writeInitScript(_ name: String, _ content: String, executable: Bool = false) throws {
        let path = initDirectory + "/" + name
        try FileSystem.writeAtomically(path, content, permissions: executable ? 0o755 : 0o644)
    }
}

/// An entrypoint that (normally) became postgres.
final class RunningServer {
    let child: ChildProcess
    let logPath: String
    let port: Int

    init(child: ChildProcess, logPath: String, port: Int) {
        self.child = child
        self.logPath = logPath
        self.port = port
    }

    var log: String { (try? FileSystem.readText(logPath)) ?? "" }

    func waitUntilAccepting(timeoutSeconds: Double = 120) throws {
        let accepting = try waitUntil(timeoutSeconds: timeoutSeconds, pollMilliseconds: 20) {
            if let status = child.poll() {
                throw HarnessFailure("the entrypoint \(status) before PostgreSQL accepted connections:\n\(log)")
            }
            return PostgresConnection.ping(["host": "127.0.0.1", "port": String(port), "connect_timeout": "2", "dbname": "postgres"])
                == .ok
        }
        if !accepting { throw HarnessFailure("PostgreSQL did not accept connections within \(Int(timeoutSeconds)) s:\n\(log)") }
    }

    /// Waits until the log holds `text`; fails the test, showing the log, if
    /// it never does or the process ends first.
    func waitForLog(_ text: String, timeoutSeconds: Double = 60) throws {
        let found = try waitUntil(timeoutSeconds: timeoutSeconds, pollMilliseconds: 10) {
            if log.contains(text) { return true }
            if let status = child.poll() {
                throw HarnessFailure("the entrypoint \(status) before its log said \"\(text)\":\n\(log)")
            }
            return false
        }
        if !found { throw HarnessFailure("the log did not say \"\(text)\" within \(Int(timeoutSeconds)) s:\n\(log)") }
    }

    /// Fast shutdown; returns how it ended.
    @discardableResult
    func stop() -> TerminationStatus {
        if let status = child.poll() { return status }
        child.send(SIGINT)
        if let status = child.wait(timeoutMilliseconds: 60_000) { return status }
        child.send(SIGKILL)
        return child.wait()
    }
}

/// One entry of a directory tree as `treeSnapshot` saw it.
struct TreeEntry: Equatable {
    var kind: FileInfo.Kind
    var permissions: mode_t
    var owner: uid_t
    /// A regular file's whole content; a symlink's target.
    var bytes: [UInt8]
}

/// Every entry of a directory tree (its relative path), with its kind,
/// permissions, owner and complete content: two snapshots are equal only if
/// no file was added, removed, or changed by a single byte.
func treeSnapshot(_ path: String) throws -> [String: TreeEntry] {
    var result: [String: TreeEntry] = [:]
    func walk(_ relative: String) throws {
        let full = relative.isEmpty ? path : path + "/" + relative
        guard let info = try FileSystem.info(full) else { return }
        var entry = TreeEntry(kind: info.kind, permissions: info.permissions, owner: info.owner, bytes: [])
        switch info.kind {
        case .regular: entry.bytes = try FileSystem.readBytes(full)
        case .symlink: entry.bytes = Array(try FileSystem.symlinkTarget(full).utf8)
        case .directory, .other: break
        }
        result[relative] = entry
        if info.kind == .directory {
            for name in try FileSystem.contents(ofDirectory: full) {
                try walk(relative.isEmpty ? name : relative + "/" + name)
            }
        }
    }
    try walk("")
    return result
}

/// What differs between two tree snapshots, for a readable failure.
func treeDifferences(_ before: [String: TreeEntry], _ after: [String: TreeEntry]) -> [String] {
    var differences: [String] = []
    for path in Set(before.keys).union(after.keys).sorted() {
        switch (before[path], after[path]) {
        case (nil, _?): differences.append("added \(path)")
        case (_?, nil): differences.append("removed \(path)")
        case (let old?, let new?) where old != new: differences.append("changed \(path)")
        default: break
        }
    }
    return differences
}

/// The differences (from `treeDifferences`) that are not PostgreSQL's own
/// bookkeeping of a start and stop: global/pg_control, the WAL, pg_stat,
/// postmaster.opts, the relation cache files, a log directory.
func changesBeyondBookkeeping(_ differences: [String]) -> [String] {
    let bookkeeping = ["global/pg_control", "pg_wal", "pg_stat", "postmaster.opts", "log"]
    return differences.filter { difference in
        let path = difference.split(separator: " ", maxSplits: 1).last.map(String.init) ?? difference
        return !path.hasSuffix("/pg_internal.init") && !bookkeeping.contains { path == $0 || path.hasPrefix($0 + "/") }
    }
}

/// A cluster made with `bin`'s plain initdb, as the postgres user when running as root.
func makeForeignCluster(_ sandbox: Sandbox, bin: String) throws {
    var arguments = [bin + "/initdb", "-D", sandbox.dataDirectory, "--auth=trust", "-U", "postgres"]
    if Privileges.isRoot, let account = Privileges.account(named: "postgres") {
        try FileSystem.createDirectory(sandbox.dataDirectory, permissions: 0o700)
        try FileSystem.changeOwner(sandbox.dataDirectory, user: account.uid, group: account.gid)
        arguments = ["/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] + arguments
    }
    _ = try Command.output(arguments[0], Array(arguments.dropFirst()))
}

/// Whether no postgres runs on `dataDirectory` within a few seconds (killed
/// children take a moment to go).
func noPostgresRemains(on dataDirectory: String) -> Bool {
    waitUntil(timeoutSeconds: 10) { !postgresRunning(on: dataDirectory) }
}

/// Whether any process is a postgres whose command line names `dataDirectory`.
func postgresRunning(on dataDirectory: String) -> Bool {
    guard let entries = try? FileSystem.contents(ofDirectory: "/proc") else { return false }
    for entry in entries where entry.allSatisfy(\.isNumber) {
        guard let bytes = try? FileSystem.readBytes("/proc/\(entry)/cmdline"), !bytes.isEmpty else { continue }
        let arguments = bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        if arguments.first?.hasSuffix("postgres") == true, arguments.contains(where: { $0.hasPrefix(dataDirectory) }) {
            // Skip zombies: they hold nothing.
            if let status = try? FileSystem.readText("/proc/\(entry)/stat"), status.contains(") Z ") { continue }
            return true
        }
    }
    return false
}

extension String {
    func occurrences(of needle: String) -> Int {
        var count = 0
        var rest = Substring(self)
        while let range = rest.firstRange(of: needle) {
            count += 1
            rest = rest[range.upperBound...]
        }
        return count
    }
}

extension Sandbox {
    /// Runs T-SQL through FreeTDS's `tsql` client (an independent TDS client)
    /// and returns what it printed.
    func tsql(_ sql: String, port: Int? = nil, user: String = "babelfish_user", password: String = "Bbf-secret-2") throws -> String {
        guard let tsql = TestEnvironment.tsql else {
            try Test.cancel("needs FreeTDS's tsql, an independent TDS client: apt-get install freetds-bin (as .ci/run does)")
        }
        let file = root + "/query-\(Int(Instant.now().nanoseconds % 1_000_000_000)).sql"
        try FileSystem.writeAtomically(file, sql + "\ngo\n", permissions: 0o644)
        let result = try Command.run(
            "/bin/sh",
            [
                "-c", "exec \"$1\" -H 127.0.0.1 -p \"$2\" -U \"$3\" -P \"$4\" < \"$5\"", "sh", tsql, String(port ?? tdsPort), user,
                password, file,
            ],
            environment: ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"])
        return result.standardOutput + result.standardError
    }
}
