import TDSWire

/// What the upstream runner writes for one column of one row: the runner
/// calls `getObject` (NULL check) then `getString`, and mssql-jdbc 8.2.2
/// turns each SQL Server type into a Java object whose `toString` it prints.
public enum JDBCCell: Equatable, Sendable {
    case null
    case text(String)
    /// The driver threw (e.g. a sql_variant base type it does not read):
    /// the runner prints the error where the value would be.
    case driverError(String)
}

public enum JDBCValues {
    public static func cell(_ value: TDSValue, column: ColumnMetadata) -> JDBCCell {
        switch value {
        case .null: return .null
        case .variant(let variant): return variantCell(variant)
        default: return .text(string(value, type: column.type))
        }
    }

    /// `getString` of a non-null, non-variant value.
    static func string(_ value: TDSValue, type: TypeInfo) -> String {
        switch value {
        case .null: return ""
        case .tinyint(let v): return String(v)
        case .smallint(let v): return String(v)
        case .int(let v): return String(v)
        case .bigint(let v): return String(v)
        case .bit(let v): return v ? "1" : "0"
        case .real(let v): return JavaFormat.float(v)
        case .float(let v): return JavaFormat.double(v)
        case .money(let v): return JavaFormat.money(v)
        case .smallmoney(let v): return JavaFormat.money(Int64(v))
        case .decimal(let v): return JavaFormat.bigDecimal(v)
        case .datetime(let days, let ticks):
            let millis = (Int(ticks) * 10 + 1) / 3
            return JavaFormat.timestamp(
                days: CivilDate.daysFromYear1To1900 + Int(days), secondsOfDay: millis / 1000, nanos: millis % 1000 * 1_000_000)
        case .smalldatetime(let days, let minutes):
            return JavaFormat.timestamp(days: CivilDate.daysFromYear1To1900 + Int(days), secondsOfDay: Int(minutes) * 60, nanos: 0)
        case .date(let days): return JavaFormat.date(days)
        case .time(let time):
            let nanos = time.nanoseconds
            return JavaFormat.clock(Int(nanos / 1_000_000_000)) + JavaFormat.fraction(nanos: nanos % 1_000_000_000, scale: time.scale)
        case .datetime2(let days, let time):
            let nanos = time.nanoseconds
            return JavaFormat.date(days) + " " + JavaFormat.clock(Int(nanos / 1_000_000_000))
                + JavaFormat.fraction(nanos: nanos % 1_000_000_000, scale: time.scale)
        case .datetimeOffset(let days, let time, let offset):
            // The value is UTC; the driver prints it in its own offset.
            let nanos = time.nanoseconds
            let totalSeconds = Int(nanos / 1_000_000_000) + Int(offset) * 60
            let dayShift = totalSeconds >= 0 ? totalSeconds / 86400 : -((-totalSeconds + 86399) / 86400)
            let seconds = totalSeconds - dayShift * 86400
            let sign = offset >= 0 ? "+" : "-"
            let magnitude = Int(offset.magnitude)
            return JavaFormat.date(days + dayShift) + " " + JavaFormat.clock(seconds)
                + JavaFormat.fraction(nanos: nanos % 1_000_000_000, scale: time.scale)
                + " \(sign)\(JavaFormat.pad(magnitude / 60, 2)):\(JavaFormat.pad(magnitude % 60, 2))"
        case .string(let v): return v
        case .xml(let v): return v
        case .binary(let bytes), .udt(let bytes): return hex(bytes)
        case .guid(let bytes): return guid(bytes)
        case .variant(let variant):
            if case .text(let text) = variantCell(variant) { return text }
            return ""
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits: [Character] = Array("0123456789ABCDEF")
        var out = ""
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return out
    }

    /// The first three groups are little-endian on the wire.
    static func guid(_ bytes: [UInt8]) -> String {
        guard bytes.count == 16 else { return hex(bytes) }
        let order = [3, 2, 1, 0, -1, 5, 4, -1, 7, 6, -1, 8, 9, -1, 10, 11, 12, 13, 14, 15]
        var out = ""
        for index in order {
            if index < 0 { out += "-" } else { out += hex([bytes[index]]) }
        }
        return out
    }

    /// mssql-jdbc's TDSType names, used in its "Unexpected TDS type" message.
    static func driverTypeName(_ type: UInt8) -> String {
        switch type {
        case TDSType.bit: return "BIT1"
        case TDSType.int8: return "INT8"
        case TDSType.int4: return "INT4"
        case TDSType.int2: return "INT2"
        case TDSType.int1: return "INT1"
        case TDSType.float4: return "FLOAT4"
        case TDSType.float8: return "FLOAT8"
        case TDSType.datetime4: return "DATETIME4"
        case TDSType.datetime: return "DATETIME8"
        case TDSType.money4: return "MONEY4"
        case TDSType.money: return "MONEY8"
        case TDSType.bitN: return "BITN"
        case TDSType.intN: return "INTN"
        case TDSType.decimalN: return "DECIMALN"
        case TDSType.numericN: return "NUMERICN"
        case TDSType.floatN: return "FLOATN"
        case TDSType.moneyN: return "MONEYN"
        case TDSType.datetimeN: return "DATETIMEN"
        case TDSType.guid: return "GUID"
        case TDSType.dateN: return "DATEN"
        case TDSType.timeN: return "TIMEN"
        case TDSType.datetime2N: return "DATETIME2N"
        case TDSType.datetimeOffsetN: return "DATETIMEOFFSETN"
        case TDSType.bigChar: return "BIGCHAR"
        case TDSType.bigVarChar: return "BIGVARCHAR"
        case TDSType.bigBinary: return "BIGBINARY"
        case TDSType.bigVarBinary: return "BIGVARBINARY"
        case TDSType.nchar: return "NCHAR"
        case TDSType.nvarchar: return "NVARCHAR"
        case TDSType.image: return "IMAGE"
        case TDSType.text: return "TEXT"
        case TDSType.ntext: return "NTEXT"
        case TDSType.udt: return "UDT"
        case TDSType.xml: return "XML"
        case TDSType.variant: return "SQL_VARIANT"
        default: return "0x\(String(type, radix: 16))"
        }
    }

    /// sql_variant: `readSqlVariant` replaces the requested type with the
    /// base type's for most base types (so bit is a Boolean, datetime2 a
    /// Timestamp, binary a byte[]) and prints that object's `toString`; time
    /// keeps the requested CHAR and prints like a time column.
    static func variantCell(_ variant: SQLVariant) -> JDBCCell {
        let supported: Set<UInt8> = [
            TDSType.int8, TDSType.int4, TDSType.int2, TDSType.int1, TDSType.decimalN, TDSType.numericN, TDSType.float4, TDSType.float8,
            TDSType.money4, TDSType.money, TDSType.bit, TDSType.bitN, TDSType.bigVarChar, TDSType.bigChar, TDSType.nchar, TDSType.nvarchar,
            TDSType.datetime, TDSType.datetime4, TDSType.dateN, TDSType.timeN, TDSType.datetime2N, TDSType.bigBinary, TDSType.bigVarBinary,
            TDSType.guid,
        ]
        guard supported.contains(variant.baseType), variant.decoded else {
            return .driverError("Unexpected TDS type  \(driverTypeName(variant.baseType))  in SQL_VARIANT.")
        }
        switch variant.value {
        case .bit(let v): return .text(v ? "true" : "false")
        case .datetime(let days, let ticks):
            let millis = (Int(ticks) * 10 + 1) / 3
            return .text(
                JavaFormat.timestamp(
                    days: CivilDate.daysFromYear1To1900 + Int(days), secondsOfDay: millis / 1000, nanos: millis % 1000 * 1_000_000))
        case .datetime2(let days, let time):
            let nanos = time.nanoseconds
            return .text(JavaFormat.timestamp(days: days, secondsOfDay: Int(nanos / 1_000_000_000), nanos: Int(nanos % 1_000_000_000)))
        case .binary(let bytes):
            // byte[].toString(): an identity hash no renderer can reproduce.
            return .text("[B@" + hex(Array(bytes.prefix(4))).lowercased())
        default:
            return .text(string(variant.value, type: variant.typeInfo))
        }
    }
}
