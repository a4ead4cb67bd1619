import BBFSystem
import PostgresClient

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// What every boot path needs.
struct BootContext {
    var config: EntrypointConfiguration
    var installation: PostgresInstallation
    /// The arguments for postgres (after the command name).
    var postgresArguments: [String]
    var environment: [String: String]
    /// BABELFISH_TLS_CERT_FILE / _KEY_FILE, read and checked by the preflight.
    var providedCertificate: ProvidedCertificate? = nil

    var dataDirectory: String { config.dataDirectory }

    func path(_ name: String) -> String { dataDirectory + "/" + name }

    /// - Parameter managesConfiguration: the server may write its endpoints
    ///   into the managed configuration file (not on a cluster being inspected).
    func temporaryServerOptions(listenOnLoopback: Bool, relaxedDurability: Bool, managesConfiguration: Bool) -> TemporaryServer.Options {
        TemporaryServer.Options(
            installation: installation, dataDirectory: dataDirectory, superuser: config.superuser,
            userArguments: postgresArguments, listenOnLoopback: listenOnLoopback,
            relaxedDurability: relaxedDurability, environment: environment,
            managedConfiguration: managesConfiguration ? config : nil)
    }

    /// Writes the managed configuration file when its content changed.
    func refreshManagedConfiguration(endpoints: ManagedFiles.Endpoints? = nil) throws {
        let path = path(ManagedFiles.managedConfiguration)
        let wanted = ManagedFiles.renderManagedConfiguration(config, endpoints: endpoints)
        if try FileSystem.readTextIfPresent(path) != wanted {
            try FileSystem.writeAtomically(path, wanted)
        }
    }

    /// Adds the include of the managed file to postgresql.conf, once.
    func ensureInclude() throws {
        let path = path("postgresql.conf")
        let current = try FileSystem.readTextIfPresent(path) ?? ""
        if let updated = ManagedFiles.addingInclude(to: current) {
            try FileSystem.writeAtomically(path, updated)
        }
    }

    /// The cluster's own settings files, read once.
    func clusterSettings() throws -> ClusterSettings {
        func read(_ file: String) throws -> [ConfigurationFile.Setting] {
            try FileSystem.readTextIfPresent(path(file)).map(ConfigurationFile.parse) ?? []
        }
        return ClusterSettings(alterSystem: try read("postgresql.auto.conf"), configuration: try read("postgresql.conf"))
    }

    /// Refuses to go on when a server still runs on the data directory.
    func ensureNoRunningServer() throws {
        guard let pidFile = try FileSystem.readTextIfPresent(path("postmaster.pid")),
            let pid = PostmasterPID.parse(pidFile)?.pid, PostmasterPID.isRunningPostgres(pid: pid)
        else { return }
        throw EntrypointError(
            .unsupportedDataDirectory,
            "a PostgreSQL server (pid \(pid)) is running on PGDATA=\(dataDirectory). Stop it first; nothing was changed.")
    }
}

/// Settings as the cluster's own files give them: postgresql.auto.conf
/// (ALTER SYSTEM) first, then postgresql.conf.
struct ClusterSettings {
    var alterSystem: [ConfigurationFile.Setting]
    var configuration: [ConfigurationFile.Setting]

    func value(of name: String) -> String? {
        ConfigurationFile.lastValue(of: name, in: alterSystem) ?? ConfigurationFile.lastValue(of: name, in: configuration)
    }
}

/// The lines of postmaster.pid that matter here.
public struct PostmasterPID: Equatable, Sendable {
    public var pid: Int32
    public var port: Int?
    public var socketDirectory: String?
    public var listenAddress: String?
    /// "starting", "ready", "stopping", "standby" (PostgreSQL 10+).
    public var status: String?

    public static func parse(_ text: String) -> PostmasterPID? {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { String($0).trimmedWhitespace() }
        guard let first = lines.first, let pid = Int32(first) else { return nil }
        func line(_ index: Int) -> String? { index < lines.count ? lines[index] : nil }
        return PostmasterPID(
            pid: pid, port: line(3).flatMap { Int($0) }, socketDirectory: line(4).flatMap { $0.isEmpty ? nil : $0 },
            listenAddress: line(5), status: line(7).flatMap { $0.isEmpty ? nil : $0 })
    }

    /// Whether `pid` is a live process named postgres: not this process (a
    /// stale file from another container can name any pid) and not a zombie
    /// (a killed server whose parent died holds nothing, but `kill(pid, 0)`
    /// still succeeds on it).
    public static func isRunningPostgres(pid: Int32) -> Bool {
        guard pid > 0, pid != getpid(), kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let stat = try? FileSystem.readTextIfPresent("/proc/\(pid)/stat") else { return true }
        // "pid (comm) state ...": the state follows the last ')'.
        guard let close = stat.lastIndex(of: ")") else { return true }
        let name = stat[stat.index(after: stat.firstIndex(of: "(") ?? stat.startIndex)..<close]
        let state = stat[stat.index(after: close)...].drop { $0 == " " }.first
        return name == "postgres" && state != "Z" && state != "X"
    }
}
