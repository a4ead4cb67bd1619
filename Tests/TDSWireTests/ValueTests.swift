import Testing

@testable import TDSWire

@Suite("Values of every type Babelfish sends")
struct ValueTests {
    /// Decodes one row of one column.
    func value(_ typeInfo: [UInt8], _ data: [UInt8], userType: UInt32 = 0) throws -> (ColumnMetadata, TDSValue) {
        var wire = Wire()
        wire.u8(0x81)
        wire.u16(1)
        wire.column(typeInfo, name: "c", userType: userType)
        wire.u8(0xD1)
        wire.raw(data)
        let tokens = try decode(wire)
        guard case .colMetadata(let columns) = tokens[0], case .row(let values, _) = tokens[1] else {
            throw TDSWireError(.malformed, "no row")
        }
        return (columns[0], values[0])
    }

    @Test("Integers: int1/2/4/8 and intn of each size, and intn NULL")
    func integers() throws {
        #expect(try value([0x30], [0xFF]).1 == .tinyint(255))
        #expect(try value([0x34], [0xFE, 0xFF]).1 == .smallint(-2))
        #expect(try value([0x38], [0x01, 0x00, 0x00, 0x80]).1 == .int(Int32.min + 1))
        #expect(try value([0x7F], [1, 0, 0, 0, 0, 0, 0, 0]).1 == .bigint(1))
        #expect(try value([0x26, 4], [4, 0x2A, 0, 0, 0]).1 == .int(42))
        #expect(try value([0x26, 8], [8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]).1 == .bigint(-1))
        #expect(try value([0x26, 2], [0]).1 == .null)
        let (column, _) = try value([0x26, 2], [2, 1, 0])
        #expect(column.sqlTypeName == "smallint" && column.name == "c" && column.isNullable)
    }

    @Test("bit, bitn, real, float, floatn")
    func bitsAndFloats() throws {
        #expect(try value([0x32], [1]).1 == .bit(true))
        #expect(try value([0x68, 1], [1, 0]).1 == .bit(false))
        #expect(try value([0x3B], [0x00, 0x00, 0xC0, 0x3F]).1 == .real(1.5))
        #expect(try value([0x3E], [0, 0, 0, 0, 0, 0, 0x04, 0x40]).1 == .float(2.5))
        #expect(try value([0x6D, 8], [8, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F]).1 == .float(1))
        #expect(try value([0x6D, 4], [4, 0, 0, 0x80, 0x3F]).0.sqlTypeName == "real")
    }

    @Test("money is high then low 32 bits; smallmoney 32 bits; both in ten-thousandths")
    func money() throws {
        // 1.2345 = 12345 = 0x3039
        #expect(try value([0x3C], [0, 0, 0, 0, 0x39, 0x30, 0, 0]).1 == .money(12345))
        #expect(try value([0x6E, 8], [8, 0xFF, 0xFF, 0xFF, 0xFF, 0xC7, 0xCF, 0xFF, 0xFF]).1 == .money(-12345))
        #expect(try value([0x7A], [0x39, 0x30, 0, 0]).1 == .smallmoney(12345))
        #expect(try value([0x6E, 4], [0]).1 == .null)
    }

    @Test("decimal and numeric: sign byte, magnitude, precision and scale from TYPE_INFO")
    func decimals() throws {
        let (column, v) = try value([0x6A, 17, 38, 4], [5, 0, 0x39, 0x30, 0, 0])
        #expect(column.sqlTypeName == "decimal")
        guard case .decimal(let d) = v else { throw TDSWireError(.malformed, "not decimal") }
        #expect(d.negative && d.plainString == "-1.2345" && d.precision == 38 && d.scale == 4)
        // 2^96 = 79228162514264337593543950336
        let (numeric, big) = try value([0x6C, 17, 38, 0], [17, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0])
        #expect(numeric.sqlTypeName == "numeric")
        guard case .decimal(let wide) = big else { throw TDSWireError(.malformed, "not decimal") }
        #expect(wide.unscaledDigits == "79228162514264337593543950336")
        #expect(TDSDecimal(negative: false, magnitude: [5], precision: 5, scale: 3).plainString == "0.005")
    }

