import TDSWire
import Testing

@testable import BBFConformance

/// Token streams shaped like Babelfish's answers, and what the upstream
/// runner prints for them.
@Suite("The upstream runner's output for a batch's tokens")
struct BatchRendererTests {
    static let int = ColumnMetadata(userType: 0, flags: 9, type: TypeInfo(type: TDSType.intN, maxLength: 4), name: "a")
    static let text = ColumnMetadata(
        userType: 0, flags: 9, type: TypeInfo(type: TDSType.bigVarChar, maxLength: 10, collation: Collation(info: 0x00D0_0409, sortID: 52)),
        name: "b")

    static func done(_ status: Done.Status, _ command: UInt16, _ count: UInt64 = 0, _ kind: Done.Kind = .done) -> Token {
        .done(Done(kind: kind, status: status, currentCommand: command, rowCount: count))
    }
    static let select: UInt16 = 0xC1
    static let insert: UInt16 = 0xC3
    static let other: UInt16 = 0x02

    func render(_ tokens: [Token]) -> String { BatchRenderer.render(tokens: tokens).text }

    @Test("INSERT; INSERT; SELECT in one batch: two row counts, then the result set")
    func midBatchRowCounts() {
        let out = render([
            Self.done([.more, .count], Self.insert, 1),
            Self.done([.more, .count], Self.insert, 2),
            .colMetadata([Self.int, Self.text]),
            .row([.int(1), .string("x")], compressed: false),
            .row([.null, .string("a\r\nb\nc")], compressed: true),
            Self.done([.count], Self.select, 2),
        ])
        #expect(
            out == """
                ~~ROW COUNT: 1~~

                ~~ROW COUNT: 2~~

                ~~START~~
                int#!#varchar
                1#!#x
                <NULL>#!#a<newline>b<newline>c
                ~~END~~


                """)
    }

    @Test("DDL, SET and zero-row DML print nothing; DONEINPROC counts print like DONE")
    func silentResults() {
        #expect(render([Self.done([.more], Self.other), Self.done([.more, .count], Self.insert, 0), Self.done([], Self.other)]) == "")
        #expect(
            render([Self.done([.more, .count], Self.insert, 3, .doneInProc), Self.done([], 0xE0, 0, .doneProc)]) == "~~ROW COUNT: 3~~\n\n")
    }

    @Test("An error: code, then message; later results of the batch still print")
    func errors() {
        let out = render([
            .error(ServerMessage(number: 8134, state: 1, severity: 16, message: "division by zero")),
            Self.done([.more, .error], Self.select),
            .colMetadata([Self.int]),
            .row([.int(2)], compressed: false),
            Self.done([.count], Self.select, 1),
        ])
        #expect(out == "~~ERROR (Code: 8134)~~\n\n~~ERROR (Message: division by zero)~~\n\n~~START~~\nint\n2\n~~END~~\n\n")
    }

    @Test("An error inside a result set ends it without ~~END~~")
    func errorInsideResultSet() {
        let out = render([
            .colMetadata([Self.int]),
            .row([.int(1)], compressed: false),
            .error(ServerMessage(number: 8134, state: 1, severity: 16, message: "division by zero")),
            Self.done([.error], Self.select),
        ])
        #expect(out == "~~START~~\nint\n1\n~~ERROR (Code: 8134)~~\n\n~~ERROR (Message: division by zero)~~\n\n")
    }

    @Test("Warnings: only when the first result had some, and then the whole chain before every result")
    func warnings() {
        let printed = render([
            .info(ServerMessage(number: 0, state: 1, severity: 0, message: "one")),
            Self.done([.more, .count], Self.insert, 1),
            .info(ServerMessage(number: 0, state: 1, severity: 0, message: "two")),
            Self.done([.count], Self.insert, 1),
        ])
        #expect(
            printed == """
                ~~WARNING (Code: 0)~~

                ~~WARNING (Message: one  Server SQLState: S0001)~~

                ~~ROW COUNT: 1~~

                ~~WARNING (Code: 0)~~

                ~~WARNING (Message: one  Server SQLState: S0001)~~~~WARNING (Message: two  Server SQLState: S0001)~~

                ~~ROW COUNT: 1~~


                """)
        // PRINT after the first result is never shown.
        #expect(
            render([
                Self.done([.more, .count], Self.insert, 1), .info(ServerMessage(number: 0, state: 1, severity: 0, message: "late")),
                Self.done([], Self.other),
            ]) == "~~ROW COUNT: 1~~\n\n")
        // PRINT alone: a warning but no result, so nothing is printed.
        #expect(render([.info(ServerMessage(number: 0, state: 1, severity: 0, message: "hello")), Self.done([], Self.other)]) == "")
    }

    @Test("INFO between rows is dropped, not a warning")
    func infoInsideRows() {
        let out = render([
            .colMetadata([Self.int]), .row([.int(1)], compressed: false),
            .info(ServerMessage(number: 0, state: 1, severity: 0, message: "x")),
            Self.done([.count], Self.select, 1),
        ])
        #expect(out == "~~START~~\nint\n1\n~~END~~\n\n")
    }

    @Test("A row count after an error DONE without a count is lost, as in mssql-jdbc")
    func countAfterUncountedError() {
        let out = render([
            .error(ServerMessage(number: 1, state: 1, severity: 16, message: "bad")),
            Self.done([.more, .error], Self.insert),
            Self.done([.more, .count], Self.insert, 1),
            Self.done([], Self.other),
        ])
        #expect(out == "~~ERROR (Code: 1)~~\n\n~~ERROR (Message: bad)~~\n\n")
    }

    @Test("A sql_variant the driver cannot read: an error where the value would be")
    func variantError() {
        let column = ColumnMetadata(userType: 0, flags: 9, type: TypeInfo(type: TDSType.variant, maxLength: 8016), name: "v")
        let value = TDSValue.variant(
            SQLVariant(
                baseType: TDSType.datetimeOffsetN, properties: [7],
                value: .datetimeOffset(days: 1, time: TimeOfDay(units: 0, scale: 7), offsetMinutes: 0), decoded: true))
        let out = render([
            .colMetadata([Self.int, column]), .row([.int(5), value], compressed: false), Self.done([.count], Self.select, 1),
        ])
        #expect(
            out
                == "~~START~~\nint#!#sql_variant\n5#!#~~ERROR (Code: 0)~~\n\n~~ERROR (Message: Unexpected TDS type  DATETIMEOFFSETN  in SQL_VARIANT.)~~\n\n"
        )
    }

    @Test("Severity 20 closes the connection: the next call finds it closed and the runner prints its crash text")
    func fatal() {
        let output = BatchRenderer.render(tokens: [
            .error(ServerMessage(number: 1, state: 1, severity: 20, message: "terminating connection")), Self.done([.error], Self.other),
        ])
        #expect(output.connectionClosed && output.connectionLost)
        #expect(
            output.text
                == "~~ERROR (Code: 1)~~\n\n~~ERROR (Message: terminating connection)~~\n\n~~ERROR (Code: 0)~~\n\nRemote server might have crashed.\nError: 0\nSQL State: 08S01\nError message: The connection is closed.\n"
        )
        let lost = BatchRenderer.render(tokens: [], transportError: "Connection reset")
        #expect(lost.connectionLost)
        #expect(
            lost.text
                == "~~ERROR (Code: 0)~~\n\nRemote server might have crashed.\nError: 0\nSQL State: 08S01\nError message: Connection reset\n"
        )
    }

    @Test("SQLState of warnings and errors: the driver's table, else S + the state in four digits")
    func sqlStates() {
        #expect(JDBCStatement.sqlState(number: 2627, state: 1) == "23000")
        #expect(JDBCStatement.sqlState(number: 0, state: 1) == "S0001")
        #expect(JDBCStatement.sqlState(number: 50000, state: 127) == "S0127")
    }
}
