import BBFSystem
import PostgresClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Where the programs under test are.
enum TestEnvironment {
    /// The bbf-entrypoint built next to this test bundle.
    static let entrypoint: String = {
        let executable = (try? FileSystem.symlinkTarget("/proc/self/exe")) ?? CommandLine.arguments[0]
        return FileSystem.parent(of: executable) + "/bbf-entrypoint"
    }()

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

    static var tsql: String? { findExecutable("tsql", path: ProcessEnvironment.current()["PATH"]) }

    /// The plain PostgreSQL, or a test failure that says how to get one.
    static func requirePostgres() throws -> String {
        guard let bin = postgresBin else {
            Issue.record("no PostgreSQL server binaries: apt-get install postgresql-15, or set BBF_TEST_POSTGRES_BIN")
            throw SkipError()
        }
        return bin
    }

    struct SkipError: Error {}
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
            guard let home = TestEnvironment.babelfishHome else { throw TestEnvironment.SkipError() }
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
            let setpriv = try #require(findExecutable("setpriv", path: "/usr/bin:/bin"))
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

    func waitUntilAccepting(timeoutSeconds: Int = 120) throws {
        let start = Instant.now()
        while true {
            if let status = child.poll() {
                Issue.record("the entrypoint \(status) before PostgreSQL accepted connections:\n\(log)")
                throw TestEnvironment.SkipError()
            }
            if PostgresConnection.ping(["host": "127.0.0.1", "port": String(port), "connect_timeout": "2", "dbname": "postgres"]) == .ok {
                return
            }
            if start.millisecondsElapsed() > Double(timeoutSeconds) * 1000 {
                Issue.record("PostgreSQL did not accept connections within \(timeoutSeconds) s:\n\(log)")
                throw TestEnvironment.SkipError()
            }
            sleep(milliseconds: 20)
        }
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

/// A fingerprint of a directory tree: names, kinds, permissions and contents.
func treeFingerprint(_ path: String) throws -> [String: String] {
    var result: [String: String] = [:]
    func walk(_ relative: String) throws {
        let full = relative.isEmpty ? path : path + "/" + relative
        guard let info = try FileSystem.info(full) else { return }
        switch info.kind {
        case .directory:
            result[relative] = "dir \(String(info.permissions, radix: 8))"
            for name in try FileSystem.contents(ofDirectory: full) {
                try walk(relative.isEmpty ? name : relative + "/" + name)
            }
        case .regular:
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in try FileSystem.readBytes(full) {
                hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
            }
            result[relative] = "file \(String(info.permissions, radix: 8)) \(info.size) \(String(hash, radix: 16))"
        default:
            result[relative] = "other"
        }
    }
    try walk("")
    return result
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
            Issue.record("tsql is not installed: apt-get install freetds-bin")
            throw TestEnvironment.SkipError()
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