    @Test("datetime, smalldatetime, date, time, datetime2, datetimeoffset with scales")
    func temporal() throws {
        #expect(try value([0x3D], [1, 0, 0, 0, 0x2C, 0x01, 0, 0]).1 == .datetime(days: 1, ticks: 300))
        #expect(try value([0x6F, 4], [4, 2, 0, 60, 0]).1 == .smalldatetime(days: 2, minutes: 60))
        #expect(try value([0x28], [3, 0x0A, 0x2D, 0x0B]).1 == .date(days: 0x0B2D0A))
        // time(3): 3 bytes... no, scale 3 takes 4 bytes: 1.5 s = 1500 units.
        #expect(try value([0x29, 3], [4, 0xDC, 0x05, 0, 0]).1 == .time(TimeOfDay(units: 1500, scale: 3)))
        #expect(try value([0x2A, 0], [6, 1, 0, 0, 3, 0, 0]).1 == .datetime2(days: 3, time: TimeOfDay(units: 1, scale: 0)))
        let offset = try value([0x2B, 7], [10, 1, 0, 0, 0, 0, 5, 0, 0, 0x3C, 0x00])
        #expect(offset.1 == .datetimeOffset(days: 5, time: TimeOfDay(units: 1, scale: 7), offsetMinutes: 60))
        #expect(offset.0.sqlTypeName == "datetimeoffset")
        #expect(TimeOfDay(units: 1500, scale: 3).nanoseconds == 1_500_000_000)
    }

    @Test("char types decode with the column's collation; nchar types are UTF-16; NULL is 0xFFFF")
    func strings() throws {
        #expect(try value([0xA7, 10, 0] + Wire.latin1, [3, 0, 0x63, 0x61, 0xE9]).1 == .string("caé"))
        #expect(try value([0xA7, 10, 0] + Wire.latin1, [1, 0, 0x80]).1 == .string("€"))
        #expect(try value([0xAF, 10, 0] + Wire.utf8, [2, 0, 0xC3, 0xA9]).1 == .string("é"))
        #expect(try value([0xE7, 20, 0] + Wire.latin1, [4, 0, 0x3B, 0x04, 0x34, 0xD8]).1 == .string("л\u{FFFD}"))
        #expect(try value([0xEF, 4, 0] + Wire.latin1, [0xFF, 0xFF]).1 == .null)
    }

    @Test("(max) types arrive as PLP chunks; PLP_NULL is NULL")
    func plp() throws {
        var data = Wire()
        data.u64(0xFFFF_FFFF_FFFF_FFFE)  // unknown length
        data.u32(2)
        data.raw([0x41, 0x00])
        data.u32(2)
        data.raw([0x42, 0x00])
        data.u32(0)
        #expect(try value([0xE7, 0xFF, 0xFF] + Wire.latin1, data.bytes).1 == .string("AB"))
        #expect(try value([0xA5, 0xFF, 0xFF], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]).1 == .null)
        var xml = Wire()
        xml.u64(4)
        xml.u32(4)
        xml.text("<a")
        xml.u32(0)
        let (column, v) = try value([0xF1, 0], xml.bytes)
        #expect(v == .xml("<a") && column.sqlTypeName == "xml")
    }

    @Test("binary, varbinary, timestamp (binary(8) with user type 80), uniqueidentifier")
    func binaries() throws {
        #expect(try value([0xA5, 4, 0], [2, 0, 0xDE, 0xAD]).1 == .binary([0xDE, 0xAD]))
        let (timestamp, _) = try value([0xAD, 8, 0], [8, 0, 0, 0, 0, 0, 0, 0, 0, 1], userType: 80)
        #expect(timestamp.sqlTypeName == "timestamp")
        let guid: [UInt8] = Array(0..<16)
        #expect(try value([0x24, 16], [16] + guid).1 == .guid(guid))
    }

    @Test("text, ntext and image: table name in metadata, text pointer and timestamp before the data")
    func legacyLOBs() throws {
        var typeInfo = Wire()
        typeInfo.u8(0x23)
        typeInfo.u32(0x7FFF_FFFF)
        typeInfo.raw(Wire.latin1)
        typeInfo.u8(1)
        typeInfo.usVarChar("t")
        var data = Wire()
        data.u8(16)
        data.raw([UInt8](repeating: 0, count: 16 + 8))
        data.u32(2)
        data.raw([0x68, 0x69])
        let (column, v) = try value(typeInfo.bytes, data.bytes)
        #expect(v == .string("hi") && column.tableName == ["t"] && column.sqlTypeName == "text")
        var image = Wire()
        image.u8(0x22)
        image.u32(0x7FFF_FFFF)
        image.u8(0)
        #expect(try value(image.bytes, [0]).1 == .null)
    }

