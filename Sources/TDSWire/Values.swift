/// A decoded column, parameter or sql_variant value. Temporal values keep
/// their wire units; `CivilDate` turns day numbers into dates.
public indirect enum TDSValue: Equatable, Sendable {
    case null
    case tinyint(UInt8)
    case smallint(Int16)
    case int(Int32)
    case bigint(Int64)
    case bit(Bool)
    case real(Float)
    case float(Double)
    /// money, in ten-thousandths.
    case money(Int64)
    /// smallmoney, in ten-thousandths.
    case smallmoney(Int32)
    case decimal(TDSDecimal)
    /// datetime: days since 1900-01-01 and 1/300 s since midnight.
    case datetime(days: Int32, ticks: UInt32)
    /// smalldatetime: days since 1900-01-01 and minutes since midnight.
    case smalldatetime(days: UInt16, minutes: UInt16)
    /// date: days since 0001-01-01.
    case date(days: Int)
    case time(TimeOfDay)
    case datetime2(days: Int, time: TimeOfDay)
    /// datetimeoffset: the date and time in UTC, and the offset of the local time.
    case datetimeOffset(days: Int, time: TimeOfDay, offsetMinutes: Int16)
    /// char, varchar, text (decoded with the column's collation), nchar, nvarchar, ntext.
    case string(String)
    /// binary, varbinary, image, timestamp.
    case binary([UInt8])
    /// uniqueidentifier, 16 bytes in wire order (first three groups little-endian).
    case guid([UInt8])
    case xml(String)
    case udt([UInt8])
    case variant(SQLVariant)

    public var isNull: Bool { self == .null }
}

/// decimal/numeric: sign, magnitude (up to 128 bits), precision and scale.
public struct TDSDecimal: Equatable, Sendable {
    public var negative: Bool
    /// Little-endian 32-bit words of the unscaled magnitude.
    public var magnitude: [UInt32]
    public var precision: UInt8
    public var scale: UInt8

    public init(negative: Bool, magnitude: [UInt32], precision: UInt8, scale: UInt8) {
        self.negative = negative
        self.magnitude = magnitude
        self.precision = precision
        self.scale = scale
    }

    /// From the wire: a sign byte (1 positive, 0 negative), then 4, 8, 12 or 16 magnitude bytes.
    public init(wire: [UInt8], precision: UInt8, scale: UInt8) throws(TDSWireError) {
        guard let sign = wire.first, [5, 9, 13, 17].contains(wire.count) else {
            throw TDSWireError(.malformed, "decimal value of \(wire.count) bytes")
        }
        var words: [UInt32] = []
        var index = 1
        while index < wire.count {
            var word: UInt32 = 0
            for byte in 0..<4 { word |= UInt32(wire[index + byte]) << (8 * UInt32(byte)) }
            words.append(word)
            index += 4
        }
        self.init(negative: sign == 0, magnitude: words, precision: precision, scale: scale)
    }

    public var isZero: Bool { magnitude.allSatisfy { $0 == 0 } }

    /// The unscaled magnitude in decimal digits ("0" for zero).
    public var unscaledDigits: String {
        var words = magnitude
        while let last = words.last, last == 0 { words.removeLast() }
        if words.isEmpty { return "0" }
        var chunks: [UInt32] = []
        while !words.isEmpty {
            var remainder: UInt64 = 0
            for index in stride(from: words.count - 1, through: 0, by: -1) {
                let current = remainder << 32 | UInt64(words[index])
                words[index] = UInt32(current / 1_000_000_000)
                remainder = current % 1_000_000_000
            }
            chunks.append(UInt32(remainder))
            while let last = words.last, last == 0 { words.removeLast() }
        }
        var text = String(chunks.removeLast())
        for chunk in chunks.reversed() {
            let digits = String(chunk)
            text += String(repeating: "0", count: 9 - digits.count) + digits
        }
        return text
    }

    /// Plain notation with exactly `scale` decimals: "-12.3400", "0.05".
    public var plainString: String {
        let digits = unscaledDigits
        let scale = Int(self.scale)
        var text: String
        if scale == 0 {
            text = digits
        } else if digits.count > scale {
            text = String(digits.dropLast(scale)) + "." + String(digits.suffix(scale))
        } else {
            text = "0." + String(repeating: "0", count: scale - digits.count) + digits
        }
        if negative && !isZero { text = "-" + text }
        return text
    }
}

/// A time of day in units of 10^-scale seconds.
public struct TimeOfDay: Equatable, Sendable {
    public var units: UInt64
    public var scale: UInt8

    public init(units: UInt64, scale: UInt8) {
        self.units = units
        self.scale = scale
    }

    public var nanoseconds: UInt64 {
        var value = units
        for _ in Int(scale)..<9 { value *= 10 }
        return value
    }

    /// Bytes of a time value of this scale (MS-TDS 2.2.5.5.1.8).
    public static func byteCount(scale: UInt8) -> Int {
        switch scale {
        case 0...2: return 3
        case 3...4: return 4
        default: return 5
        }
    }
}

/// A sql_variant: the base type, its properties and the value.
public struct SQLVariant: Equatable, Sendable {
    public var baseType: UInt8
    public var properties: [UInt8]
    /// The decoded value; `.binary(raw)` for a base type this client does not decode.
    public var value: TDSValue
    public var decoded: Bool

    public init(baseType: UInt8, properties: [UInt8], value: TDSValue, decoded: Bool) {
        self.baseType = baseType
        self.properties = properties
        self.value = value
        self.decoded = decoded
    }

    /// The base type as TYPE_INFO (precision, scale, length, collation from the properties).
    public var typeInfo: TypeInfo {
        var info = TypeInfo(type: baseType, maxLength: TDSType.fixedSize(baseType) ?? 0)
        switch baseType {
        case TDSType.decimalN, TDSType.numericN:
            if properties.count >= 2 {
                info.precision = properties[0]
                info.scale = properties[1]
            }
        case TDSType.timeN, TDSType.datetime2N, TDSType.datetimeOffsetN:
            if let scale = properties.first { info.scale = scale }
        case TDSType.bigVarBinary, TDSType.bigBinary:
            if properties.count >= 2 { info.maxLength = Int(properties[0]) | Int(properties[1]) << 8 }
        case TDSType.bigVarChar, TDSType.bigChar, TDSType.nvarchar, TDSType.nchar:
            if properties.count >= 7 {
                info.collation = try? Collation(bytes: Array(properties[0..<5]))
                info.maxLength = Int(properties[5]) | Int(properties[6]) << 8
            }
        default:
            break
        }
        return info
    }
}

/// Proleptic Gregorian dates from day numbers.
public enum CivilDate {
    /// Days from 0001-01-01 to 1900-01-01.
    public static let daysFromYear1To1900 = 693_595

    /// (year, month, day) of the day `days` after 0001-01-01.
    public static func fromDaysSinceYear1(_ days: Int) -> (year: Int, month: Int, day: Int) {
        // Howard Hinnant's civil_from_days, shifted from 1970-01-01 to 0001-01-01.
        let z = days - 719_162 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// Days from 0001-01-01 to the given date.
    public static func daysSinceYear1(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468 + 719_162
    }
}
