import ArgumentParser
import BBFConformance
import BBFSystem
import Foundation

struct ConformanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conformance",
        abstract: "Run Babelfish's own JDBC test suite (plain-batch .sql files) over TDS and diff against its expected output.",
        discussion: """
            Give the extracted test/JDBC directory of the line's babelfish_extensions tag and a server: \
            --babelfish-home PREFIX boots a throwaway one with bbf-entrypoint (single-db, login jdbc_user, \
            database jdbc_testdb, as upstream's CI), or --host/--port/--login/--password name a running one. \
            The password of a running server comes from BBF_CONFORMANCE_PASSWORD (never from the command line). \
            Exits 1 when a file differs in real behaviour (with --strict, also for missing features and \
            multi-db differences). See docs/CONFORMANCE.md.
            """)

    @Option(help: "The extracted upstream test/JDBC directory (holding input/, expected/, jdbc_schedule).") var suite: String
    @Option(help: "Boot a throwaway server from this install prefix (bin/postgres and the babelfishpg_* extensions).")
    var babelfishHome: String?
    @Option(help: "The bbf-entrypoint to boot it with (default: the one built next to bbf).") var entrypoint: String?
    @Option(help: "A running server's TDS host (numeric address).") var host: String?
    @Option(help: "A running server's TDS port.") var port: Int?
    @Option(help: "The login of a running server (its password: BBF_CONFORMANCE_PASSWORD).") var login: String = "jdbc_user"
    @Option(help: "The database the connections open.") var database: String = "master"
    @Flag(help: "Boot the throwaway server in multi-db mode and classify dbo/db1_dbo naming differences.") var multiDb = false
    @Option(help: "Run only this test (repeatable; by name without extension).") var test: [String] = []
    @Option(help: "Run only the first N selected tests.") var limit: Int?
    @Option(help: "Write each file's output (<name>.out) here.") var output: String?
    @Option(help: "Write the report as JSON to this file.") var json: String?
    @Option(help: "Differing lines to show per file.") var lines: Int = 12
    @Flag(help: "Print each file's result as it finishes.") var verbose = false
    @Flag(help: "Keep the throwaway server's directory and log.") var keepServer = false
    @Flag(help: "Also fail (exit 1) on missing features and multi-db differences, not only on real behaviour.") var strict = false

    func run() throws {
        let loaded: Suite
        do {
            loaded = try Suite(root: suite)
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        var server: ThrowawayServer?
        var interrupts: StopOnSignal?
        let endpoint: ServerEndpoint
        if let babelfishHome {
            if host != nil || port != nil {
                printError(
                    "error: --babelfish-home boots its own server: drop --host/--port, or drop --babelfish-home to use a running one.")
                throw ExitCode(1)
            }
            let executable = entrypoint ?? siblingEntrypoint()
            printError("booting a throwaway \(multiDb ? "multi-db" : "single-db") Babelfish from \(babelfishHome) with \(executable) ...")
            let booted: ThrowawayServer
            do {
                booted = try ThrowawayServer(home: babelfishHome, entrypoint: executable, multiDb: multiDb)
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
            booted.keepDirectory = keepServer
            // The server runs as another user once the entrypoint drops root, so no
            // parent-death signal reaches it: stop it on SIGINT/SIGTERM ourselves.
            interrupts = StopOnSignal(booted)
            do {
                try booted.start()
            } catch {
                booted.stop()
                printError("error: \(error)")
                throw ExitCode(1)
            }
            server = booted
            endpoint = booted.endpoint
        } else {
            guard let host, let port else {
                printError("error: name a server: --babelfish-home PREFIX (throwaway), or --host and --port of a running one.")
                throw ExitCode(1)
            }
            guard let password = ProcessEnvironment.current()["BBF_CONFORMANCE_PASSWORD"] else {
                printError("error: set BBF_CONFORMANCE_PASSWORD to the password of \(login) (it is never taken from the command line).")
                throw ExitCode(1)
            }
            endpoint = ServerEndpoint(host: host, port: port, login: login, password: password, database: database)
        }
        defer {
            interrupts?.cancel()
            server?.stop()
        }
        var options = RunOptions(endpoint: endpoint)
        options.multiDb = multiDb
        options.only = Set(test)
        options.limit = limit
        options.outputDirectory = output
        options.firstLines = lines
        let started = Date()
        let verbose = self.verbose
        let report = try ConformanceRunner(suite: loaded, options: options).run { result in
            guard verbose, result.status != .notRun else { return }
            let verdict = result.status == .exact ? "exact" : (result.differenceClass?.rawValue ?? "different")
            printError("\(result.name): \(verdict) (\(result.milliseconds) ms)")
        }
        if let json {
            try report.json().write(to: URL(fileURLWithPath: json))
        }
        print(report.text())
        print("took \(Int(Date().timeIntervalSince(started))) s")
        if let server, keepServer { printError("server directory kept: \(server.directory)") }
        let failing = report.count(.realBehaviour) + (strict ? report.count(.missingFeature) + report.count(.multiDbNaming) : 0)
        if failing > 0 { throw ExitCode(1) }
    }

    private func siblingEntrypoint() -> String {
        let executable = (try? FileSystem.symlinkTarget("/proc/self/exe")) ?? CommandLine.arguments[0]
        return FileSystem.parent(of: executable) + "/bbf-entrypoint"
    }
}

private func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Stops a throwaway server and exits when SIGINT or SIGTERM arrives.
private final class StopOnSignal: @unchecked Sendable {
    private let server: ThrowawayServer
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()

    init(_ server: ThrowawayServer) {
        self.server = server
        for signal in [SIGINT, SIGTERM] {
            Foundation.signal(signal, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler { [self] in
                lock.lock()
                printError("interrupted: stopping the throwaway server")
                self.server.stop()
                exit(128 + signal)
            }
            source.resume()
            sources.append(source)
        }
    }

    func cancel() {
        lock.lock()
        defer { lock.unlock() }
        for source in sources { source.cancel() }
        sources = []
    }
}
