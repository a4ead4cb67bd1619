/// Decodes one value of a ROW, NBCROW or RETURNVALUE (MS-TDS 2.2.5.2, 2.2.5.5).
public enum ValueDecoder {
    public static func value(_ reader: inout ByteReader, _ info: TypeInfo) throws(TDSWireError) -> TDSValue {
        let type = info.type
        if let size = TDSType.fixedSize(type) {
            if type == TDSType.null { return .null }
            return try scalar(type: type, bytes: try reader.bytes(size, "fixed-length value"), info: info)
        }
        switch type {
        case TDSType.guid, TDSType.intN, TDSType.bitN, TDSType.floatN, TDSType.moneyN, TDSType.datetimeN, TDSType.decimalN,
            TDSType.numericN, TDSType.decimalLegacy, TDSType.numericLegacy, TDSType.dateN, TDSType.timeN, TDSType.datetime2N,
            TDSType.datetimeOffsetN, TDSType.charLegacy, TDSType.varcharLegacy, TDSType.binaryLegacy, TDSType.varbinaryLegacy:
            let length = Int(try reader.u8("value length"))
            if length == 0 { return .null }
            return try scalar(type: type, bytes: try reader.bytes(length, "value"), info: info)
        case TDSType.bigVarChar, TDSType.bigChar, TDSType.nvarchar, TDSType.nchar, TDSType.bigVarBinary, TDSType.bigBinary:
            if info.isPLP {
                guard let bytes = try plp(&reader) else { return .null }
                return try scalar(type: type, bytes: bytes, info: info)
            }
            let length = try reader.u16("value length")
            if length == 0xFFFF { return .null }
            return try scalar(type: type, bytes: try reader.bytes(Int(length), "value"), info: info)
        case TDSType.xml:
            guard let bytes = try plp(&reader) else { return .null }
            return .xml(UCS2.decode(bytes))
        case TDSType.udt:
            guard let bytes = try plp(&reader) else { return .null }
            return .udt(bytes)
        case TDSType.text, TDSType.ntext, TDSType.image:
            let pointerLength = Int(try reader.u8("text pointer length"))
            if pointerLength == 0 { return .null }
            try reader.skip(pointerLength + 8, "text pointer and timestamp")
            let length = Int(try reader.u32("text length"))
            return try scalar(type: type, bytes: try reader.bytes(length, "text value"), info: info)
        case TDSType.variant:
            let length = Int(try reader.u32("sql_variant length"))
            if length == 0 { return .null }
            return try variant(try reader.bytes(length, "sql_variant value"))
        default:
            throw TDSWireError(.unsupported, "values of data type 0x\(String(type, radix: 16))")
        }
    }

    /// A PLP value's chunks joined, or nil for PLP_NULL (MS-TDS 2.2.5.2.3).
    static func plp(_ reader: inout ByteReader) throws(TDSWireError) -> [UInt8]? {
        let total = try reader.u64("PLP length")
        if total == 0xFFFF_FFFF_FFFF_FFFF { return nil }
        var bytes: [UInt8] = []
        if total != 0xFFFF_FFFF_FFFF_FFFE, total < UInt64(reader.remaining) { bytes.reserveCapacity(Int(total)) }
        while true {
            let chunk = Int(try reader.u32("PLP chunk length"))
            if chunk == 0 { break }
            bytes += try reader.bytes(chunk, "PLP chunk")
        }
        return bytes
    }

    private static func integer(_ bytes: [UInt8]) -> UInt64 {
        var value: UInt64 = 0
        for (index, byte) in bytes.prefix(8).enumerated() { value |= UInt64(byte) << (8 * UInt64(index)) }
        return value
    }

