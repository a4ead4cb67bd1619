import Foundation
import Testing

@testable import BBFConformance

@Suite("Reading upstream inputs, schedule and order")
struct SuiteTests {
    @Test("A batch ends at a line that is exactly GO; blank and # lines are echoed, never sent")
    func batches() {
        let script = InputScript(
            text: "create table t(a int)\ngo\n\n# note\nselect 1 -- GO\n/*\nGO\n*/\nGO 2\nGo\nselect 2\n")
        #expect(
            script.items == [
                .batch(sql: "create table t(a int)\n", goLine: "go", firstLine: 1),
                .echo(""),
                .echo("# note"),
                .batch(sql: "select 1 -- GO\n/*\n", goLine: "GO", firstLine: 5),
                .batch(sql: "*/\nGO 2\n", goLine: "Go", firstLine: 8),
            ])
        #expect(script.trailingLines == 1)
    }

    @Test("-- sla and -- parallel_query_expected lines are consumed; JDBC API lines are found")
    func directives() {
        let script = InputScript(
            text: "-- sla 80000\n-- parallel_query_expected\nselect 1\nGO\nprepst#!#select ?#!#int|-|a|-|1\r\ntxn#!#begin\n")
        #expect(script.items == [.batch(sql: "select 1\n", goLine: "GO", firstLine: 3)])
        #expect(script.apiLines == [5, 6])
    }

    @Test("Lines end at \\n, \\r or \\r\\n, as BufferedReader.readLine")
    func javaLines() {
        #expect(InputScript.javaLines("a\r\nb\rc\n\nd") == ["a", "b", "c", "", "d"])
        #expect(InputScript.javaLines("a\n") == ["a"])
        #expect(InputScript.javaLines("") == [])
    }

    @Test("Upstream order: by prefix, then prepare, verify, cleanup, and the plain file last")
    func order() {
        let names = ["b", "a-vu-verify", "a", "a-vu-cleanup", "A_upper", "a-vu-prepare", "a_b"]
        #expect(Suite.upstreamOrder(names) == ["A_upper", "a-vu-prepare", "a-vu-verify", "a-vu-cleanup", "a", "a_b", "b"])
        #expect(Suite.prefix("x-y-vu-prepare") == "x-y")
        #expect(Suite.stripExtension("t.sql") == "t" && Suite.stripExtension("t.a.mix") == "t.a")
    }

    @Test("A suite directory: schedule all and ignore, kinds, expected and sql_expected, dependencies")
    func loading() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("suite-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        func write(_ path: String, _ text: String) throws {
            let full = root + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }
        try write("jdbc_schedule", "# comment\nall\n\nignore#!#skipme\n")
        try write("input/plain.sql", "select 1\nGO\n")
        try write("input/sub/api.sql", "select 1\nGO\ncursor#!#open#!#select 1\n")
        try write("input/skipme.sql", "select 1\nGO\n")
        try write("input/p-vu-prepare.mix", "-- tsql\nselect 1\nGO\n")
        try write("input/p-vu-verify.sql", "select 1\nGO\n")
        try write("input/q.txt", "prepst#!#select 1\n")
        try write("expected/plain.out", "")
        try write("sql_expected/p-vu-verify.out", "")
        let suite = try Suite(root: root)
        #expect(suite.tests.map(\.name) == ["api", "p-vu-prepare", "p-vu-verify", "plain", "q"])
        #expect(suite.tests.map(\.kind) == [.sqlWithAPICalls, .crossDialect, .plainBatch, .plainBatch, .apiScript])
        #expect(suite.ignored == ["skipme"])
        let verify = try #require(suite.tests.first { $0.name == "p-vu-verify" })
        #expect(verify.expectedFromSQLServer && suite.dependsOnSkippedFile(verify)?.name == "p-vu-prepare")
        #expect(suite.tests.first { $0.name == "plain" }.map { suite.dependsOnSkippedFile($0) } == .some(nil))
        #expect(throws: Suite.LoadError.self) { try Suite(root: root + "/input") }
    }
}

@Suite("Diffs and their classification")
struct ClassificationTests {
    @Test("Hunks of removed and added lines; a missing final newline is a difference")
    func diff() {
        let diff = LineDiff(expected: "a\nb\nc\nd\n", actual: "a\nB\nc\nd\ne\n")
        #expect(diff.hunks.count == 2)
        #expect(diff.hunks[0].removed == ["b"] && diff.hunks[0].added == ["B"] && diff.hunks[0].expectedStart == 1)
        #expect(diff.hunks[1].removed == [] && diff.hunks[1].added == ["e"])
        #expect(!LineDiff(expected: "a\n", actual: "a").isEmpty)
        #expect(LineDiff(expected: "x\n", actual: "x\n").isEmpty)
        #expect(diff.firstLines(3) == ["@@ expected line 2, ours line 2 @@", "-b", "+B"])
    }

    @Test("sql_expected files are compared without hunks made only of ~~ERROR lines, as diff -I ~~ERROR")
    func ignoringErrors() {
        let diff = LineDiff(expected: "x\n~~ERROR (Code: 1)~~\n", actual: "x\n~~ERROR (Code: 2)~~\n", ignoring: { $0.contains("~~ERROR") })
        #expect(diff.isEmpty)
    }

    func classify(_ expected: String, _ actual: String, multiDb: Bool = false, test: String = "t") -> (DifferenceClass, String?) {
        Rules.classify(test: test, diff: LineDiff(expected: expected, actual: actual), multiDb: multiDb, databases: ["master", "db1"])
    }

