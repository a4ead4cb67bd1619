import TDSWire
import Testing

@testable import BBFConformance

@Suite("Java's toString of what mssql-jdbc returns")
struct JavaFormatTests {
    @Test("Double.toString: plain between 10^-3 and 10^7, computerized scientific outside; shortest digits")
    func doubles() {
        #expect(JavaFormat.double(0) == "0.0")
        #expect(JavaFormat.double(-0.0) == "-0.0")
        #expect(JavaFormat.double(1) == "1.0")
        #expect(JavaFormat.double(23.12) == "23.12")
        #expect(JavaFormat.double(0.001) == "0.001")
        #expect(JavaFormat.double(0.0001) == "1.0E-4")
        #expect(JavaFormat.double(1234567.5) == "1234567.5")
        #expect(JavaFormat.double(10_000_000) == "1.0E7")
        #expect(JavaFormat.double(-1.5e300) == "-1.5E300")
        #expect(JavaFormat.double(0.1 + 0.2) == "0.30000000000000004")
        #expect(JavaFormat.double(.infinity) == "Infinity")
    }

    @Test("Float.toString uses float digits")
    func floats() {
        #expect(JavaFormat.float(123) == "123.0")
        #expect(JavaFormat.float(3.14159) == "3.14159")
        #expect(JavaFormat.float(1e10) == "1.0E10")
        #expect(JavaFormat.float(1.1) == "1.1")
    }

    @Test("BigDecimal.toString: plain unless the adjusted exponent is below -6")
    func bigDecimals() {
        #expect(JavaFormat.bigDecimal(negative: false, unscaledDigits: "206000000", scale: 8) == "2.06000000")
        #expect(JavaFormat.bigDecimal(negative: true, unscaledDigits: "5", scale: 3) == "-0.005")
        #expect(JavaFormat.bigDecimal(negative: false, unscaledDigits: "1", scale: 6) == "0.000001")
        #expect(JavaFormat.bigDecimal(negative: false, unscaledDigits: "1", scale: 7) == "1E-7")
        #expect(JavaFormat.bigDecimal(negative: false, unscaledDigits: "0", scale: 10) == "0E-10")
        #expect(JavaFormat.bigDecimal(negative: false, unscaledDigits: "12345", scale: 12) == "1.2345E-8")
        #expect(JavaFormat.bigDecimal(negative: false, unscaledDigits: "42", scale: 0) == "42")
        #expect(JavaFormat.money(9_223_372_036_854_775_807) == "922337203685477.5807")
        #expect(JavaFormat.money(-1) == "-0.0001")
        #expect(JavaFormat.money(0) == "0.0000")
    }

    @Test("Timestamp.toString trims trailing zeros of the nanoseconds, keeping one digit")
    func timestamps() {
        let day = CivilDate.daysSinceYear1(year: 2016, month: 11, day: 14)
        #expect(JavaFormat.timestamp(days: day, secondsOfDay: 15 * 3600 + 12 * 60 + 10, nanos: 0) == "2016-11-14 15:12:10.0")
        #expect(JavaFormat.timestamp(days: day, secondsOfDay: 0, nanos: 120_000_000) == "2016-11-14 00:00:00.12")
        #expect(JavaFormat.date(CivilDate.daysSinceYear1(year: 1, month: 1, day: 1)) == "0001-01-01")
        // Java's calendar has no 1582-10-05...14.
        #expect(JavaFormat.date(CivilDate.daysSinceYear1(year: 1582, month: 10, day: 10)) == "1582-10-20")
        #expect(JavaFormat.fraction(nanos: 123_400_000, scale: 7) == ".1234000")
        #expect(JavaFormat.fraction(nanos: 5, scale: 0) == "")
    }
}

@Suite("mssql-jdbc getString of each SQL Server type")
struct JDBCValueTests {
    func text(_ value: TDSValue, _ type: TypeInfo = TypeInfo(type: TDSType.intN, maxLength: 4)) -> String {
        JDBCValues.string(value, type: type)
    }