    @Test("sql_variant: base type, properties, value")
    func variant() throws {
        var data = Wire()
        data.u32(2 + 7 + 2)
        data.raw([0xA7, 7] + Wire.latin1 + [10, 0])
        data.raw([0x68, 0x69])
        let (column, v) = try value([0x62, 0x10, 0x1F, 0, 0], data.bytes)
        #expect(column.sqlTypeName == "sql_variant")
        guard case .variant(let variant) = v else { throw TDSWireError(.malformed, "not a variant") }
        #expect(variant.value == .string("hi") && variant.decoded && variant.typeInfo.maxLength == 10)
        #expect(try value([0x62, 0x10, 0x1F, 0, 0], [0, 0, 0, 0]).1 == .null)
    }

    @Test("UDT: type name from metadata, bytes as the value")
    func udt() throws {
        var typeInfo = Wire()
        typeInfo.u8(0xF0)
        typeInfo.u16(0xFFFF)
        typeInfo.bVarChar("db")
        typeInfo.bVarChar("sys")
        typeInfo.bVarChar("geometry")
        typeInfo.usVarChar("Microsoft.SqlServer.Types.SqlGeometry")
        var data = Wire()
        data.u64(1)
        data.u32(1)
        data.u8(7)
        data.u32(0)
        let (column, v) = try value(typeInfo.bytes, data.bytes)
        #expect(column.sqlTypeName == "geometry" && v == .udt([7]))
    }

    @Test("NBCROW: the null bitmap says which columns have no data")
    func nbcRow() throws {
        var wire = Wire()
        wire.u8(0x81)
        wire.u16(3)
        wire.column([0x26, 4], name: "a")
        wire.column([0x26, 4], name: "b")
        wire.column([0x26, 4], name: "c")
        wire.u8(0xD2)
        wire.u8(0b0000_0101)
        wire.raw([4, 9, 0, 0, 0])
        let tokens = try decode(wire)
        #expect(tokens[1] == .row([.null, .int(9), .null], compressed: true))
    }

    @Test("RETURNVALUE: ordinal, name, status, type and value")
    func returnValue() throws {
        var wire = Wire()
        wire.u8(0xAC)
        wire.u16(1)
        wire.bVarChar("@out")
        wire.u8(1)
        wire.u32(0)
        wire.u16(0)
        wire.raw([0x26, 4, 4, 7, 0, 0, 0])
        let tokens = try decode(wire)
        guard case .returnValue(let value) = tokens[0] else { throw TDSWireError(.malformed, "no RETURNVALUE") }
        #expect(value.name == "@out" && value.ordinal == 1 && value.value == .int(7))
    }

    @Test("Collations: UTF-8 flag, sort IDs, LCIDs to code pages; single-byte tables")
    func collations() throws {
        let latin1 = try Collation(bytes: Wire.latin1)
        #expect(latin1.lcid == 0x0409 && latin1.sortID == 52 && latin1.codePage == 1252 && latin1.ignoresCase)
        #expect(try Collation(bytes: Wire.utf8).codePage == 65001)
        #expect(CodePages.forLCID(0x0419) == 1251 && CodePages.forLCID(0x0804) == 936 && CodePages.forLCID(0x040D) == 1255)
        #expect(CodePages.decode([0xC0, 0xE0], codePage: 1251) == "Аа")
        #expect(CodePages.decode([0x81], codePage: 1252) == "\u{FFFD}")
        #expect(CodePages.isSupported(932) && CodePages.isSupported(1250) && !CodePages.isSupported(20127))
        // Shift-JIS (932): full-width 1, あ, a half-width katakana byte, an invalid pair.
        #expect(CodePages.decode([0x82, 0x50, 0x82, 0xA0, 0xB1, 0x82, 0x31], codePage: 932) == "１あｱ\u{FFFD}1")
        #expect(CodePages.decode([0xC4, 0xE3, 0xBA, 0xC3], codePage: 936) == "你好")
        #expect(CodePages.decode([0xB0, 0xA1], codePage: 949) == "가")
        #expect(CodePages.decode([0xA4, 0xA4], codePage: 950) == "中")
        #expect(try Collation(bytes: [0x11, 0x04, 0xD0, 0x00, 0x00]).decode([0x8B, 0x9B]) == "魚")
    }

    @Test("Civil dates from day numbers, both directions")
    func civilDates() {
        #expect(CivilDate.fromDaysSinceYear1(0) == (1, 1, 1))
        #expect(CivilDate.fromDaysSinceYear1(CivilDate.daysFromYear1To1900) == (1900, 1, 1))
        #expect(CivilDate.daysSinceYear1(year: 2000, month: 2, day: 29) == 730_178)
        #expect(CivilDate.fromDaysSinceYear1(3_652_058) == (9999, 12, 31))
    }
}
