import BBFEntrypoint
import Foundation
import TDSClient

/// `bbf dev sql FILE.tsql`: the file's `GO` batches over TDS, one after
/// another, stopping at the first that fails (like `sqlcmd -b`).
public enum SQLScript {
    /// Splits the script, naming the file in errors.
    public static func batches(_ text: String, file: String) throws(DevError) -> [TSQLBatch] {
        do {
            return try TSQLBatches.split(text)
        } catch {
            throw DevError(.sql, "\(file): \(error)")
        }
    }

    /// Runs every batch, printing result sets and messages through `print`.
    public static func run(
        _ batches: [TSQLBatch], file: String, connection: TDSConnection, print: (String) -> Void
    ) throws(DevError) -> Int {
        var count = 0
        for batch in batches {
            for _ in 0..<batch.repeatCount {
                let result: TDSBatchResult
                do {
                    result = try connection.execute(batch.text)
                } catch {
                    throw DevError(.sql, "\(file): the batch at line \(batch.firstLine) failed:\n\(error)")
                }
                count += 1
                for message in result.messages where !message.text.isEmpty && message.number != 5701 && message.number != 5703 {
                    print(message.text)
                }
                for set in result.resultSets { print(render(set)) }
            }
        }
        return count
    }

    /// A result set as an aligned text table with a row count. Pure.
    public static func render(_ set: TDSResultSet) -> String {
        let header = set.columns.map { $0.isEmpty ? "(no name)" : $0 }
        let rows = set.rows.map { $0.map { $0 ?? "NULL" } }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            .joined(separator: "  ")
        }
        var lines = [line(header), line(widths.map { String(repeating: "-", count: $0) })]
        lines += rows.map(line)
        lines.append("(\(rows.count) row\(rows.count == 1 ? "" : "s") affected)")
        return lines.joined(separator: "\n")
    }
}
