import BBFSystem
import Foundation
import TDSWire

#if canImport(Glibc)
    import Glibc
#endif

/// A throwaway Babelfish booted by the project's own bbf-entrypoint, set up
/// as upstream's JDBC CI sets up its server (`.github/composite-actions/
/// install-extensions`, `.github/scripts/create_extension.sql`): login
/// `jdbc_user` / `12345678` (a superuser, as `initialize_babelfish` needs),
/// Babelfish database `jdbc_testdb`, `shared_preload_libraries =
/// 'babelfishpg_tds, pg_stat_statements'`, `wal_level = logical`,
/// `track_functions = 'pl'`, single-db unless multi-db is asked for.
public final class ThrowawayServer {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static let login = "jdbc_user"
    public static let password = "12345678"
    public static let database = "jdbc_testdb"

    public let directory: String
    public let tdsPort: Int
    public let postgresPort: Int
    public let logPath: String
    private let home: String
    private let entrypoint: String
    private let multiDb: Bool
    private var child: ChildProcess?
    private var stopped = false
    /// Leave the data directory and log behind after `stop` (for a post-mortem).
    public var keepDirectory = false

    public var endpoint: ServerEndpoint {
        ServerEndpoint(host: "127.0.0.1", port: tdsPort, login: Self.login, password: Self.password, database: "master")
    }

    /// Checks the install and the entrypoint, and picks a directory and free ports; `start` boots it.
    /// - Parameters:
    ///   - home: the install prefix (bin/postgres and the babelfishpg_* extensions).
    ///   - entrypoint: the bbf-entrypoint executable.
    public init(home: String, entrypoint: String, multiDb: Bool) throws {
        guard FileSystem.isExecutable(home + "/bin/postgres") else {
            throw Failure(
                description: "--babelfish-home \(home) has no bin/postgres: pass the install prefix of a PostgreSQL + Babelfish build")
        }
        guard FileSystem.isExecutable(entrypoint) else {
            throw Failure(
                description: "no bbf-entrypoint at \(entrypoint): build it (swift build --product bbf-entrypoint) or pass --entrypoint PATH"
            )
        }
        directory = try FileSystem.makeTemporaryDirectory(prefix: "bbf-conformance-")
        // The entrypoint runs postgres as the postgres user when started as root.
        try FileSystem.changePermissions(directory, 0o755)
        postgresPort = try Network.freeLoopbackPort()
        var tds = try Network.freeLoopbackPort()
        while tds == postgresPort { tds = try Network.freeLoopbackPort() }
        tdsPort = tds
        logPath = directory + "/server.log"
        self.home = home
        self.entrypoint = entrypoint
        self.multiDb = multiDb
    }

    /// Boots it with bbf-entrypoint and waits until a TDS login succeeds.
    public func start(timeoutSeconds: Int = 180) throws {
        guard child == nil, !stopped else { return }
        let secret = String(UInt64.random(in: 1...UInt64.max), radix: 36)
        let environment = [
            "PATH": "\(home)/bin:/usr/local/bin:/usr/bin:/bin",
            "PGDATA": directory + "/data",
            "POSTGRES_SOCKET_DIR": directory + "/sock",
            "BABELFISH_INITDB_DIR": directory + "/init",
            "POSTGRES_PASSWORD": "pg-" + secret,
            "BABELFISH_USER": Self.login,
            "BABELFISH_PASSWORD": Self.password,
            "BABELFISH_DB": Self.database,
            "BABELFISH_MIGRATION_MODE": multiDb ? "multi-db" : "single-db",
            "BABELFISH_TDS_PORT": String(tdsPort),
            "LANG": "C.UTF-8",
        ]
        let arguments = [
            "postgres", "-c", "port=\(postgresPort)", "-c", "listen_addresses=127.0.0.1",
            "-c", "shared_preload_libraries=babelfishpg_tds,pg_stat_statements", "-c", "wal_level=logical",
            "-c", "track_functions=pl",
        ]
        let log = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if log < 0 { throw SystemError("open", logPath) }
        defer { close(log) }
        let child = try ChildProcess.spawn(
            executable: entrypoint, arguments: arguments, environment: environment, stdin: .null, stdout: .descriptor(log),
            stderr: .descriptor(log), killWithParent: true)
        self.child = child
        let started = Instant.now()
        while true {
            if let status = child.poll() {
                stopped = true
                keepDirectory = true
                throw Failure(description: "bbf-entrypoint \(status) before TDS answered; its log: \(logPath)")
            }
            if let connection = try? TDSConnection(endpoint.connectionOptions()) {
                connection.close()
                return
            }
            if started.millisecondsElapsed() > Double(timeoutSeconds) * 1000 {
                keepDirectory = true
                stop()
                throw Failure(description: "TDS on 127.0.0.1:\(tdsPort) did not accept a login within \(timeoutSeconds) s; log: \(logPath)")
            }
            sleep(milliseconds: 200)
        }
    }

    /// Fast shutdown (SIGINT), then the directory goes unless `keepDirectory`
    /// (set when the boot failed, so its log stays).
    /// (The entrypoint drops root for postgres, which ends its parent-death
    /// signal: a caller that may be interrupted must call this on SIGINT/SIGTERM.)
    public func stop() {
        let running = stopped ? nil : child
        stopped = true
        if let child = running {
            child.send(SIGINT)
            if child.wait(timeoutMilliseconds: 60_000) == nil {
                child.send(SIGKILL)
                child.wait()
            }
        }
        if !keepDirectory { try? FileSystem.removeTree(directory) }
    }

    deinit { stop() }
}
