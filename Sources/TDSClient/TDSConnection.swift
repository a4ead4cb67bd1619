import CSybDB

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A message the server sent (errors, warnings, PRINT output).
public struct TDSMessage: Sendable, Equatable, CustomStringConvertible {
    public var number: Int
    public var severity: Int
    public var state: Int
    public var line: Int
    public var procedure: String?
    public var text: String

    /// Severity above 10 is an error; 10 and below is information.
    public var isError: Bool { severity > 10 }

    public var description: String {
        var location = ""
        if let procedure, !procedure.isEmpty { location += ", Procedure \(procedure)" }
        if line > 0 { location += ", Line \(line)" }
        return "Msg \(number), Level \(severity), State \(state)\(location): \(text)"
    }
}

/// A failure talking TDS: the client library's complaints and the server's messages.
public struct TDSError: Error, CustomStringConvertible, Sendable {
    public var summary: String
    public var messages: [TDSMessage]
    public var clientErrors: [String]

    public var description: String {
        var lines = [summary]
        lines += messages.filter(\.isError).map(\.description)
        lines += clientErrors
        return lines.joined(separator: "\n")
    }
}

/// One result set: column names and rows as text (NULL is nil).
public struct TDSResultSet: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[String?]]
}

/// What a batch produced.
public struct TDSBatchResult: Sendable {
    public var resultSets: [TDSResultSet]
    /// Informational messages (PRINT, database context changes).
    public var messages: [TDSMessage]
}

/// db-lib keeps its handlers process-global; this process uses one connection at a time.
private enum DBLibState {
    nonisolated(unsafe) static var messages: [TDSMessage] = []
    nonisolated(unsafe) static var clientErrors: [String] = []

    static func take() -> ([TDSMessage], [String]) {
        defer {
            messages = []
            clientErrors = []
        }
        return (messages, clientErrors)
    }
}

private let dbLibInitialized: Bool = {
    guard dbinit() == SUCCEED else { return false }
    dberrhandle { _, _, _, _, text, osText in
        var message = text.map { String(cString: $0) } ?? "db-lib error"
        if let osText, osText.pointee != 0 { message += " (\(String(cString: osText)))" }
        DBLibState.clientErrors.append(message)
        return INT_CANCEL
    }
    dbmsghandle { _, number, state, severity, text, _, procedure, line in
        DBLibState.messages.append(
            TDSMessage(
                number: Int(number), severity: Int(severity), state: Int(state), line: Int(line),
                procedure: procedure.map { String(cString: $0) },
                text: text.map { String(cString: $0) } ?? ""))
        return 0
    }
    return true
}()

/// A TDS session through FreeTDS db-lib: log in, send SQL batches.
public final class TDSConnection {
    private let process: OpaquePointer

    /// Logs in to host:port (TDS 7.4, UTF-8 client character set).
    public init(
        host: String, port: Int, user: String, password: String, database: String? = nil,
        application: String = "bbf-entrypoint", loginTimeoutSeconds: Int = 10
    ) throws {
        guard dbLibInitialized else {
            throw TDSError(summary: "could not initialize FreeTDS db-lib", messages: [], clientErrors: [])
        }
        _ = DBLibState.take()
        guard let login = dblogin() else {
            throw TDSError(summary: "could not allocate a db-lib login", messages: [], clientErrors: [])
        }
        defer { dbloginfree(login) }
        dbsetlname(login, user, DBSETUSER)
        dbsetlname(login, password, DBSETPWD)
        dbsetlname(login, application, DBSETAPP)
        dbsetlname(login, "UTF-8", DBSETCHARSET)
        if let database { dbsetlname(login, database, DBSETDBNAME) }
        dbsetlversion(login, BYTE(DBVERSION_74))
        dbsetlogintime(Int32(loginTimeoutSeconds))
        guard let opened = dbopen(login, "\(host):\(port)") else {
            let (messages, errors) = DBLibState.take()
            throw TDSError(summary: "TDS login to \(host):\(port) as \(user) failed", messages: messages, clientErrors: errors)
        }
        process = opened
        _ = DBLibState.take()
    }

    deinit { dbclose(process) }

    /// Sends one batch and reads every result. Throws if the server reported
    /// an error (severity above 10) or the client library failed.
    @discardableResult
    public func execute(_ batch: String) throws -> TDSBatchResult {
        _ = DBLibState.take()
        var sets: [TDSResultSet] = []
        var ok = dbcmd(process, batch) == SUCCEED && dbsqlexec(process) == SUCCEED
        if ok {
            while true {
                let status = dbresults(process)
                if status == NO_MORE_RESULTS { break }
                if status == FAIL {
                    ok = false
                    break
                }
                let count = dbnumcols(process)
                guard count > 0 else { continue }
                var set = TDSResultSet(
                    columns: (1...count).map { column in dbcolname(process, column).map { String(cString: $0) } ?? "" },
                    rows: [])
                while true {
                    let row = dbnextrow(process)
                    if row == NO_MORE_ROWS || row == FAIL || row == BUF_FULL { break }
                    set.rows.append((1...count).map { column in value(column: column) })
                }
                sets.append(set)
            }
        } else {
            dbcancel(process)
        }
        let (messages, errors) = DBLibState.take()
        if !ok || messages.contains(where: \.isError) || !errors.isEmpty {
            throw TDSError(summary: "the batch failed", messages: messages, clientErrors: errors)
        }
        return TDSBatchResult(resultSets: sets, messages: messages)
    }

    private func value(column: Int32) -> String? {
        let length = dbdatlen(process, column)
        guard let data = dbdata(process, column) else { return nil }
        let type = dbcoltype(process, column)
        let capacity = Int(max(length, 0)) * 2 + 64
        var buffer = [UInt8](repeating: 0, count: capacity)
        let written = buffer.withUnsafeMutableBufferPointer { pointer in
            dbconvert(process, type, data, length, Int32(SYBCHAR), pointer.baseAddress, DBINT(capacity))
        }
        guard written >= 0 else { return nil }
        return String(decoding: buffer[0..<Int(written)], as: UTF8.self)
    }
}