    /// A non-null value from its bytes.
    static func scalar(type: UInt8, bytes: [UInt8], info: TypeInfo) throws(TDSWireError) -> TDSValue {
        let raw = integer(bytes)
        switch type {
        case TDSType.int1: return .tinyint(UInt8(truncatingIfNeeded: raw))
        case TDSType.int2: return .smallint(Int16(truncatingIfNeeded: raw))
        case TDSType.int4: return .int(Int32(truncatingIfNeeded: raw))
        case TDSType.int8: return .bigint(Int64(bitPattern: raw))
        case TDSType.intN:
            switch bytes.count {
            case 1: return .tinyint(UInt8(truncatingIfNeeded: raw))
            case 2: return .smallint(Int16(truncatingIfNeeded: raw))
            case 4: return .int(Int32(truncatingIfNeeded: raw))
            case 8: return .bigint(Int64(bitPattern: raw))
            default: throw TDSWireError(.malformed, "intn value of \(bytes.count) bytes")
            }
        case TDSType.bit, TDSType.bitN: return .bit(raw != 0)
        case TDSType.float4: return .real(Float(bitPattern: UInt32(truncatingIfNeeded: raw)))
        case TDSType.float8: return .float(Double(bitPattern: raw))
        case TDSType.floatN:
            switch bytes.count {
            case 4: return .real(Float(bitPattern: UInt32(truncatingIfNeeded: raw)))
            case 8: return .float(Double(bitPattern: raw))
            default: throw TDSWireError(.malformed, "floatn value of \(bytes.count) bytes")
            }
        case TDSType.money, TDSType.money4, TDSType.moneyN:
            switch bytes.count {
            // money: the high 32 bits first, then the low 32 bits.
            case 8: return .money(Int64(bitPattern: (raw & 0xFFFF_FFFF) << 32 | raw >> 32))
            case 4: return .smallmoney(Int32(truncatingIfNeeded: raw))
            default: throw TDSWireError(.malformed, "money value of \(bytes.count) bytes")
            }
        case TDSType.datetime, TDSType.datetime4, TDSType.datetimeN:
            switch bytes.count {
            case 8: return .datetime(days: Int32(truncatingIfNeeded: raw & 0xFFFF_FFFF), ticks: UInt32(truncatingIfNeeded: raw >> 32))
            case 4: return .smalldatetime(days: UInt16(truncatingIfNeeded: raw), minutes: UInt16(truncatingIfNeeded: raw >> 16))
            default: throw TDSWireError(.malformed, "datetime value of \(bytes.count) bytes")
            }
        case TDSType.decimalN, TDSType.numericN, TDSType.decimalLegacy, TDSType.numericLegacy:
            return .decimal(try TDSDecimal(wire: bytes, precision: info.precision, scale: info.scale))
        case TDSType.dateN:
            guard bytes.count == 3 else { throw TDSWireError(.malformed, "date value of \(bytes.count) bytes") }
            return .date(days: Int(raw))
        case TDSType.timeN:
            guard bytes.count == TimeOfDay.byteCount(scale: info.scale) else {
                throw TDSWireError(.malformed, "time(\(info.scale)) value of \(bytes.count) bytes")
            }
            return .time(TimeOfDay(units: raw, scale: info.scale))
        case TDSType.datetime2N:
            let timeBytes = TimeOfDay.byteCount(scale: info.scale)
            guard bytes.count == timeBytes + 3 else {
                throw TDSWireError(.malformed, "datetime2(\(info.scale)) value of \(bytes.count) bytes")
            }
            return .datetime2(
                days: Int(integer(Array(bytes[timeBytes...]))),
                time: TimeOfDay(units: integer(Array(bytes[..<timeBytes])), scale: info.scale))
        case TDSType.datetimeOffsetN:
            let timeBytes = TimeOfDay.byteCount(scale: info.scale)
            guard bytes.count == timeBytes + 5 else {
                throw TDSWireError(.malformed, "datetimeoffset(\(info.scale)) value of \(bytes.count) bytes")
            }
            return .datetimeOffset(
                days: Int(integer(Array(bytes[timeBytes..<timeBytes + 3]))),
                time: TimeOfDay(units: integer(Array(bytes[..<timeBytes])), scale: info.scale),
                offsetMinutes: Int16(truncatingIfNeeded: integer(Array(bytes[(timeBytes + 3)...]))))
        case TDSType.guid:
            guard bytes.count == 16 else { throw TDSWireError(.malformed, "uniqueidentifier value of \(bytes.count) bytes") }
            return .guid(bytes)
        case TDSType.bigVarChar, TDSType.bigChar, TDSType.charLegacy, TDSType.varcharLegacy, TDSType.text:
            return .string(info.collation?.decode(bytes) ?? CodePages.decode(bytes, codePage: 1252))
        case TDSType.nvarchar, TDSType.nchar, TDSType.ntext:
            return .string(UCS2.decode(bytes))
        case TDSType.bigVarBinary, TDSType.bigBinary, TDSType.binaryLegacy, TDSType.varbinaryLegacy, TDSType.image:
            return .binary(bytes)
        default:
            throw TDSWireError(.unsupported, "values of data type 0x\(String(type, radix: 16))")
        }
    }

    /// sql_variant (MS-TDS 2.2.5.5.4): base type, property count, properties, value.
    static func variant(_ bytes: [UInt8]) throws(TDSWireError) -> TDSValue {
        var reader = ByteReader(bytes)
        let baseType = try reader.u8("sql_variant base type")
        let propertyCount = Int(try reader.u8("sql_variant property count"))
        let properties = try reader.bytes(propertyCount, "sql_variant properties")
        let data = try reader.bytes(reader.remaining, "sql_variant data")
        var variant = SQLVariant(baseType: baseType, properties: properties, value: .binary(data), decoded: false)
        if let value = try? scalar(type: baseType, bytes: data, info: variant.typeInfo) {
            variant.value = value
            variant.decoded = true
        }
        return .variant(variant)
    }
}
