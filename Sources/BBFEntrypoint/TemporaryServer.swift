import BBFImage
import BBFSystem
import PostgresClient

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A PostgreSQL server run by the entrypoint during initialization: its own
/// socket directory, no TCP unless asked for (then 127.0.0.1 only, on ports
/// that are not the configured ones), stopped before the real server starts.
final class TemporaryServer {
    let socketDirectory: String
    let port: Int
    /// The TDS port when listening on loopback.
    let tdsPort: Int?
    private let child: ChildProcess
    private let superuser: String
    private let dataDirectory: String

    struct Options {
        var installation: PostgresInstallation
        var dataDirectory: String
        var superuser: String
        /// The user's postgres arguments; ours come after them and win.
        var userArguments: [String]
        var listenOnLoopback: Bool
        var relaxedDurability: Bool
        var environment: [String: String]
        /// When set, the managed configuration file gets this server's
        /// endpoints before it starts (the same values as its -c options).
        var managedConfiguration: EntrypointConfiguration?
    }

    private init(child: ChildProcess, socketDirectory: String, port: Int, tdsPort: Int?, superuser: String, dataDirectory: String) {
        self.child = child
        self.dataDirectory = dataDirectory
        self.socketDirectory = socketDirectory
        self.port = port
        self.tdsPort = tdsPort
        self.superuser = superuser
    }

    /// Where the private socket directory goes: TMPDIR when it is an
    /// absolute path short enough for a socket path in it (a read-only root
    /// file system, as in the pipeline's pods, has a writable TMPDIR and no
    /// writable /tmp), else /tmp.
    static func temporaryBase(environment: [String: String]) -> String {
        guard var base = environment["TMPDIR"], base.hasPrefix("/") else { return "/tmp" }
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        // sun_path holds 107 bytes: base + "/bbf-init-XXXXXX/.s.PGSQL.65535" is 32 more.
        return base.utf8.count <= 70 ? base : "/tmp"
    }

    static func start(_ options: Options) throws -> TemporaryServer {
        let socketDirectory = try FileSystem.makeTemporaryDirectory(
            in: temporaryBase(environment: options.environment), prefix: "bbf-init-")
        do {
            let port = options.listenOnLoopback ? try Network.freeLoopbackPort() : 5432
            var tdsPort = options.listenOnLoopback ? try Network.freeLoopbackPort() : nil
            while tdsPort == port { tdsPort = try Network.freeLoopbackPort() }
            let endpoints = ManagedFiles.Endpoints(
                listenAddresses: options.listenOnLoopback ? "127.0.0.1" : "", socketDirectory: socketDirectory,
                tdsPort: tdsPort ?? options.managedConfiguration?.tdsPort ?? ImageFacts.tdsPort)
            if let config = options.managedConfiguration {
                let path = options.dataDirectory + "/" + ManagedFiles.managedConfiguration
                try FileSystem.writeAtomically(path, ManagedFiles.renderManagedConfiguration(config, endpoints: endpoints))
            }
            // After the user's arguments, so these win: the configured ports stay closed.
            var arguments = ["-D", options.dataDirectory] + serverArguments(from: options.userArguments)
            arguments += [
                "-c", "listen_addresses=\(endpoints.listenAddresses)",
                "-c", "port=\(port)",
                "-c", "unix_socket_directories=\(endpoints.socketDirectory)",
                "-c", "babelfishpg_tds.port=\(endpoints.tdsPort)",
            ]
            if options.relaxedDurability {
                arguments += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
            }
            let child = try ChildProcess.spawn(
                executable: options.installation.postgres, arguments: arguments,
                environment: EntrypointConfiguration.removingSecrets(from: options.environment), stdin: .null)
            let server = TemporaryServer(
                child: child, socketDirectory: socketDirectory, port: port, tdsPort: tdsPort, superuser: options.superuser,
                dataDirectory: options.dataDirectory)
            try server.waitUntilReady()
            return server
        } catch {
            try? FileSystem.removeTree(socketDirectory)
            throw error
        }
    }

    private var pingParameters: [String: String] {
        ["host": socketDirectory, "port": String(port), "user": superuser, "dbname": "postgres", "connect_timeout": "5"]
    }

    private func waitUntilReady() throws {
        let start = Instant.now()
        var pause = 2
        while true {
            if let status = child.poll() {
                throw EntrypointError(
                    .initializationFailed,
                    "the temporary server \(status) before accepting connections; its log is above.")
            }
            // Like pg_ctl: postmaster.pid says "ready" once connections are
            // accepted (probing earlier makes the server log FATAL lines).
            if let text = try? FileSystem.readTextIfPresent(dataDirectory + "/postmaster.pid"),
                let postmaster = PostmasterPID.parse(text), postmaster.pid == child.pid, postmaster.status == "ready",
                PostgresConnection.ping(pingParameters) == .ok
            {
                return
            }
            if start.millisecondsElapsed() > 300_000 {
                child.send(SIGQUIT)
                child.wait()
                throw EntrypointError(.initializationFailed, "the temporary server did not accept connections within 5 minutes.")
            }
            sleep(milliseconds: pause)
            pause = min(pause * 2, 50)
        }
    }

    /// A connection over the private socket as the superuser (local trust on
    /// clusters this entrypoint created; `password` for adopted ones).
    func connect(database: String, password: String? = nil) throws -> PostgresConnection {
        var parameters = ["host": socketDirectory, "port": String(port), "user": superuser, "dbname": database]
        if let password { parameters["password"] = password }
        return try PostgresConnection(parameters)
    }

    /// Libpq environment variables that point psql and scripts at this server.
    var clientEnvironment: [String: String] {
        ["PGHOST": socketDirectory, "PGPORT": String(port), "PGUSER": superuser]
    }

    /// Kills the server without a shutdown (fault injection).
    func kill() {
        child.send(SIGKILL)
        child.wait()
    }

    /// Fast shutdown (SIGINT), then waits.
    func stop() throws {
        defer { try? FileSystem.removeTree(socketDirectory) }
        child.send(SIGINT)
        var status = child.wait(timeoutMilliseconds: 120_000)
        if status == nil {
            child.send(SIGQUIT)
            status = child.wait()
        }
        guard let status, status.isSuccess else {
            throw EntrypointError(
                .initializationFailed,
                "the temporary server \(status?.description ?? "did not stop") while shutting down; its log is above.")
        }
    }

    deinit {
        if child.poll() == nil {
            child.send(SIGQUIT)
            child.wait()
        }
        try? FileSystem.removeTree(socketDirectory)
    }
}

/// The user's postgres arguments that make sense for a temporary server:
/// all but `-C name` (print a setting and exit), which only the final server gets.
func serverArguments(from userArguments: [String]) -> [String] {
    var result: [String] = []
    var skipNext = false
    for argument in userArguments {
        if skipNext {
            skipNext = false
        } else if argument == "-C" {
            skipNext = true
        } else if !argument.hasPrefix("-C") {
            result.append(argument)
        }
    }
    return result
}
