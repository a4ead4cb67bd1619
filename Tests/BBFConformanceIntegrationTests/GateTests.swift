import BBFConformance
import BBFSystem
import Foundation
import Testing

/// The conformance gate on a handful of upstream files, and its command line.
@Suite("The conformance gate", .serialized, .timeLimit(.minutes(20)))
struct GateTests {
    @Test(
        "A handful of upstream files in one throwaway single-db server: every file run, the summary's shape",
        .enabled(if: Gate.babelfishHome != nil && Gate.jdbcSuite != nil, Gate.suiteSkip))
    func handful() throws {
        let suite = try Suite(root: try #require(Gate.jdbcSuite))
        let plain = suite.tests.filter { $0.kind == .plainBatch && suite.dependsOnSkippedFile($0) == nil && $0.expectedPath != nil }
        let chosen = Set(plain.prefix(5).map(\.name))
        #expect(chosen.count == 5)
        let server = try Gate.server()
        defer { server.stop() }
        var options = RunOptions(endpoint: server.endpoint)
        options.only = chosen
        let report = try ConformanceRunner(suite: suite, options: options).run()
        #expect(report.run.count == 5)
        #expect(Set(report.run.map(\.name)) == chosen)
        for result in report.run where result.status != .exact {
            #expect(result.differenceClass != nil && !result.firstDifferingLines.isEmpty, "\(result.name)")
        }
        let line = report.summaryLine
        #expect(line.hasPrefix("conformance (single-db): 5 files run, \(report.exact.count) exact ("))
        #expect(line.contains("renderer limit \(report.count(.rendererLimit)), missing feature \(report.count(.missingFeature))"))
        #expect(line.contains("real behaviour \(report.count(.realBehaviour))"))
        print(report.text())
    }

    @Test("bbf conformance names what is wrong with its input and exits 1")
    func badInput() throws {
        let bbf = Gate.sibling("bbf")
        let empty = try FileSystem.makeTemporaryDirectory(prefix: "bbf-conformance-input-")
        defer { try? FileSystem.removeTree(empty) }
        let notASuite = try Command.run(bbf, ["conformance", "--suite", empty, "--host", "127.0.0.1", "--port", "1"], environment: [:])
        #expect(notASuite.status == .exited(1))
        #expect(notASuite.standardError.contains("no input/ in it"))
        try FileSystem.createDirectory(empty + "/input")
        try FileSystem.writeAtomically(empty + "/jdbc_schedule", "all\n", permissions: 0o644)
        let noServer = try Command.run(bbf, ["conformance", "--suite", empty], environment: [:])
        #expect(noServer.status == .exited(1) && noServer.standardError.contains("--babelfish-home"))
        let noPassword = try Command.run(bbf, ["conformance", "--suite", empty, "--host", "127.0.0.1", "--port", "1"], environment: [:])
        #expect(noPassword.status == .exited(1) && noPassword.standardError.contains("BBF_CONFORMANCE_PASSWORD"))
    }
}
