import TDSWire

/// An exception as the upstream runner sees it (`SQLException`).
struct JDBCException: Error, Equatable {
    var code: Int32
    var message: String
    var sqlState: String
    /// The connection is gone (SQLState 08S01): the upstream runner prints
    /// "Remote server might have crashed." and ends the whole JVM.
    var isConnectionLoss: Bool { sqlState == "08S01" }

    static func database(_ message: ServerMessage) -> JDBCException {
        JDBCException(
            code: message.number, message: message.message, sqlState: JDBCStatement.sqlState(number: message.number, state: message.state))
    }

    static func driver(_ message: String, sqlState: String = "S0001") -> JDBCException {
        JDBCException(code: 0, message: message, sqlState: sqlState)
    }
}

/// mssql-jdbc 8.2.2's `SQLServerStatement` result processing for
/// `Statement.execute(sql)` on a forward-only, read-only statement, ported
/// token by token: which DONE counts as an update count, when an ERROR
/// becomes an exception, where warnings (INFO) are collected and where they
/// are dropped, and how a `ResultSet` reads rows up to its DONE.
struct JDBCStatement {
    private let tokens: [Token]
    private var position = 0
    private(set) var moreResults = true
    /// `Statement.getWarnings()` chain: every INFO read while looking for
    /// the next result (never those read while fetching rows).
    private(set) var warnings: [ServerMessage] = []
    private(set) var updateCount: Int64 = -1
    /// The open result set, if the current result is one.
    private(set) var resultSet: ResultSetState?
    /// Severity 20 and up closes the connection (SQLServerException.makeFromDatabaseError).
    private(set) var connectionClosed = false

    struct ResultSetState {
        var columns: [ColumnMetadata]
        var done = false
        var databaseError: ServerMessage?
        var currentRow: [TDSValue]?
    }

    init(tokens: [Token]) {
        self.tokens = tokens
    }

    private var peek: Token? { position < tokens.count ? tokens[position] : nil }

    // MARK: Statement

    /// `execute`: the first result; true when it is a result set.
    mutating func execute() throws(JDBCException) -> Bool {
        warnings = []
        updateCount = -1
        _ = try getNextResult()
        return resultSet != nil
    }

    /// `getMoreResults`.
    mutating func getMoreResults() throws(JDBCException) -> Bool {
        _ = try getNextResult()
        return resultSet != nil
    }

    private mutating func clearLastResult() {
        updateCount = -1
        if resultSet != nil {
            closeResultSet()
            resultSet = nil
        }
    }

    private mutating func raise(_ message: ServerMessage) throws(JDBCException) -> Never {
        if message.severity >= 20 { connectionClosed = true }
        throw JDBCException.database(message)
    }

    /// `getNextResult(true)`: the NextResult token handler.
    private mutating func getNextResult() throws(JDBCException) -> Bool {
        if connectionClosed { throw JDBCException.driver("The connection is closed.", sqlState: "08S01") }
        clearLastResult()
        if !moreResults { return false }
        var databaseError: ServerMessage?
        var statementDone: Done?
        var isResultSet = false
        var procedureReturnStatus = false
        parsing: while let token = peek {
            switch token {
            case .colMetadata:
                if statementDone == nil && databaseError == nil { isResultSet = true }
                break parsing  // left for the result set to read
            case .done(let done):
                position += 1
                if done.status.contains(.attention) { break parsing }
                if Self.isDMLOrDDL(done.currentCommand) {
                    let count = Self.updateCount(done)
                    // SET NOCOUNT ON: no valid count; skipped outside executeBatch.
                    if count == -1 { continue parsing }
                    statementDone = done
                    break parsing  // execute() returns every count, DONEINPROC too
                }
                if done.isFinal {
                    moreResults = false
                    break parsing
                }
                if done.status.contains(.error) { break parsing }
            case .error(let message):
                position += 1
                if databaseError == nil { databaseError = message }
            case .info(let message):
                position += 1
                warnings.append(message)
            case .returnStatus:
                position += 1
                procedureReturnStatus = true
            case .returnValue:
                if moreResults && !procedureReturnStatus {
                    position += 1
                    continue parsing
                }
                break parsing
            case .envChange, .order, .other:
                position += 1
            case .row:
                throw JDBCException.driver("The TDS protocol stream is not valid. Unexpected token TDS_ROW (0xD1).", sqlState: "08S01")
            case .loginAck, .featureExtAck:
                throw JDBCException.driver("The TDS protocol stream is not valid.", sqlState: "08S01")
            }
        }
        if let databaseError { try raise(databaseError) }
        if isResultSet {
            resultSet = try openResultSet()
            return true
        }
        if let statementDone {
            updateCount = Self.updateCount(statementDone)
            return true
        }
        updateCount = -1
        if !moreResults { return true }
        // End of the response without a final DONE.
        moreResults = false
        return false
    }

    // MARK: ResultSet

