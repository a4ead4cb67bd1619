import CLibPQ

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An error from libpq or the server. Never carries statement text, so a
/// statement holding a secret cannot leak through an error message.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case connection, statement, misuse }
    public var kind: Kind
    /// The five-character SQLSTATE, when the server sent one.
    public var sqlState: String?
    /// The server's (or libpq's) primary message.
    public var message: String
    public var detail: String?
    public var hint: String?

    public init(kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil, hint: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
    }

    public var description: String {
        var text = message
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let detail, !detail.isEmpty { text += "\nDETAIL: \(detail)" }
        if let hint, !hint.isEmpty { text += "\nHINT: \(hint)" }
        return text
    }
}

/// Rows of a finished statement, in text format.
public struct PostgresResult: Sendable {
    public var columns: [String]
    public var rows: [[String?]]
    public var commandTag: String

    /// The first column of the first row, if any.
    public var scalar: String? { rows.first?.first ?? nil }
}

/// What `PQping` reports about a server.
public enum PostgresPing: Sendable, Equatable {
    /// Accepting connections.
    case ok
    /// Running but refusing connections (starting up, shutting down, in recovery).
    case reject
    /// Nothing answered.
    case noResponse
    /// The parameters were unusable; nothing was tried.
    case noAttempt
}

/// One libpq connection. It is closed when the object goes away.
public final class PostgresConnection {
    private let handle: OpaquePointer

    /// Connects with libpq keyword/value parameters (host, port, user, dbname, ...).
    /// `fallback_application_name` defaults to "bbf-entrypoint".
    public init(_ parameters: [String: String]) throws {
        var all = parameters
        if all["fallback_application_name"] == nil { all["fallback_application_name"] = "bbf-entrypoint" }
        let pairs = all.sorted { $0.key < $1.key }
        let connection: OpaquePointer? = withCStringArrays(pairs.map(\.key), pairs.map(\.value)) { keys, values in
            PQconnectdbParams(keys, values, 0)
        }
        guard let connection else {
            throw PostgresError(kind: .connection, message: "out of memory while connecting")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(connection)).trimmed
            PQfinish(connection)
            throw PostgresError(kind: .connection, message: message)
        }
        handle = connection
    }

    deinit { PQfinish(handle) }

    /// Checks a server without logging in (what `pg_isready` does).
    public static func ping(_ parameters: [String: String]) -> PostgresPing {
        let pairs = parameters.sorted { $0.key < $1.key }
        let result = withCStringArrays(pairs.map(\.key), pairs.map(\.value)) { keys, values in
            PQpingParams(keys, values, 0)
        }
        switch result {
        case PQPING_OK: return .ok
        case PQPING_REJECT: return .reject
        case PQPING_NO_ATTEMPT: return .noAttempt
        default: return .noResponse
        }
    }

    /// The server's version number, e.g. 170005.
    public var serverVersion: Int { Int(PQserverVersion(handle)) }

    /// Runs one statement with `$1`-style parameters (extended protocol, text format).
    @discardableResult
    public func execute(_ sql: String, _ parameters: [String?] = []) throws -> PostgresResult {
        let result: OpaquePointer? = withOptionalCStrings(parameters) { values in
            PQexecParams(handle, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        return try consume(result)
    }

    /// Runs a string that may hold several statements (simple protocol).
    /// Returns the last statement's result.
    @discardableResult
    public func executeScript(_ sql: String) throws -> PostgresResult {
        guard PQsendQuery(handle, sql) == 1 else { throw connectionError() }
        var last = PostgresResult(columns: [], rows: [], commandTag: "")
        var failure: PostgresError?
        while let result = PQgetResult(handle) {
            do {
                last = try consume(result)
            } catch let error as PostgresError {
                if failure == nil { failure = error }
            }
        }
        if let failure { throw failure }
        return last
    }

    /// `PQescapeIdentifier`: a double-quoted identifier.
    public func escapeIdentifier(_ identifier: String) throws -> String {
        guard let escaped = PQescapeIdentifier(handle, identifier, identifier.utf8.count) else {
            throw connectionError()
        }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }

    /// `PQescapeLiteral`: a single-quoted literal (E'' when needed).
    public func escapeLiteral(_ literal: String) throws -> String {
        guard let escaped = PQescapeLiteral(handle, literal, literal.utf8.count) else {
            throw connectionError()
        }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }

    /// Hashes a password on the client with the server's `password_encryption`
    /// (`PQencryptPasswordConn`), so the clear text never reaches the server or its logs.
    public func encryptPassword(_ password: String, forUser user: String) throws -> String {
        guard let hashed = PQencryptPasswordConn(handle, password, user, nil) else {
            throw connectionError()
        }
        defer { PQfreemem(hashed) }
        return String(cString: hashed)
    }

    private func connectionError() -> PostgresError {
        PostgresError(kind: .connection, message: String(cString: PQerrorMessage(handle)).trimmed)
    }

    /// Reads and clears a result on every path.
    private func consume(_ result: OpaquePointer?) throws -> PostgresResult {
        guard let result else { throw connectionError() }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            let columnCount = PQnfields(result)
            let rowCount = PQntuples(result)
            let columns = (0..<columnCount).map { String(cString: PQfname(result, $0)) }
            var rows: [[String?]] = []
            rows.reserveCapacity(Int(rowCount))
            for row in 0..<rowCount {
                rows.append(
                    (0..<columnCount).map { column in
                        PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
                    })
            }
            return PostgresResult(columns: columns, rows: rows, commandTag: String(cString: PQcmdStatus(result)))
        default:
            func field(_ code: Character) -> String? {
                guard let value = PQresultErrorField(result, Int32(code.asciiValue ?? 0)) else { return nil }
                return String(cString: value)
            }
            let message = field("M") ?? String(cString: PQresultErrorMessage(result)).trimmed
            throw PostgresError(
                kind: .statement, sqlState: field("C"), message: message.isEmpty ? "statement failed" : message,
                detail: field("D"), hint: field("H"))
        }
    }
}

