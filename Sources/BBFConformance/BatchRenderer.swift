import TDSWire

/// The upstream runner's output for one batch (`JDBCStatement.testStatementWithFile`,
/// `CompareResults.processResults`, `writeResultSetToFile`, `writeWarningToFile`,
/// `HandleException.handleSQLExceptionWithFile`), given the batch's tokens.
public enum BatchRenderer {
    public struct Output: Equatable, Sendable {
        public var text: String
        /// The runner would have exited here ("Remote server might have crashed.").
        public var connectionLost: Bool
        /// The connection is closed for the rest of the file (severity >= 20).
        public var connectionClosed: Bool
    }

    /// Renders the results of a batch whose response is `tokens`, or of a
    /// batch that could not be sent or read (`transportError`).
    public static func render(tokens: [Token], transportError: String? = nil) -> Output {
        var out = ""
        if let transportError {
            out += error(JDBCException.driver(transportError, sqlState: "08S01"))
            return Output(text: out, connectionLost: true, connectionClosed: true)
        }
        var statement = JDBCStatement(tokens: tokens)
        var resultSetExists = false
        var warningsExist = false
        var resultsProcessed = 0
        do {
            resultSetExists = try statement.execute()
            warningsExist = !statement.warnings.isEmpty
        } catch {
            out += self.error(error)
            if error.isConnectionLoss { return Output(text: out, connectionLost: true, connectionClosed: true) }
            resultsProcessed += 1
        }
        while true {
            var updateCount: Int64 = -9
            var failed = true
            repeat {
                do {
                    if resultsProcessed > 0 { resultSetExists = try statement.getMoreResults() }
                    failed = false
                    updateCount = statement.updateCount
                } catch {
                    out += self.error(error)
                    if error.isConnectionLoss { return Output(text: out, connectionLost: true, connectionClosed: true) }
                }
                resultsProcessed += 1
            } while failed
            if !resultSetExists && updateCount == -1 { break }
            if warningsExist { out += warnings(statement.warnings) }
            if resultSetExists {
                out += resultSet(&statement)
            } else if updateCount > 0 {
                out += "~~ROW COUNT: \(updateCount)~~\n\n"
            }
        }
        return Output(text: out, connectionLost: false, connectionClosed: statement.connectionClosed)
    }

    /// `handleSQLExceptionWithFile` with outputErrorCode = true, for a SQLServerException.
    static func error(_ error: JDBCException) -> String {
        var out = "~~ERROR (Code: \(error.code))~~\n\n"
        if error.isConnectionLoss {
            out +=
                "Remote server might have crashed.\nError: \(error.code)\nSQL State: \(error.sqlState)\nError message: \(error.message)\n"
            return out
        }
        var message = error.message
        if let range = message.range(of: "ClientConnectionId") { message = String(message[..<range.lowerBound]) }
        out += "~~ERROR (Message: \(message))~~\n\n"
        return out
    }

    /// `writeWarningToFile`: the first warning's code, then every message of the chain on one line.
    static func warnings(_ chain: [ServerMessage]) -> String {
        guard let first = chain.first else { return "" }
        var out = "~~WARNING (Code: \(first.number))~~\n\n"
        for warning in chain {
            out +=
                "~~WARNING (Message: \(warning.message)  Server SQLState: \(JDBCStatement.sqlState(number: warning.number, state: warning.state)))~~"
        }
        return out + "\n\n"
    }

    /// `writeResultSetToFile`: type names, then each row; an exception ends the result set's output there.
    static func resultSet(_ statement: inout JDBCStatement) -> String {
        guard let columns = statement.resultSet?.columns else { return "" }
        var out = "~~START~~\n" + columns.map(\.sqlTypeName).joined(separator: "#!#") + "\n"
        do throws(JDBCException) {
            while let row = try statement.nextRow() {
                for (index, column) in columns.enumerated() {
                    let value = index < row.count ? row[index] : .null
                    switch JDBCValues.cell(value, column: column) {
                    case .null: out += "<NULL>"
                    case .text(let text): out += newlines(text)
                    case .driverError(let message): throw JDBCException.driver(message)
                    }
                    if index != columns.count - 1 { out += "#!#" }
                }
                out += "\n"
            }
            out += "~~END~~\n\n"
        } catch {
            out += self.error(error)
        }
        statement.closeResultSet()
        return out
    }

    /// `replaceAll("[\r\n]+", "<newline>")`.
    static func newlines(_ text: String) -> String {
        guard text.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return text }
        var out = ""
        var inBreak = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" || scalar == "\r" {
                if !inBreak { out += "<newline>" }
                inBreak = true
            } else {
                out.unicodeScalars.append(scalar)
                inBreak = false
            }
        }
        return out
    }
}