    @Test("Missing features are recognised by the error our run prints, and claim the whole file")
    func missingFeatures() {
        let expected = "select set_config('babelfishpg_tsql.enable_pg_hint', 'on', false)\nGO\n~~START~~\ntext\non\n~~END~~\n\nplan A\n"
        let ours =
            "select set_config('babelfishpg_tsql.enable_pg_hint', 'on', false)\nGO\n~~ERROR (Code: 33557097)~~\n\n~~ERROR (Message: could not access file \"pg_hint_plan\": No such file or directory)~~\n\nplan B\n"
        #expect(classify(expected, ours) == (.missingFeature, "pg_hint_plan"))
        #expect(
            classify("x\n", "~~ERROR (Message: invalid value for parameter \"lc_numeric\": \"en_US.UTF-8\")~~\n").1 == "culture locales")
        #expect(classify("x\n", "~~ERROR (Message: type \"geometry\" does not exist)~~\n").1 == "spatial types (PostGIS)")
        // The word alone in echoed SQL is not an error.
        #expect(classify("select 1 as geometry\nx\n", "select 1 as geometry\ny\n").0 == .realBehaviour)
    }

    @Test("Multi-db naming: db1_dbo against dbo, and single-db's one-database rule")
    func multiDbNaming() {
        #expect(classify("~~START~~\nvarchar\ndbo\n", "~~START~~\nvarchar\ndb1_dbo\n", multiDb: true).0 == .multiDbNaming)
        #expect(classify("~~START~~\nvarchar\ndbo\n", "~~START~~\nvarchar\ndb1_dbo\n", multiDb: false).0 == .realBehaviour)
        #expect(
            classify(
                "~~ERROR (Message: Only one user database allowed under single-db mode. User database \"db1\" already exists)~~\n", "",
                multiDb: true
            ).0
                == .multiDbNaming)
    }

    @Test("Renderer limits match their documented line pattern only")
    func rendererLimits() {
        #expect(classify("~~START~~\nsql_variant\n[B@1b6d3586\n", "~~START~~\nsql_variant\n[B@0a0b0c0d\n").0 == .rendererLimit)
        #expect(classify("1.0\n", "1.00\n").0 == .realBehaviour)
        #expect(Rules.rendererLimits.allSatisfy { !$0.reason.isEmpty })
    }

    @Test("The summary line counts files run, exact matches and each class")
    func summary() {
        var exact = TestResult(name: "a", kind: .plainBatch, status: .exact)
        exact.milliseconds = 1
        var limit = TestResult(name: "b-vu-verify", kind: .plainBatch, status: .different)
        limit.differenceClass = .rendererLimit
        var feature = TestResult(name: "c", kind: .plainBatch, status: .different)
        feature.differenceClass = .missingFeature
        feature.missingFeature = "pg_hint_plan"
        let skipped = TestResult(name: "d", kind: .crossDialect, status: .notRun, note: ".mix (cross-dialect)")
        let report = Report(results: [exact, limit, feature, skipped], multiDb: false)
        #expect(
            report.summaryLine
                == "conformance (single-db): 3 files run, 1 exact (33.3%); renderer limit 1, missing feature 1, real behaviour 0; standalone (non -vu-) files 1/2 exact; not run 1"
        )
        #expect(report.passing == 2)
        #expect(report.text().contains("== missing feature: 1 file(s)\n-- c (0 difference(s), pg_hint_plan)"))
    }
}

@Suite("Missing features without an error")
struct AbsentRowTests {
    @Test("Catalog rows of geometry/geography missing from ours: spatial types, claiming the file's other differences")
    func spatialRows() {
        let diff = LineDiff(expected: "a\ngeography#!#-1\ngeometry#!#-1\nz\n2\n", actual: "a\nz\n0\n")
        #expect(Rules.classify(test: "t", diff: diff, multiDb: false, databases: []) == (.missingFeature, "spatial types (PostGIS)"))
        let other = LineDiff(expected: "a\nint#!#4\n", actual: "a\n")
        #expect(Rules.classify(test: "t", diff: other, multiDb: false, databases: []).0 == .realBehaviour)
    }
}

@Suite("Multi-db mode differences")
struct MultiDbModeTests {
    @Test("Physical-name queries, single-db tests and reordered prefixed rows are the mode's; other changes stay real")
    func modeDependent() {
        let counts = LineDiff(expected: "x\n1\n", actual: "x\n0\n")
        let readsRoles: (Int) -> String? = { _ in "SELECT COUNT(*) FROM pg_roles WHERE rolname = 'dbo';\n" }
        #expect(Rules.classify(test: "t", diff: counts, multiDb: true, databases: [], batchAt: readsRoles).0 == .multiDbNaming)
        #expect(Rules.classify(test: "t", diff: counts, multiDb: false, databases: [], batchAt: readsRoles).0 == .realBehaviour)
        #expect(Rules.classify(test: "t", diff: counts, multiDb: true, databases: [], batchAt: { _ in "SELECT 1" }).0 == .realBehaviour)
        #expect(Rules.classify(test: "Test_rename_db_single-db", diff: counts, multiDb: true, databases: []).0 == .multiDbNaming)
        let refused = LineDiff(
            expected:
                "CREATE DATABASE db2;\nGO\n~~ERROR (Message: Only one user database allowed under single-db mode.)~~\nUSE db2;\nGO\n~~ERROR (Message: database \"db2\" does not exist)~~\n",
            actual: "CREATE DATABASE db2;\nGO\nUSE db2;\nGO\n")
        #expect(Rules.classify(test: "t", diff: refused, multiDb: true, databases: []).0 == .multiDbNaming)
        let moved = LineDiff(expected: "a\ndb_owner#!#db1\ndbo#!#db1\nz\n", actual: "a\ndb1_db_owner#!#db1\nz\ndb1_dbo#!#db1\n")
        #expect(Rules.classify(test: "t", diff: moved, multiDb: true, databases: ["db1"]).0 == .multiDbNaming)
    }
}