extension String {
    var trimmed: String {
        var copy = Substring(self)
        while let last = copy.last, last.isWhitespace { copy.removeLast() }
        while let first = copy.first, first.isWhitespace { copy.removeFirst() }
        return String(copy)
    }
}

/// Calls `body` with two NULL-terminated arrays of C strings.
private func withCStringArrays<R>(
    _ first: [String], _ second: [String],
    _ body: (UnsafePointer<UnsafePointer<CChar>?>, UnsafePointer<UnsafePointer<CChar>?>) -> R
) -> R {
    let a = first.map { strdupOrFail($0) }
    let b = second.map { strdupOrFail($0) }
    defer {
        a.forEach { free($0) }
        b.forEach { free($0) }
    }
    let aPointers: [UnsafePointer<CChar>?] = a.map { UnsafePointer($0) } + [nil]
    let bPointers: [UnsafePointer<CChar>?] = b.map { UnsafePointer($0) } + [nil]
    // Both arrays hold at least their terminating nil, so they have storage.
    return aPointers.withUnsafeBufferPointer { keys in
        bPointers.withUnsafeBufferPointer { values in
            guard let keyBase = keys.baseAddress, let valueBase = values.baseAddress else {
                preconditionFailure("a non-empty array has storage")
            }
            return body(keyBase, valueBase)
        }
    }
}

private func withOptionalCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    if strings.isEmpty { return body(nil) }
    let copies = strings.map { $0.map { strdupOrFail($0) } }
    defer { copies.forEach { free($0) } }
    let pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}

private func strdupOrFail(_ string: String) -> UnsafeMutablePointer<CChar> {
    guard let copy = strdup(string) else { fatalError("out of memory") }
    return copy
}
