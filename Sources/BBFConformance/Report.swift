import Foundation

/// The gate's outcome: per-file results and the figures.
public struct Report: Sendable, Codable {
    public var results: [TestResult]
    public var multiDb: Bool

    public var run: [TestResult] { results.filter { $0.status != .notRun } }
    public var exact: [TestResult] { results.filter { $0.status == .exact } }
    public func count(_ differenceClass: DifferenceClass) -> Int { results.filter { $0.differenceClass == differenceClass }.count }

    /// Exact matches over files run, in percent.
    public var matchRate: Double { run.isEmpty ? 0 : Double(exact.count) * 100 / Double(run.count) }

    /// Exact or a documented renderer limit: what the issue's target counts.
    public var passing: Int { exact.count + count(.rendererLimit) }

    /// The one summary line.
    public var summaryLine: String {
        let rate = (matchRate * 10).rounded() / 10
        let classes = DifferenceClass.allCases.filter { multiDb || $0 != .multiDbNaming }.map { "\($0.rawValue) \(count($0))" }
        let standalone = run.filter { Suite.prefix($0.name) == $0.name }
        let standaloneExact = standalone.filter { $0.status == .exact }.count
        return "conformance (\(multiDb ? "multi-db" : "single-db")): \(run.count) files run, \(exact.count) exact (\(rate)%); "
            + classes.joined(separator: ", ")
            + "; standalone (non -vu-) files \(standaloneExact)/\(standalone.count) exact; not run \(results.count - run.count)"
    }

    /// The full text report: each non-exact file with its class and first differing lines, then the figures.
    public func text(details: Bool = true) -> String {
        var out = ""
        let different = results.filter { $0.status == .different }
        for differenceClass in DifferenceClass.allCases {
            let files = different.filter { $0.differenceClass == differenceClass }
            if files.isEmpty { continue }
            out += "== \(differenceClass.rawValue): \(files.count) file(s)\n"
            for file in files {
                var header = "-- \(file.name) (\(file.hunks) difference(s)"
                if let feature = file.missingFeature { header += ", \(feature)" }
                header += ")"
                if let note = file.note { header += " — \(note)" }
                out += header + "\n"
                if details { out += file.firstDifferingLines.map { "   " + $0 }.joined(separator: "\n") + "\n" }
            }
        }
        let notRun = Dictionary(grouping: results.filter { $0.status == .notRun }, by: { $0.note.map(Self.reasonKind) ?? "?" })
        if !notRun.isEmpty {
            out += "== not run\n"
            for (reason, files) in notRun.sorted(by: { $0.key < $1.key }) { out += "   \(files.count) \(reason)\n" }
        }
        out += summaryLine + "\n"
        return out
    }

    static func reasonKind(_ note: String) -> String {
        note.hasPrefix("needs ") ? "need a skipped file of their prepare/verify/cleanup group" : note
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