    /// The ClientCursorInitializer: COLMETADATA (and COLINFO/TABNAME/ORDER,
    /// INFO dropped) up to the first row, DONE or ERROR.
    private mutating func openResultSet() throws(JDBCException) -> ResultSetState {
        var columns: [ColumnMetadata] = []
        parsing: while let token = peek {
            switch token {
            case .colMetadata(let metadata):
                position += 1
                columns = metadata
            case .row, .error:
                break parsing
            case .done(let done):
                if done.kind == .done && done.status.contains(.error) {
                    position += 1
                    continue parsing
                }
                break parsing
            case .returnValue:
                throw JDBCException.driver(
                    "The TDS protocol stream is not valid. Unexpected token TDS_RETURN_VALUE (0xAC).", sqlState: "08S01")
            default:
                position += 1
            }
        }
        return ResultSetState(columns: columns)
    }

    /// `ResultSet.next()` through the FetchBuffer handler: the next row, or
    /// nil at the result's DONE; a database error read on the way throws.
    mutating func nextRow() throws(JDBCException) -> [TDSValue]? {
        guard var state = resultSet else { return nil }
        defer { resultSet = state }
        var row: [TDSValue]?
        parsing: while !state.done, let token = peek {
            switch token {
            case .row(let values, _):
                position += 1
                row = values
                break parsing
            case .done:
                position += 1
                state.done = true
            case .error(let message):
                position += 1
                if state.databaseError == nil { state.databaseError = message }
            case .colMetadata:
                position += 1  // read and ignored
            case .returnValue:
                throw JDBCException.driver(
                    "The TDS protocol stream is not valid. Unexpected token TDS_RETURN_VALUE (0xAC).", sqlState: "08S01")
            default:
                position += 1  // INFO is ignored here: no warning
            }
        }
        if peek == nil { state.done = true }
        if row == nil, let error = state.databaseError {
            resultSet = state
            try raise(error)
        }
        state.currentRow = row
        return row
    }

    /// `ResultSet.close()`: the rest of the rows are read and dropped.
    mutating func closeResultSet() {
        while resultSet.map({ !$0.done }) ?? false {
            do {
                if try nextRow() == nil { break }
            } catch {
                break
            }
        }
    }

    // MARK: DONE

    /// StreamDone.cmdIsDMLOrDDL: the commands whose DONE is an update count.
    static func isDMLOrDDL(_ command: UInt16) -> Bool {
        dmlCommands.contains(command) || ddlCommands.contains(command)
    }

    static let dmlCommands: Set<UInt16> = [0xC2, 0xC3, 0xC4, 0xC5, 0xF0, 0x117]
    static let ddlCommands: Set<UInt16> = [
        0x2E, 0x99, 0xB0, 0xB2, 0xB3, 0xB5, 0xB6, 0xC6, 0xC7, 0xC8, 0xC9, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF, 0xD0, 0xD7, 0xD8, 0xDD, 0xDE, 0xDF,
        0xE1, 0xE6, 0xE9, 0xEC, 0xED, 0xEE, 0x100, 0x10E, 0x10F, 0x110, 0x111, 0x112, 0x113, 0x114, 0x115, 0x116, 0x119, 0x11A, 0x11B,
        0x11C, 0x11D, 0x11E, 0x11F, 0x126, 0x127, 0x128, 0x129, 0x12A, 0x12B, 0x12C, 0x130, 0x131, 0x132, 0x135, 0x136, 0x137, 0x138,
        0x139, 0x13A, 0x13B, 0x13C, 0x13D, 0x13F, 0x140, 0x141, 0x142, 0x143, 0x144, 0x145, 0x146, 0x147, 0x148, 0x149, 0x14A, 0x14B,
        0x14C, 0x14D, 0x14E, 0x14F, 0x150, 0x151, 0x157, 0x158, 0x15A, 0x160, 0x161, 0x162, 0x166, 0x167, 0x168, 0x16E, 0x170, 0x171,
        0x172, 0x17D, 0x17E, 0x17F, 0x182, 0x183, 0x184, 0x18C, 0x198, 0x199, 0x19A, 0x19B, 0x19C, 0x1A1, 0x1A3, 0x1A4, 0x1A9,
    ]

    /// StreamDone.getUpdateCount: DML counts when valid (else -1), DDL 0.
    static func updateCount(_ done: Done) -> Int64 {
        guard dmlCommands.contains(done.currentCommand) else { return 0 }
        return done.status.contains(.count) ? Int64(truncatingIfNeeded: done.rowCount) : -1
    }

    /// SQLServerException.generateStateCode (xopenStates off).
    static func sqlState(number: Int32, state: UInt8) -> String {
        switch number {
        case 8152: return "22001"
        case 515, 547, 2601, 2627: return "23000"
        case 2714: return "S0001"
        case 208: return "S0002"
        case 1205: return "40001"
        default:
            let digits = String(state)
            return "S" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        }
    }
}
