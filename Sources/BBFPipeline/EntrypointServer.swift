import BBFImage
import BBFProcess
import BBFSystem
import Foundation
import PostgresClient

#if canImport(Glibc)
    import Glibc
#endif

/// A server booted by bbf-entrypoint (the same first-boot code every
/// developer's container runs), which then execs postgres with the given
/// settings on its command line, so none of them is written to the data
/// directory. The bake restores into one; benchmarks use them too.
public final class EntrypointServer {
    public let dataDirectory: String
    public let socketDirectory: String
    public let port: Int
    public let tdsPort: Int
    public let superuser = "postgres"
    private let child: ChildProcess
    private let logPath: String
    private var interruptToken: Int?

    public struct Options {
        public var entrypoint: String
        public var binDirectory: String
        public var dataDirectory: String
        public var socketDirectory: String
        public var logPath: String
        /// BABELFISH_* / POSTGRES_* variables for the first boot.
        public var variables: [String: String]
        /// `-c name=value` settings for this run only.
        public var settings: [(String, String)]
        /// Listen on 127.0.0.1 (for TDS) instead of the socket only.
        public var loopback: Bool

        public init(
            entrypoint: String, binDirectory: String, dataDirectory: String, socketDirectory: String, logPath: String,
            variables: [String: String], settings: [(String, String)], loopback: Bool
        ) {
            self.entrypoint = entrypoint
            self.binDirectory = binDirectory
            self.dataDirectory = dataDirectory
            self.socketDirectory = socketDirectory
            self.logPath = logPath
            self.variables = variables
            self.settings = settings
            self.loopback = loopback
        }
    }

    /// Restore-only settings: nothing here needs to survive a crash, the
    /// restore is CPU-bound, and none of it ships.
    public static func restoreSettings(jobs: Int) -> [(String, String)] {
        [
            ("fsync", "off"), ("synchronous_commit", "off"), ("full_page_writes", "off"), ("wal_level", "minimal"),
            ("max_wal_senders", "0"), ("archive_mode", "off"), ("autovacuum", "off"), ("maintenance_work_mem", "512MB"),
            ("max_wal_size", "16GB"), ("checkpoint_timeout", "1h"), ("max_parallel_maintenance_workers", String(max(1, jobs / 2))),
        ]
    }

    public init(_ options: Options, log: PipelineLog) throws(PipelineError) {
        dataDirectory = options.dataDirectory
        socketDirectory = options.socketDirectory
        logPath = options.logPath
        do {
            port = try Network.freeLoopbackPort()
            var tds = try Network.freeLoopbackPort()
            while tds == port { tds = try Network.freeLoopbackPort() }
            tdsPort = tds
        } catch {
            throw PipelineError(.restore, "cannot find a free port for the restore server: \(error)")
        }
        var environment: [String: String] = [
            "PATH": options.binDirectory + ":/usr/local/bin:/usr/bin:/bin",
            "PGDATA": options.dataDirectory,
            "POSTGRES_SOCKET_DIR": options.socketDirectory,
            // The first boot's temporary server puts its socket directory in TMPDIR:
            // the bake's pod has a read-only root file system, so no writable /tmp.
            "TMPDIR": options.socketDirectory,
            "BABELFISH_TDS_PORT": String(tdsPort),
            "BABELFISH_INITDB_DIR": options.socketDirectory + "/no-init-scripts",
            "LANG": "C.UTF-8",
        ]
        environment.merge(options.variables) { $1 }
        var arguments = ["postgres", "-c", "port=\(port)", "-c", "listen_addresses=\(options.loopback ? "127.0.0.1" : "")"]
        for (name, value) in options.settings { arguments += ["-c", "\(name)=\(value)"] }
        let fd = open(options.logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw PipelineError(.fileSystem, "cannot create \(options.logPath): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        do {
            child = try ChildProcess.spawn(
                executable: options.entrypoint, arguments: arguments, environment: environment, stdin: .null, stdout: .descriptor(fd),
                stderr: .descriptor(fd), killWithParent: true)
        } catch {
            throw PipelineError(.restore, "cannot start \(options.entrypoint): \(error)")
        }
        // Its parent-death signal is lost when the entrypoint drops root, so an
        // interruption stops it explicitly (SIGINT/SIGTERM; a SIGKILL of bbf cannot).
        let running = child
        interruptToken = Interruption.shared.onInterrupt {
            running.send(SIGQUIT)
            _ = running.wait(timeoutMilliseconds: 10_000)
        }
        let started = Date()
        while true {
            if let status = child.poll() {
                throw PipelineError(.restore, "the restore server \(status) before accepting connections:\n\(logTail())")
            }
            if PostgresConnection.ping(pingParameters) == .ok { break }
            if Date().timeIntervalSince(started) > 600 {
                child.send(SIGQUIT)
                child.wait()
                throw PipelineError(.restore, "the restore server did not accept connections within 10 minutes:\n\(logTail())")
            }
            BBFSystem.sleep(milliseconds: 25)
        }
        log.info(
            "restore server up in \(PipelineLog.duration(Date().timeIntervalSince(started))) (socket \(socketDirectory), port \(port))")
    }

    private var pingParameters: [String: String] {
        ["host": socketDirectory, "port": String(port), "user": superuser, "dbname": "postgres", "connect_timeout": "5"]
    }

    /// libpq variables for psql / pg_restore (socket, local trust).
    public var clientEnvironment: [String: String] {
        ["PGHOST": socketDirectory, "PGPORT": String(port), "PGUSER": superuser]
    }

    public func connect(database: String) throws(PipelineError) -> PostgresConnection {
        do {
            return try PostgresConnection([
                "host": socketDirectory, "port": String(port), "user": superuser, "dbname": database,
                "fallback_application_name": "bbf bake",
            ])
        } catch {
            throw PipelineError(.restore, "cannot connect to the restore server: \(error)")
        }
    }

    public func logTail(lines: Int = 25) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Fast shutdown (a shutdown checkpoint), then waits.
    public func stop() throws(PipelineError) {
        if let interruptToken { Interruption.shared.remove(interruptToken) }
        interruptToken = nil
        guard child.poll() == nil else { return }
        child.send(SIGINT)
        guard let status = child.wait(timeoutMilliseconds: 600_000) else {
            child.send(SIGQUIT)
            child.wait()
            throw PipelineError(.restore, "the restore server did not shut down within 10 minutes")
        }
        guard status.isSuccess else {
            throw PipelineError(.restore, "the restore server \(status) while shutting down:\n\(logTail())")
        }
    }

    deinit {
        if let interruptToken { Interruption.shared.remove(interruptToken) }
        if child.poll() == nil {
            child.send(SIGQUIT)
            child.wait()
        }
    }
}

/// Runs a program as the owner of a directory when this process is root
/// (pg_resetwal refuses root), through util-linux's setpriv.
func commandAsOwner(of directory: String, _ executable: String, _ arguments: [String]) -> (String, [String]) {
    guard geteuid() == 0, let info = try? FileSystem.info(directory), info.owner != 0,
        let setpriv = ToolProcess.find("setpriv", path: "/usr/bin:/bin")
    else { return (executable, arguments) }
    return (setpriv, ["--reuid=\(info.owner)", "--regid=\(info.group)", "--clear-groups", "--", executable] + arguments)
}
