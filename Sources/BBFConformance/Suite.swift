import Foundation

/// An extracted upstream `test/JDBC` directory: its inputs, expected
/// outputs and schedule, and the order the upstream runner uses.
public struct Suite: Sendable {
    public enum Kind: String, Sendable, Codable {
        /// `.sql` batches split on GO: what this gate runs.
        case plainBatch = "plain batch"
        /// `.sql` with lines the upstream runner sends through a JDBC API.
        case sqlWithAPICalls = ".sql with JDBC API lines"
        /// `.txt`: prepared statements, stored procedure calls, cursors, transactions.
        case apiScript = ".txt (JDBC API script)"
        /// `.mix`: T-SQL and PostgreSQL connections in one file.
        case crossDialect = ".mix (cross-dialect)"
        /// The runner's own Java test (`temp_table_jdbc`) or another kind of file.
        case other = "other"
    }

    public struct Test: Sendable, Equatable {
        /// The file name without its extension (what the schedule names).
        public var name: String
        public var path: String
        public var kind: Kind
        /// `expected/<name>.out`, else `sql_expected/<name>.out` (compared without `~~ERROR` lines).
        public var expectedPath: String?
        public var expectedFromSQLServer: Bool
    }

    public var root: String
    /// Every test the schedule selects, in the upstream order.
    public var tests: [Test]
    /// Names the schedule ignores (`ignore#!#name`).
    public var ignored: Set<String>

    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Loads `root` (a `test/JDBC` directory holding `input/`, `expected/`, `jdbc_schedule`).
    public init(root: String, schedule: String? = nil) throws {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: root + "/input", isDirectory: &isDirectory), isDirectory.boolValue else {
            throw LoadError(
                description:
                    "\(root) is not an extracted upstream test/JDBC directory (no input/ in it): pass the test/JDBC directory of the babelfish_extensions tag, e.g. .../babelfish_extensions-BABEL_4_2_0/test/JDBC"
            )
        }
        let schedulePath = schedule ?? root + "/jdbc_schedule"
        guard let scheduleText = try? String(contentsOfFile: schedulePath, encoding: .utf8) else {
            throw LoadError(
                description: "cannot read the schedule \(schedulePath): pass --schedule FILE or a directory that holds jdbc_schedule")
        }
        self.root = root
        let entries = Self.scheduleEntries(scheduleText)
        ignored = Set(entries.compactMap { $0.hasPrefix("ignore#!#") ? String($0.dropFirst("ignore#!#".count)) : nil })
        let files = try Self.inputFiles(root + "/input")
        var selected: [(String, String)] = []
        for entry in entries where !entry.hasPrefix("ignore#!#") && !entry.hasPrefix("cmd#!#") {
            for (name, path) in files where entry == "all" || entry == name {
                selected.append((name, path))
            }
        }
        tests = Self.upstreamOrder(selected.map(\.0)).compactMap { name in
            guard let path = selected.first(where: { $0.0 == name })?.1 else { return nil }
            return Self.test(name: name, path: path, root: root)
        }
        tests = tests.filter { !ignored.contains($0.name) }
    }

    /// Non-comment, non-blank schedule lines.
    static func scheduleEntries(_ text: String) -> [String] {
        InputScript.javaLines(text).filter { !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }

    /// Every file under `input/` (dot files skipped), by name without its extension.
    static func inputFiles(_ directory: String) throws -> [(String, String)] {
        var out: [(String, String)] = []
        let manager = FileManager.default
        for entry in try manager.contentsOfDirectory(atPath: directory).sorted() where !entry.hasPrefix(".") {
            let path = directory + "/" + entry
            var isDirectory: ObjCBool = false
            _ = manager.fileExists(atPath: path, isDirectory: &isDirectory)
            if isDirectory.boolValue {
                out += try inputFiles(path)
            } else {
                out.append((stripExtension(entry), path))
            }
        }
        return out
    }

    /// `replaceFirst("[.][^.]+$", "")`.
    static func stripExtension(_ name: String) -> String {
        guard let dot = name.lastIndex(of: "."), name.index(after: dot) < name.endIndex else { return name }
        return String(name[..<dot])
    }

    /// The part before `-vu-prepare`, `-vu-verify` or `-vu-cleanup`.
    public static func prefix(_ name: String) -> String {
        for marker in ["-vu-prepare", "-vu-verify", "-vu-cleanup"] {
            if let range = name.range(of: marker) { return String(name[..<range.lowerBound]) }
        }
        return name
    }

    static func orderRank(_ name: String) -> Int {
        if name.contains("-vu-prepare") { return 0 }
        if name.contains("-vu-verify") { return 1 }
        if name.contains("-vu-cleanup") { return 2 }
        return 3
    }

    /// TestQueryFile.inputFileNames: a stable sort by prefix (Java's
    /// `String.compareTo`, UTF-16 code units), then prepare, verify,
    /// cleanup, and the plain file last within each prefix.
    public static func upstreamOrder(_ names: [String]) -> [String] {
        names.enumerated().sorted { a, b in
            let pa = Array(prefix(a.element).utf16)
            let pb = Array(prefix(b.element).utf16)
            if pa != pb { return pa.lexicographicallyPrecedes(pb) }
            let ra = orderRank(a.element)
            let rb = orderRank(b.element)
            if ra != rb { return ra < rb }
            return a.offset < b.offset
        }.map(\.element)
    }

    static func test(name: String, path: String, root: String) -> Test {
        let manager = FileManager.default
        var expected: String? = root + "/expected/" + name + ".out"
        var fromSQLServer = false
        if let candidate = expected, !manager.fileExists(atPath: candidate) {
            let sqlServer = root + "/sql_expected/" + name + ".out"
            expected = manager.fileExists(atPath: sqlServer) ? sqlServer : nil
            fromSQLServer = expected != nil
        }
        let kind: Kind
        if name == "temp_table_jdbc" {
            kind = .other
        } else if path.hasSuffix(".mix") {
            kind = .crossDialect
        } else if path.contains(".sql") {
            let text = (try? Data(contentsOf: URL(fileURLWithPath: path))).map { String(decoding: $0, as: UTF8.self) } ?? ""
            kind = InputScript(text: text).apiLines.isEmpty ? .plainBatch : .sqlWithAPICalls
        } else if path.hasSuffix(".txt") {
            kind = .apiScript
        } else {
            kind = .other
        }
        return Test(name: name, path: path, kind: kind, expectedPath: expected, expectedFromSQLServer: fromSQLServer)
    }

    /// Dependencies outside the -vu- naming convention: `pgr_zzz_clean_up`
    /// drops the tables that `pgr_000_test_setup.mix` creates (with the
    /// pg_regress `load_*.sh` scripts).
    public static let knownDependencies: [String: String] = ["pgr_zzz_clean_up": "pgr_000_test_setup"]

    /// A plain-batch test whose prepare/verify/cleanup group also holds a
    /// file this gate does not run: its state would be missing.
    public func dependsOnSkippedFile(_ test: Test) -> Test? {
        if let setup = Self.knownDependencies[test.name], let needed = tests.first(where: { $0.name == setup }), needed.kind != .plainBatch
        {
            return needed
        }
        let group = Self.prefix(test.name)
        guard group != test.name else { return nil }
        return tests.first { Self.prefix($0.name) == group && $0.name != group && $0.kind != .plainBatch }
    }
}
