import BBFSystem
import BBFTestSupport
import Foundation
import PostgresClient
import TDSClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// One developer instance for a test: unique container, volume and image
/// tag in the shared Docker engine, free host ports, a bbf-dev.json and a
/// password file in a scratch directory; `bbf dev` runs as the built
/// executable. Everything it made is removed on deinit.
final class DevHarness {
    let docker: DockerEngine
    /// BBF_TEST_ENGINE_IMAGE.
    let baseImage: String
    /// The tag the instance runs (a test may point it at a newer image).
    let image: String
    /// Whether the image serves TDS (Babelfish); otherwise the checks use PostgreSQL.
    let tds: Bool
    let scratch: Scratch
    let suffix: String
    let name: String
    let volume: String
    let tdsPort: Int
    let pgPort: Int
    let superuserPassword = "Pg-dev-1"
    let loginPassword = "Bbf-dev-2"
    private(set) var images: [String] = []
    private(set) var containers: [String] = []

    /// - Parameter engine: podman's instead of the Docker engine and BBF_TEST_ENGINE_IMAGE.
    init(podman: Bool = false) throws {
        (docker, baseImage) = podman ? try DockerEngine.requirePodmanImage() : try DockerEngine.requireEngineImage()
        tds = try docker.servesTDS(baseImage)
        scratch = try Scratch("bbf-dev-test-")
        suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        name = "bbf-dev-test-\(suffix)"
        volume = "bbf-dev-test-\(suffix)-data"
        image = "bbf-dev-test-\(suffix):current"
        tdsPort = try Network.freeLoopbackPort()
        var port = try Network.freeLoopbackPort()
        while port == tdsPort { port = try Network.freeLoopbackPort() }
        pgPort = port
        try docker.must(["tag", baseImage, image])
        images.append(image)
        try FileSystem.writeAtomically(
            scratch.path + "/passwords.txt", "postgres=\(superuserPassword)\n*=\(loginPassword)\n", permissions: 0o600)
        try FileSystem.writeAtomically(
            configPath,
            """
            {
              "comment": "written by the bbf dev tests",
              "engine": "\(docker.executable)",
              "image": "\(image)",
              "name": "\(name)",
              "volume": "\(volume)",
              "port": \(tdsPort),
              "pgPort": \(pgPort),
              "passwordFile": "passwords.txt",
              "savesDir": "saves",
              "healthTimeout": 180
            }
            """, permissions: 0o644)
    }

    deinit {
        docker.removeQuietly(containers: [name] + containers, volumes: [volume], images: images)
    }

    var configPath: String { scratch.path + "/bbf-dev.json" }

    var environment: [String: String] {
        var environment = docker.environment
        environment["HOME"] = scratch.path
        environment["LANG"] = "C.UTF-8"
        environment["BBF_DEV_CONFIG"] = configPath
        return environment
    }

    /// `bbf dev ARGUMENTS`, to its end.
    func dev(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Finished {
        try runProgram(
            TestTools.built("bbf"), ["dev"] + arguments, environment: environment.merging(extra) { $1 }, in: scratch.path,
            timeoutSeconds: 400)
    }

    /// `bbf dev ARGUMENTS`, which must succeed.
    @discardableResult
    func mustDev(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Finished {
        let finished = try dev(arguments, environment: extra)
        guard finished.succeeded else {
            throw TestSupportError("bbf dev \(arguments.joined(separator: " ")) \(finished.status):\n\(finished.output)")
        }
        return finished
    }

    /// An image tag this test owns (removed at the end).
    func ownImage(_ tag: String) -> String {
        let reference = "bbf-dev-test-\(suffix):\(tag)"
        images.append(reference)
        return reference
    }

    func ownContainer(_ role: String) -> String {
        let container = "bbf-dev-test-\(suffix)-\(role)"
        containers.append(container)
        return container
    }

    /// SQL that means the same in T-SQL and PostgreSQL, over TDS when the image has Babelfish, else libpq.
    @discardableResult
    func execute(_ sql: String) throws -> [[String?]] {
        if tds {
            let connection = try TDSConnection(
                host: "127.0.0.1", port: tdsPort, user: "babelfish_user", password: loginPassword, database: "master",
                application: "bbf dev tests")
            return try connection.execute(sql).resultSets.first?.rows ?? []
        }
        let connection = try PostgresConnection([
            "host": "127.0.0.1", "port": String(pgPort), "user": "postgres", "password": superuserPassword, "dbname": "postgres",
            "connect_timeout": "10",
        ])
        return try connection.execute(sql).rows
    }

    /// The value in the test table's row 1, or nil when the table does not
    /// exist. Any other failure (a connection refused or reset while the
    /// engine's port proxy settles) is retried for up to 30 s, then recorded
    /// as an issue with the error and the container's last log lines, so a
    /// failure says which of "no data" and "no connection" it was.
    func note(sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        var value: String?
        var failure = ""
        var attempts = 0
        let answered = waitUntil(seconds: 30, every: 500) {
            attempts += 1
            do {
                value = try execute("SELECT body FROM bbf_dev_notes WHERE id = 1").first?.first ?? nil
                return true
            } catch {
                failure = "\(error)"
                // PostgreSQL's undefined_table, Babelfish's "Invalid object name".
                return failure.contains("42P01") || failure.contains("does not exist") || failure.contains("Invalid object name")
            }
        }
        if !answered {
            let logs = (try? docker.run(["logs", "--tail", "30", name])).map { $0.standardOutput + $0.standardError } ?? "(no logs)"
            Issue.record(
                "the note query failed \(attempts) times for 30 s: \(failure)\nlast log lines of \(name):\n\(logs)",
                sourceLocation: sourceLocation)
        }
        return value
    }

    func writeNote(_ body: String) throws {
        try execute("CREATE TABLE bbf_dev_notes (id int PRIMARY KEY, body varchar(100))")
        try execute("INSERT INTO bbf_dev_notes VALUES (1, 'from the image')")
        try execute("UPDATE bbf_dev_notes SET body = '\(body)' WHERE id = 1")
    }

    /// Holds a TCP port on 127.0.0.1 (a listener) until the value goes away.
    final class PortHolder {
        let fd: Int32

        init(port: Int) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var yes: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0, listen(fd, 4) == 0 else { throw TestSupportError("cannot listen on 127.0.0.1:\(port)") }
        }

        deinit { close(fd) }
    }
}
