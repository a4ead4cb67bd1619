/// An upstream `.sql` input file as the upstream runner (`batch_run.java`)
/// reads it: line by line; a line that is exactly `GO` (any case, nothing
/// else on it) ends a batch; empty lines and lines starting with `#` are
/// copied to the output and never sent; `-- sla N` and
/// `-- parallel_query_expected` lines are consumed; lines starting with a
/// JDBC API keyword (`prepst`, `storedproc`, `txn`, `cursor`, `java_auth`,
/// `insertbulk`, `dbmeta`) are API calls, not SQL. Text after the last `GO`
/// is never run.
///
/// This is deliberately not the entrypoint's sqlcmd-style splitter
/// (`TSQLBatches`): upstream splits on the exact line `GO` even inside a
/// comment or string, treats `GO 2` as SQL, and echoes its input into the
/// output, all of which the expected files depend on.
public struct InputScript: Equatable, Sendable {
    public enum Item: Equatable, Sendable {
        /// Copied to the output as it is, with a newline.
        case echo(String)
        /// Sent as one SQL batch: `sql` (each line followed by "\n"), and the
        /// `GO` line as it was written.
        case batch(sql: String, goLine: String, firstLine: Int)
    }

    public var items: [Item]
    /// Lines (1-based) that upstream runs through a JDBC API, not as SQL.
    public var apiLines: [Int]
    /// Lines of an unterminated last batch (never run upstream).
    public var trailingLines: Int

    static let apiPrefixes = ["prepst", "storedproc", "txn", "cursor", "java_auth", "insertbulk", "dbmeta"]

    public init(text: String) {
        var items: [Item] = []
        var apiLines: [Int] = []
        var batch = ""
        var batchStart = 0
        var batchLines = 0
        for (index, line) in Self.javaLines(text).enumerated() {
            let number = index + 1
            if line.isEmpty || line.hasPrefix("#") {
                items.append(.echo(line))
                continue
            }
            if line.hasPrefix("dotnet_auth") { continue }
            if Self.apiPrefixes.contains(where: { line.hasPrefix($0) }) {
                apiLines.append(number)
                continue
            }
            let lower = line.lowercased()
            if lower.hasPrefix("-- sla") || lower.hasPrefix("-- parallel_query_expected") { continue }
            if line.lowercased() == "go" {
                items.append(.batch(sql: batch, goLine: line, firstLine: batchStart))
                batch = ""
                batchLines = 0
                continue
            }
            if batchLines == 0 { batchStart = number }
            batch += line + "\n"
            batchLines += 1
        }
        self.items = items
        self.apiLines = apiLines
        self.trailingLines = batchLines
    }

    /// `BufferedReader.readLine`: lines end at "\n", "\r" or "\r\n"; a last
    /// line without a terminator still counts; no empty line after a final terminator.
    static func javaLines(_ text: String) -> [String] {
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        var previousWasCR = false
        var pending = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" && previousWasCR {
                previousWasCR = false
                continue
            }
            previousWasCR = false
            if scalar == "\n" || scalar == "\r" {
                lines.append(String(current))
                current = String.UnicodeScalarView()
                previousWasCR = scalar == "\r"
                pending = false
                continue
            }
            current.append(scalar)
            pending = true
        }
        if pending { lines.append(String(current)) }
        return lines
    }

    public var batchCount: Int {
        items.reduce(0) { count, item in if case .batch = item { return count + 1 } else { return count } }
    }
}