    @Test("Numbers, bit, money, decimal")
    func numbers() {
        #expect(text(.tinyint(255)) == "255")
        #expect(text(.bigint(-9_223_372_036_854_775_808)) == "-9223372036854775808")
        #expect(text(.bit(true)) == "1")
        #expect(text(.real(0)) == "0.0")
        #expect(text(.float(1e-5)) == "1.0E-5")
        #expect(text(.smallmoney(2_147_483_647)) == "214748.3647")
        #expect(text(.decimal(TDSDecimal(negative: false, magnitude: [0], precision: 38, scale: 38))) == "0E-38")
    }

    @Test("datetime ticks round to milliseconds like the driver; smalldatetime has no seconds")
    func datetimes() {
        // 2016-11-14 15:12:10.0: days since 1900 = 42686
        #expect(text(.datetime(days: 42686, ticks: (15 * 3600 + 12 * 60 + 10) * 300)) == "2016-11-14 15:12:10.0")
        // 1 tick = 3.33 ms -> (1*10+1)/3 = 3 ms
        #expect(text(.datetime(days: 0, ticks: 1)) == "1900-01-01 00:00:00.003")
        #expect(text(.smalldatetime(days: 0, minutes: 61)) == "1900-01-01 01:01:00.0")
    }

    @Test("date, time, datetime2 keep their scale; datetimeoffset prints the local time and offset")
    func scaledTemporal() {
        #expect(text(.time(TimeOfDay(units: 441_041_237_000, scale: 7))) == "12:15:04.1237000")
        #expect(text(.time(TimeOfDay(units: 44_104, scale: 0))) == "12:15:04")
        let day = CivilDate.daysSinceYear1(year: 1999, month: 12, day: 4)
        #expect(text(.datetime2(days: day, time: TimeOfDay(units: 0, scale: 6))) == "1999-12-04 00:00:00.000000")
        // 2002-01-01 01:01 UTC at +01:00 is 02:01 local.
        let utc = CivilDate.daysSinceYear1(year: 2002, month: 1, day: 1)
        #expect(
            text(.datetimeOffset(days: utc, time: TimeOfDay(units: 3660 * 10_000_000, scale: 7), offsetMinutes: 60))
                == "2002-01-01 02:01:00.0000000 +01:00")
        // Across midnight backwards: 2002-01-01 02:00 UTC at -05:00 is 2001-12-31 21:00.
        #expect(
            text(.datetimeOffset(days: utc, time: TimeOfDay(units: 7200, scale: 0), offsetMinutes: -300)) == "2001-12-31 21:00:00 -05:00")
    }

    @Test("binary is upper-case hex; uniqueidentifier swaps its first three groups")
    func binaries() {
        #expect(text(.binary([0x01, 0xAB])) == "01AB")
        #expect(text(.guid([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])) == "00000001-0000-0000-0000-000000000000")
        #expect(text(.guid(Array(0..<16))) == "03020100-0504-0706-0809-0A0B0C0D0E0F")
        #expect(text(.udt([0xFE])) == "FE")
    }

    @Test("sql_variant: Java objects of the base type; unsupported base types are driver errors")
    func variants() {
        func cell(_ base: UInt8, _ value: TDSValue, properties: [UInt8] = []) -> JDBCCell {
            JDBCValues.variantCell(SQLVariant(baseType: base, properties: properties, value: value, decoded: true))
        }
        #expect(cell(TDSType.bit, .bit(true)) == .text("true"))
        #expect(cell(TDSType.int4, .int(7)) == .text("7"))
        #expect(cell(TDSType.datetime, .datetime(days: 0, ticks: 0)) == .text("1900-01-01 00:00:00.0"))
        let day = CivilDate.daysSinceYear1(year: 2021, month: 8, day: 15)
        #expect(
            cell(TDSType.datetime2N, .datetime2(days: day, time: TimeOfDay(units: 0, scale: 7)), properties: [7])
                == .text("2021-08-15 00:00:00.0"))
        #expect(cell(TDSType.timeN, .time(TimeOfDay(units: 438_161_234_570, scale: 7)), properties: [7]) == .text("12:10:16.1234570"))
        #expect(
            cell(TDSType.datetimeOffsetN, .datetimeOffset(days: 1, time: TimeOfDay(units: 0, scale: 7), offsetMinutes: 0), properties: [7])
                == .driverError("Unexpected TDS type  DATETIMEOFFSETN  in SQL_VARIANT."))
    }
}
