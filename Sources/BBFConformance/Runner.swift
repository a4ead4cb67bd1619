import Foundation
import TDSWire

/// Where the gate sends T-SQL.
public struct ServerEndpoint: Sendable {
    public var host: String
    public var port: Int
    public var login: String
    public var password: String
    /// The database the connection opens (upstream: master).
    public var database: String

    public init(host: String, port: Int, login: String, password: String, database: String) {
        self.host = host
        self.port = port
        self.login = login
        self.password = password
        self.database = database
    }

    /// LOGIN7 as mssql-jdbc 8.2.2 sends it (application and library names,
    /// packet size 8000, ODBC defaults on): some tests print these.
    func connectionOptions() -> TDSConnection.Options {
        var options = TDSConnection.Options(
            host: host, port: port, userName: login, password: password, database: database,
            applicationName: "Microsoft JDBC Driver for SQL Server")
        options.login.packetSize = 8000
        options.login.libraryName = "Microsoft JDBC Driver 8.2"
        options.login.clientProgramVersion = [0, 2, 2, 8]
        options.login.serverName = host
        options.login.hostName = ProcessInfo.processInfo.hostName
        options.readTimeoutMilliseconds = 600_000
        return options
    }
}

/// What happened to one test.
public struct TestResult: Sendable, Codable {
    public enum Status: String, Sendable, Codable {
        case exact
        case different
        /// Not a plain-batch file, or one that needs a file this gate skips.
        case notRun = "not run"
    }

    public var name: String
    public var kind: Suite.Kind
    public var status: Status
    public var differenceClass: DifferenceClass?
    public var missingFeature: String?
    public var note: String?
    public var firstDifferingLines: [String] = []
    public var hunks = 0
    public var milliseconds = 0
    /// The runner would have ended the whole suite here (connection lost).
    public var connectionLost = false
}

public struct RunOptions: Sendable {
    public var endpoint: ServerEndpoint
    public var multiDb = false
    /// Only these tests (by name; all when empty), still in upstream order.
    public var only: Set<String> = []
    public var limit: Int?
    public var outputDirectory: String?
    public var firstLines = 12

    public init(endpoint: ServerEndpoint) {
        self.endpoint = endpoint
    }
}

/// Runs a suite's plain-batch files in upstream order against one server.
public struct ConformanceRunner {
    public let suite: Suite
    public let options: RunOptions

    public init(suite: Suite, options: RunOptions) {
        self.suite = suite
        self.options = options
    }

    public func run(progress: (TestResult) -> Void = { _ in }) throws -> Report {
        if let directory = options.outputDirectory {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var databases: Set<String> = ["master", "tempdb", "msdb", "jdbc_testdb"]
        var results: [TestResult] = []
        var selected = suite.tests.filter { options.only.isEmpty || options.only.contains($0.name) }
        if let limit = options.limit { selected = Array(selected.prefix(limit)) }
        for test in selected {
            if test.kind == .plainBatch, let text = try? String(contentsOfFile: test.path, encoding: .utf8) {
                databases.formUnion(Rules.databaseNames(in: text))
            }
            let result = try runOne(test, databases: databases)
            results.append(result)
            progress(result)
        }
        return Report(results: results, multiDb: options.multiDb)
    }

    func runOne(_ test: Suite.Test, databases: Set<String>) throws -> TestResult {
        var result = TestResult(name: test.name, kind: test.kind, status: .notRun)
        guard test.kind == .plainBatch else {
            result.note = test.kind.rawValue
            return result
        }
        if let dependency = suite.dependsOnSkippedFile(test) {
            result.note = "needs \(dependency.name) (\(dependency.kind.rawValue)), which this gate does not run"
            return result
        }
        guard let expectedPath = test.expectedPath else {
            result.note = "no expected output"
            return result
        }
        let started = Date()
        let input = String(decoding: try Data(contentsOf: URL(fileURLWithPath: test.path)), as: UTF8.self)
        let run = FileRun.run(InputScript(text: input), endpoint: options.endpoint)
        result.milliseconds = Int(Date().timeIntervalSince(started) * 1000)
        result.connectionLost = run.connectionLost
        if let directory = options.outputDirectory {
            try Data(run.output.utf8).write(to: URL(fileURLWithPath: directory + "/" + test.name + ".out"))
        }
        let expected = String(decoding: try Data(contentsOf: URL(fileURLWithPath: expectedPath)), as: UTF8.self)
        let diff = LineDiff(
            expected: expected, actual: run.output, ignoring: test.expectedFromSQLServer ? { $0.contains("~~ERROR") } : nil)
        if diff.isEmpty {
            result.status = .exact
            return result
        }
        result.status = .different
        result.hunks = diff.hunks.count
        result.firstDifferingLines = diff.firstLines(options.firstLines)
        let (differenceClass, feature) = Rules.classify(
            test: test.name, diff: diff, multiDb: options.multiDb, databases: databases, batchAt: run.batch(at:))
        result.differenceClass = differenceClass
        result.missingFeature = feature
        if run.connectionLost { result.note = "the connection was lost: upstream's runner would have stopped the whole suite here" }
        if let failure = run.connectFailure { result.note = "could not connect: \(failure)" }
        return result
    }
}

/// One file through one fresh connection, as TestQueryFile does.
enum FileRun {
    struct Outcome {
        var output: String
        var connectionLost = false
        var connectFailure: String?
        /// Each batch's SQL and the 0-based output line where its echo starts.
        var batches: [(line: Int, sql: String)] = []

        /// The SQL of the batch whose output holds line `line`.
        func batch(at line: Int) -> String? {
            batches.last { $0.line <= line }?.sql
        }
    }

    static func run(_ script: InputScript, endpoint: ServerEndpoint) -> Outcome {
        var outcome = Outcome(output: "")
        let connection: TDSConnection
        do {
            connection = try TDSConnection(endpoint.connectionOptions())
        } catch {
            outcome.connectFailure = "\(error)"
            return outcome
        }
        defer { connection.close() }
        var closed = false
        for item in script.items {
            switch item {
            case .echo(let line):
                outcome.output += line + "\n"
            case .batch(let sql, let goLine, _):
                outcome.batches.append((outcome.output.utf8.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }, sql))
                outcome.output += sql
                if closed {
                    outcome.output += BatchRenderer.error(JDBCException.driver("The connection is closed.", sqlState: "08S01"))
                    outcome.connectionLost = true
                    return outcome
                }
                outcome.output += goLine + "\n"
                let rendered: BatchRenderer.Output
                do {
                    rendered = BatchRenderer.render(tokens: try connection.execute(sql))
                } catch {
                    rendered = BatchRenderer.render(tokens: [], transportError: "\(error)")
                }
                outcome.output += rendered.text
                if rendered.connectionLost {
                    outcome.connectionLost = true
                    return outcome
                }
                closed = rendered.connectionClosed
            }
        }
        return outcome
    }
}
