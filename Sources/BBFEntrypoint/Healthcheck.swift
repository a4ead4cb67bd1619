import BBFSystem
import PostgresClient
import TDSClient

/// `bbf-entrypoint healthcheck`: healthy only when PostgreSQL accepts TCP
/// connections and runs a query, and the TDS port answers a PRELOGIN.
/// Needs no credentials: the port, socket and state come from postmaster.pid
/// and the server itself.
public enum Healthcheck {
    public struct Report: Equatable, Sendable {
        public var healthy: Bool
        public var reason: String
    }

    public static func run(environment: [String: String]) -> Report {
        do {
            return Report(healthy: true, reason: try check(environment: environment))
        } catch {
            return Report(healthy: false, reason: "\(error)")
        }
    }

    struct Unhealthy: Error, CustomStringConvertible {
        var description: String
    }

    /// The TCP host to probe for a `listen_addresses` value.
    static func probeHost(forListenAddresses addresses: String) -> String? {
        let list = addresses.split(separator: ",").map { String($0).trimmedWhitespace() }.filter { !$0.isEmpty }
        if list.isEmpty { return nil }
        if list.contains(where: { ["*", "0.0.0.0", "127.0.0.1", "localhost"].contains($0) }) { return "127.0.0.1" }
        if list.contains(where: { ["::", "::1"].contains($0) }) { return "::1" }
        return list[0]
    }

    private static func check(environment: [String: String]) throws -> String {
        let config = try EntrypointConfiguration.parse(environment: environment) { path in try FileSystem.readText(path) }
        let dataDirectory = config.dataDirectory
        if FileSystem.exists(dataDirectory + "/" + ManagedFiles.initializationMarker) {
            throw Unhealthy(description: "initializing (first boot under way)")
        }
        guard let pidText = try? FileSystem.readTextIfPresent(dataDirectory + "/postmaster.pid"),
            let postmaster = PostmasterPID.parse(pidText)
        else {
            throw Unhealthy(description: "PostgreSQL is not running (no \(dataDirectory)/postmaster.pid)")
        }
        if let status = postmaster.status, status != "ready" {
            throw Unhealthy(description: "PostgreSQL is \(status)")
        }
        guard let port = postmaster.port, let socketDirectory = postmaster.socketDirectory else {
            throw Unhealthy(description: "postmaster.pid has no port or socket directory")
        }
        guard let host = probeHost(forListenAddresses: postmaster.listenAddress ?? "") else {
            throw Unhealthy(description: "PostgreSQL listens on no TCP address yet")
        }
        // Without TLS: the start-up exchange is the question, and a handshake
        // (with OpenSSL's initialisation) would only add to every check.
        let ping = PostgresConnection.ping([
            "host": host, "port": String(port), "connect_timeout": "2", "dbname": "postgres", "user": config.superuser,
            "sslmode": "disable",
        ])
        guard ping == .ok else {
            throw Unhealthy(description: "PostgreSQL does not accept TCP connections on \(host):\(port) (\(ping))")
        }
        var parameters = [
            "host": socketDirectory, "port": String(port), "user": config.superuser, "dbname": "postgres", "connect_timeout": "2",
        ]
        if let password = config.superuserPassword { parameters["password"] = password }
        let connection: PostgresConnection
        let tdsSetting: String?
        do {
            connection = try PostgresConnection(parameters)
            tdsSetting = try connection.execute("SELECT current_setting('babelfishpg_tds.port', true)").scalar
        } catch {
            throw Unhealthy(description: "PostgreSQL does not run queries: \(error)")
        }
        var summary = "PostgreSQL on \(host):\(port)"
        let state = (try? FileSystem.readTextIfPresent(dataDirectory + "/" + ManagedFiles.state)).flatMap { $0 }.flatMap(ClusterState.parse)
        if config.babelfishEnabled && state?.babelfish != false {
            guard let tdsSetting, let tdsPort = Int(tdsSetting) else {
                throw Unhealthy(description: "babelfishpg_tds is not loaded (no babelfishpg_tds.port setting)")
            }
            do {
                let response = try TDSProbe.run(host: host, port: tdsPort, timeoutMilliseconds: 1000)
                let tls = response.tls.map { ", encryption required: \($0) handshake" } ?? ""
                summary += ", TDS on \(host):\(tdsPort) (server version \(response.version)\(tls))"
            } catch {
                throw Unhealthy(description: "TDS does not answer on \(host):\(tdsPort): \(error)")
            }
        }
        return summary
    }
}
