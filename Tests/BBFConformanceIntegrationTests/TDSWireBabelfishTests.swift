import BBFConformance
import BBFSystem
import TDSWire
import Testing

/// TDSWire against a real Babelfish: every type it decodes, the token
/// stream db-lib does not show, errors, ENVCHANGE and ATTENTION.
@Suite(
    "TDSWire against Babelfish", .serialized, .timeLimit(.minutes(10)),
    .enabled(if: Gate.babelfishHome != nil, Gate.babelfishSkip))
final class TDSWireBabelfishTests {
    let server: ThrowawayServer

    init() throws {
        server = try Gate.server()
    }

    deinit { server.stop() }

    func connect(database: String = "master") throws -> TDSConnection {
        var endpoint = server.endpoint
        endpoint.database = database
        return try TDSConnection(
            TDSConnection.Options(
                host: endpoint.host, port: endpoint.port, userName: endpoint.login, password: endpoint.password, database: database))
    }

    /// The first result set's columns and rows.
    func query(_ connection: TDSConnection, _ sql: String) throws -> ([ColumnMetadata], [[TDSValue]]) {
        var columns: [ColumnMetadata] = []
        var rows: [[TDSValue]] = []
        for token in try connection.execute(sql) {
            switch token {
            case .colMetadata(let metadata) where columns.isEmpty: columns = metadata
            case .row(let values, _) where rows.count < 1000: rows.append(values)
            case .error(let message): Issue.record("server error: \(message)")
            default: break
            }
        }
        return (columns, rows)
    }

    @Test("Login: LOGINACK for TDS 7.4, the database and packet size ENVCHANGEs, the server collation")
    func login() throws {
        let connection = try connect()
        #expect(connection.loginAck?.tdsVersion == 0x7400_0004)
        #expect(connection.database == "master")
        #expect(connection.packetSize == 4096)
        #expect(connection.collation?.codePage == 1252)
        #expect(connection.prelogin.encryption == .notSupported || connection.prelogin.encryption == .off)
    }

