import BBFSystem
import PostgresClient

#if canImport(Glibc)
    import Glibc
#endif

/// A PostgreSQL (plain, or with Babelfish) booted by the real bbf-entrypoint
/// in a scratch directory, listening on loopback ports. Stopped on deinit.
public final class BootedServer {
    public let scratch: Scratch
    public let port: Int
    public let tdsPort: Int
    public let babelfish: Bool
    public let bin: String
    public let superuserPassword = "pg-secret-1"
    public let babelfishUser: String
    public let babelfishPassword = "Bbf-secret-2"
    private var child: ChildProcess?
    private var logPath: String

    public var dataDirectory: String { scratch.path + "/data" }
    public var socketDirectory: String { scratch.path + "/sock" }

    /// - Parameters:
    ///   - babelfish: boot BBF_TEST_BABELFISH_HOME's build (skips without it) or plain PostgreSQL.
    ///   - extra: more entrypoint variables (e.g. BABELFISH_MIGRATION_MODE).
    /// - Parameter seed: fills the (not yet existing) data directory before the
    ///   first start, e.g. with the data layer of a data-loaded image.
    public init(
        babelfish: Bool, babelfishUser: String = "babelfish_user", extra: [String: String] = [:], seed: ((String) throws -> Void)? = nil
    ) throws {
        if babelfish {
            guard let home = TestTools.babelfishHome else { throw TestPrerequisite(TestTools.babelfishReason) }
            bin = home + "/bin"
        } else {
            bin = try TestTools.requirePostgres()
        }
        self.babelfish = babelfish
        self.babelfishUser = babelfishUser
        scratch = try Scratch("bbf-server-")
        _ = try scratch.sub("init")
        port = try Network.freeLoopbackPort()
        var tds = try Network.freeLoopbackPort()
        while tds == port { tds = try Network.freeLoopbackPort() }
        tdsPort = tds
        logPath = scratch.path + "/server.log"
        try seed?(scratch.path + "/data")
        try start(extra: extra)
    }

    public var environment: [String: String] {
        [
            "PATH": "\(bin):/usr/local/bin:/usr/bin:/bin",
            "PGDATA": dataDirectory,
            "POSTGRES_SOCKET_DIR": socketDirectory,
            "BABELFISH_INITDB_DIR": scratch.path + "/init",
            "POSTGRES_PASSWORD": superuserPassword,
            "BABELFISH_USER": babelfishUser,
            "BABELFISH_PASSWORD": babelfishPassword,
            "BABELFISH_TDS_PORT": String(tdsPort),
            "BABELFISH_ENABLED": babelfish ? "true" : "false",
            "LANG": "C.UTF-8",
        ]
    }

    /// Boots (first boot or later) and waits until TCP connections are accepted.
    public func start(extra: [String: String] = [:]) throws {
        guard child == nil else { return }
        let fd = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemError("open", logPath) }
        defer { close(fd) }
        var environment = self.environment
        environment.merge(extra) { $1 }
        let started = try ChildProcess.spawn(
            executable: TestTools.built("bbf-entrypoint"),
            arguments: ["postgres", "-c", "port=\(port)", "-c", "listen_addresses=127.0.0.1"],
            environment: environment.filter { !$0.value.isEmpty }, stdin: .null, stdout: .descriptor(fd), stderr: .descriptor(fd),
            killWithParent: false)
        TestProcesses.adopt(started.pid)
        child = started
        let ready = waitUntil(seconds: 120) {
            started.poll() == nil
                && PostgresConnection.ping(["host": "127.0.0.1", "port": String(port), "connect_timeout": "2", "dbname": "postgres"]) == .ok
        }
        guard ready else {
            let status = started.poll()
            stop()
            throw TestSupportError("the server did not start (\(status?.description ?? "timed out")):\n\(log)")
        }
    }

    public var log: String { (try? FileSystem.readText(logPath)) ?? "" }

    /// Fast shutdown.
    public func stop() {
        guard let running = child else { return }
        child = nil
        defer { TestProcesses.release(running.pid) }
        if running.poll() != nil { return }
        running.send(SIGINT)
        if running.wait(timeoutMilliseconds: 60_000) == nil {
            running.send(SIGKILL)
            running.wait()
        }
    }

    deinit { stop() }

    /// libpq variables that point a client (psql, pg_dump, bbf backup) at this server over TCP.
    public func clientEnvironment(user: String = "postgres", database: String? = nil) -> [String: String] {
        var variables = [
            "PGHOST": "127.0.0.1", "PGPORT": String(port), "PGUSER": user,
            "PGPASSWORD": user == "postgres" ? superuserPassword : babelfishPassword,
        ]
        if let database { variables["PGDATABASE"] = database }
        return variables
    }

    public func connect(database: String = "postgres", user: String = "postgres") throws -> PostgresConnection {
        try PostgresConnection([
            "host": "127.0.0.1", "port": String(port), "user": user,
            "password": user == "postgres" ? superuserPassword : babelfishPassword, "dbname": database, "connect_timeout": "5",
        ])
    }

    /// Runs T-SQL through FreeTDS's `tsql` (an independent TDS client); returns what it printed.
    public func tsql(_ sql: String, user: String? = nil, password: String? = nil, database: String? = nil) throws -> String {
        let tsql = try TestTools.require("tsql", install: "apt-get install freetds-bin")
        let file = scratch.path + "/query-\(Instant.now().nanoseconds).sql"
        try FileSystem.writeAtomically(file, sql + "\ngo\nexit\n", permissions: 0o644)
        let arguments = [
            "-c", "exec \"$1\" -H 127.0.0.1 -p \"$2\" -U \"$3\" -P \"$4\" ${5:+-D \"$5\"} < \"$6\"", "sh", tsql, String(tdsPort),
            user ?? babelfishUser, password ?? babelfishPassword, database ?? "", file,
        ]
        let result = try Command.run("/bin/sh", arguments, environment: ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"])
        return result.standardOutput + result.standardError
    }
}