    @Test("A wrong password: loginFailed with the server's error")
    func badLogin() throws {
        var endpoint = server.endpoint
        endpoint.password = "wrong"
        #expect {
            _ = try TDSConnection(
                TDSConnection.Options(
                    host: endpoint.host, port: endpoint.port, userName: endpoint.login, password: "wrong", database: "master"))
        } throws: { error in
            guard let error = error as? TDSWireError else { return false }
            return error.code == .loginFailed && error.serverMessage?.severity ?? 0 >= 14
        }
    }

    @Test("Every type: the decoded value renders as the upstream runner prints it")
    func everyType() throws {
        let connection = try connect()
        let cases: [(String, String, String)] = [
            ("CAST(255 AS tinyint)", "tinyint", "255"),
            ("CAST(-32768 AS smallint)", "smallint", "-32768"),
            ("CAST(2147483647 AS int)", "int", "2147483647"),
            ("CAST(-9223372036854775808 AS bigint)", "bigint", "-9223372036854775808"),
            ("CAST(1 AS bit)", "bit", "1"),
            ("CAST(1.5 AS real)", "real", "1.5"),
            ("CAST(0.1 AS float)", "float", "0.1"),
            ("CAST(1e-5 AS float)", "float", "1.0E-5"),
            ("CAST(922337203685477.5807 AS money)", "money", "922337203685477.5807"),
            ("CAST(-214748.3648 AS smallmoney)", "smallmoney", "-214748.3648"),
            ("CAST(12.345 AS decimal(10,3))", "numeric", "12.345"),
            ("CAST(0.0000001 AS numeric(20,10))", "numeric", "1.000E-7"),
            ("CAST('2016-11-14 15:12:10.123' AS datetime)", "datetime", "2016-11-14 15:12:10.123"),
            ("CAST('2001-01-18 12:35' AS smalldatetime)", "smalldatetime", "2001-01-18 12:35:00.0"),
            ("CAST('0001-01-01' AS date)", "date", "0001-01-01"),
            ("CAST('12:15:04.1237' AS time(7))", "time", "12:15:04.123700"),
            ("CAST('12:15:04.1237' AS time(2))", "time", "12:15:04.12"),
            ("CAST('1999-12-04 01:02:03.5' AS datetime2(6))", "datetime2", "1999-12-04 01:02:03.500000"),
            ("CAST('2002-01-01 02:01:00 +01:00' AS datetimeoffset(7))", "datetimeoffset", "2002-01-01 02:01:00.000000 +01:00"),
            ("CAST('ab' AS char(4))", "char", "ab  "),
            ("CAST('caf' + CHAR(233) AS varchar(10))", "varchar", "café"),
            ("CAST(N'Жaр' AS nvarchar(10))", "nvarchar", "Жaр"),
            ("CAST(N'x' AS nchar(3))", "nchar", "x  "),
            ("CAST(REPLICATE(CAST('a' AS varchar(max)), 9000) AS varchar(max))", "varchar", String(repeating: "a", count: 9000)),
            ("CAST(REPLICATE(CAST(N'ж' AS nvarchar(max)), 5000) AS nvarchar(max))", "nvarchar", String(repeating: "ж", count: 5000)),
            ("CAST('t' AS text)", "text", "t"),
            ("CAST(N'n' AS ntext)", "ntext", "n"),
            ("CAST(0x01AB AS binary(3))", "binary", "01AB00"),
            ("CAST(0xDEADBEEF AS varbinary(max))", "varbinary", "DEADBEEF"),
            ("CAST(0xFE AS image)", "image", "FE"),
            (
                "CAST('00000001-0000-0000-0000-0000000000AB' AS uniqueidentifier)", "uniqueidentifier",
                "00000001-0000-0000-0000-0000000000AB"
            ),
            ("CAST('<a>1</a>' AS xml)", "xml", "<a>1</a>"),
            ("CAST(CAST(7 AS int) AS sql_variant)", "sql_variant", "7"),
            ("CAST(CAST('v' AS varchar(5)) AS sql_variant)", "sql_variant", "v"),
            ("CAST(CAST(1 AS bit) AS sql_variant)", "sql_variant", "true"),
        ]
        for (expression, typeName, rendering) in cases {
            let (columns, rows) = try query(connection, "SELECT \(expression) AS c")
            let column = try #require(columns.first, "no columns for \(expression)")
            let value = try #require(rows.first?.first, "no row for \(expression)")
            #expect(column.sqlTypeName == typeName, "\(expression)")
            #expect(JDBCValues.cell(value, column: column) == .text(rendering), "\(expression)")
        }
        let (_, nulls) = try query(connection, "SELECT CAST(NULL AS int), CAST(NULL AS nvarchar(max)), CAST(NULL AS sql_variant)")
        #expect(nulls.first == [.null, .null, .null])
    }

    @Test("INSERT; INSERT; SELECT in one batch: two row counts in their own DONEs, then the result")
    func midBatchRowCounts() throws {
        let connection = try connect()
        let tokens = try connection.execute(
            "CREATE TABLE #t (a int); INSERT INTO #t VALUES (1); INSERT INTO #t VALUES (2), (3); SELECT a FROM #t ORDER BY a;")
        let counts = tokens.compactMap { token -> UInt64? in
            if case .done(let done) = token, done.currentCommand == 0xC3 { return done.count }
            return nil
        }
        #expect(counts == [1, 2])
        let rows = tokens.compactMap { token -> [TDSValue]? in if case .row(let values, _) = token { return values } else { return nil } }
        #expect(rows == [[.int(1)], [.int(2)], [.int(3)]])
        guard case .done(let last) = tokens.last else {
            Issue.record("the stream does not end with DONE")
            return
        }
        #expect(last.isFinal && last.count == 3)
        #expect(
            BatchRenderer.render(tokens: tokens).text
                == "~~ROW COUNT: 1~~\n\n~~ROW COUNT: 2~~\n\n~~START~~\nint\n1\n2\n3\n~~END~~\n\n")
    }

    @Test("A procedure: DONEINPROC counts, RETURNSTATUS, DONEPROC; RAISERROR with number, state, class, line")
    func procedures() throws {
        let connection = try connect()
        _ = try connection.execute("CREATE TABLE wire_t (a int)")
        _ = try connection.execute("CREATE PROCEDURE wire_p AS BEGIN INSERT INTO wire_t VALUES (1); INSERT INTO wire_t VALUES (2); END")
        let tokens = try connection.execute("EXEC wire_p")
        let done = tokens.compactMap { token -> Done? in if case .done(let d) = token { return d } else { return nil } }
        #expect(done.filter { $0.kind == .doneInProc }.compactMap(\.count) == [1, 1])
        #expect(done.contains { $0.kind == .doneProc })
        #expect(tokens.contains(.returnStatus(0)))
        _ = try connection.execute("CREATE PROCEDURE wire_fail AS\nBEGIN\n  RAISERROR('boom %d', 16, 3, 42)\nEND")
        let failed = try connection.execute("EXEC wire_fail")
        let error = try #require(
            failed.compactMap { token -> ServerMessage? in if case .error(let m) = token { return m } else { return nil } }.first)
        #expect(error.number == 50000 && error.state == 3 && error.severity == 16 && error.message == "boom 42")
        #expect(error.line > 0)
        print("RAISERROR in a procedure: \(error), server \"\(error.server)\"")
        _ = try connection.execute("DROP PROCEDURE wire_fail; DROP PROCEDURE wire_p; DROP TABLE wire_t")
    }

    @Test("PRINT is INFO; USE sends a database ENVCHANGE")
    func infoAndEnvChange() throws {
        let connection = try connect()
        let printed = try connection.execute("PRINT 'hello'")
        #expect(printed.contains { if case .info(let m) = $0 { return m.message == "hello" } else { return false } })
        _ = try connection.execute("CREATE DATABASE wire_db")
        let used = try connection.execute("USE wire_db")
        #expect(used.contains(.envChange(.database(new: "wire_db", old: "master"))))
        #expect(connection.database == "wire_db")
        _ = try connection.execute("USE master")
        _ = try connection.execute("DROP DATABASE wire_db")
    }

    @Test("ATTENTION cancels a running batch; the server acknowledges and the connection goes on")
    func cancel() throws {
        let connection = try connect()
        try connection.sendBatch("WAITFOR DELAY '00:00:30'; SELECT 1")
        sleep(milliseconds: 300)
        let tokens = try connection.cancel()
        #expect(tokens.contains { if case .done(let d) = $0 { return d.status.contains(.attention) } else { return false } })
        // The SELECT after the WAITFOR never ran.
        #expect(!tokens.contains { if case .row = $0 { return true } else { return false } })
        let (_, rows) = try query(connection, "SELECT 2")
        #expect(rows == [[.int(2)]])
    }
}
