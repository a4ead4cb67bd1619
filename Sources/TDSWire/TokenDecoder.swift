/// Decodes the token stream of one tabular-result message (MS-TDS 2.2.7).
/// Every token is kept, in order: each DONE, DONEPROC and DONEINPROC with
/// its status and row count, every INFO and ERROR where it occurred.
public struct TokenDecoder: Sendable {
    /// The columns of the last COLMETADATA, which ROW and NBCROW refer to.
    public private(set) var columns: [ColumnMetadata] = []

    public init() {}

    public mutating func decode(_ payload: [UInt8]) throws(TDSWireError) -> [Token] {
        var reader = ByteReader(payload)
        var tokens: [Token] = []
        while !reader.isAtEnd {
            tokens.append(try next(&reader))
        }
        return tokens
    }

    mutating func next(_ reader: inout ByteReader) throws(TDSWireError) -> Token {
        let type = try reader.u8("token type")
        switch type {
        case TokenType.colMetadata:
            columns = try Self.colMetadata(&reader)
            return .colMetadata(columns)
        case TokenType.row:
            return .row(try columns.map { column throws(TDSWireError) in try ValueDecoder.value(&reader, column.type) }, compressed: false)
        case TokenType.nbcRow:
            let bitmap = try reader.bytes((columns.count + 7) / 8, "NBCROW null bitmap")
            var values: [TDSValue] = []
            for (index, column) in columns.enumerated() {
                if bitmap[index / 8] & (1 << UInt8(index % 8)) != 0 {
                    values.append(.null)
                } else {
                    values.append(try ValueDecoder.value(&reader, column.type))
                }
            }
            return .row(values, compressed: true)
        case TokenType.done, TokenType.doneProc, TokenType.doneInProc:
            let status = try reader.u16("DONE status")
            let command = try reader.u16("DONE command")
            let count = try reader.u64("DONE row count")
            return .done(
                Done(
                    kind: Done.Kind(rawValue: type) ?? .done, status: Done.Status(rawValue: status), currentCommand: command,
                    rowCount: count))
        case TokenType.error, TokenType.info:
            var body = ByteReader(try reader.bytes(Int(try reader.u16("message length")), "ERROR/INFO token"))
            let message = ServerMessage(
                number: try body.i32("message number"), state: try body.u8("message state"), severity: try body.u8("message class"),
                message: try body.usVarChar("message text"), server: try body.bVarChar("server name"),
                procedure: try body.bVarChar("procedure name"), line: try body.u32("line number"))
            return type == TokenType.error ? .error(message) : .info(message)
        case TokenType.envChange:
            return .envChange(try Self.envChange(try reader.bytes(Int(try reader.u16("ENVCHANGE length")), "ENVCHANGE token")))
        case TokenType.order:
            let length = Int(try reader.u16("ORDER length"))
            var body = ByteReader(try reader.bytes(length, "ORDER token"))
            var columns: [UInt16] = []
            while body.remaining >= 2 { columns.append(try body.u16()) }
            return .order(columns)
        case TokenType.returnStatus:
            return .returnStatus(try reader.i32("RETURNSTATUS value"))
        case TokenType.returnValue:
            let ordinal = try reader.u16("RETURNVALUE ordinal")
            let name = try reader.bVarChar("RETURNVALUE name")
            let status = try reader.u8("RETURNVALUE status")
            let userType = try reader.u32("RETURNVALUE user type")
            let flags = try reader.u16("RETURNVALUE flags")
            let info = try Self.typeInfo(&reader)
            let value = try ValueDecoder.value(&reader, info)
            return .returnValue(
                ReturnValue(ordinal: ordinal, name: name, status: status, userType: userType, flags: flags, type: info, value: value))
        case TokenType.loginAck:
            var body = ByteReader(try reader.bytes(Int(try reader.u16("LOGINACK length")), "LOGINACK token"))
            return .loginAck(
                LoginAck(
                    interface: try body.u8(), tdsVersion: UInt32(try body.u16BigEndian()) << 16 | UInt32(try body.u16BigEndian()),
                    programName: try body.bVarChar("LOGINACK program name"), programVersion: try body.bytes(4, "LOGINACK version")))
        case TokenType.featureExtAck:
            var acks: [FeatureAck] = []
            while true {
                let feature = try reader.u8("FEATUREEXTACK feature")
                if feature == 0xFF { break }
                acks.append(
                    FeatureAck(feature: feature, data: try reader.bytes(Int(try reader.u32("FEATUREEXTACK length")), "FEATUREEXTACK data")))
            }
            return .featureExtAck(acks)
        case TokenType.colInfo, TokenType.tabName, TokenType.sspi, TokenType.offset:
            return .other(type: type, data: try reader.bytes(Int(try reader.u16("token length")), "token 0x\(String(type, radix: 16))"))
        case TokenType.sessionState, TokenType.fedAuthInfo:
            return .other(type: type, data: try reader.bytes(Int(try reader.u32("token length")), "token 0x\(String(type, radix: 16))"))
        default:
            throw TDSWireError(.unsupported, "token 0x\(String(type, radix: 16)) at offset \(reader.offset - 1)")
        }
    }

    static func colMetadata(_ reader: inout ByteReader) throws(TDSWireError) -> [ColumnMetadata] {
        let count = try reader.u16("COLMETADATA count")
        if count == 0xFFFF { return [] }
        var columns: [ColumnMetadata] = []
        for _ in 0..<count {
            let userType = try reader.u32("column user type")
            let flags = try reader.u16("column flags")
            let info = try typeInfo(&reader)
            var tableName: [String]?
            if [TDSType.text, TDSType.ntext, TDSType.image].contains(info.type) {
                var parts: [String] = []
                for _ in 0..<(try reader.u8("table name parts")) { parts.append(try reader.usVarChar("table name part")) }
                tableName = parts
            }
            if flags & 0x0800 != 0 {
                throw TDSWireError(.unsupported, "an Always Encrypted column (CryptoMetadata)")
            }
            columns.append(
                ColumnMetadata(userType: userType, flags: flags, type: info, name: try reader.bVarChar("column name"), tableName: tableName)
            )
        }
        return columns
    }

    /// TYPE_INFO (MS-TDS 2.2.5.6).
    static func typeInfo(_ reader: inout ByteReader) throws(TDSWireError) -> TypeInfo {
        let type = try reader.u8("data type")
        if let size = TDSType.fixedSize(type) { return TypeInfo(type: type, maxLength: size) }
        var info = TypeInfo(type: type)
        switch type {
        case TDSType.guid, TDSType.intN, TDSType.bitN, TDSType.floatN, TDSType.moneyN, TDSType.datetimeN, TDSType.charLegacy,
            TDSType.varcharLegacy, TDSType.binaryLegacy, TDSType.varbinaryLegacy:
            info.maxLength = Int(try reader.u8("type length"))
        case TDSType.decimalN, TDSType.numericN, TDSType.decimalLegacy, TDSType.numericLegacy:
            info.maxLength = Int(try reader.u8("decimal length"))
            info.precision = try reader.u8("decimal precision")
            info.scale = try reader.u8("decimal scale")
        case TDSType.dateN:
            info.maxLength = 3
        case TDSType.timeN, TDSType.datetime2N, TDSType.datetimeOffsetN:
            info.scale = try reader.u8("time scale")
            guard info.scale <= 7 else { throw TDSWireError(.malformed, "time scale \(info.scale)") }
        case TDSType.bigVarBinary, TDSType.bigBinary:
            info.maxLength = Int(try reader.u16("type length"))
        case TDSType.bigVarChar, TDSType.bigChar, TDSType.nvarchar, TDSType.nchar:
            info.maxLength = Int(try reader.u16("type length"))
            info.collation = try Collation(bytes: try reader.bytes(5, "collation"))
        case TDSType.text, TDSType.ntext:
            info.maxLength = Int(try reader.u32("type length"))
            info.collation = try Collation(bytes: try reader.bytes(5, "collation"))
        case TDSType.image, TDSType.variant:
            info.maxLength = Int(try reader.u32("type length"))
        case TDSType.xml:
            info.maxLength = 0xFFFF
            if try reader.u8("xml schema present") != 0 {
                info.xmlSchema = XMLSchemaInfo(
                    database: try reader.bVarChar("xml schema database"), owningSchema: try reader.bVarChar("xml owning schema"),
                    collection: try reader.usVarChar("xml schema collection"))
            }
        case TDSType.udt:
            info.maxLength = Int(try reader.u16("UDT length"))
            info.udt = UDTInfo(
                database: try reader.bVarChar("UDT database"), schema: try reader.bVarChar("UDT schema"),
                typeName: try reader.bVarChar("UDT type name"), assemblyQualifiedName: try reader.usVarChar("UDT assembly"))
        default:
            throw TDSWireError(.unsupported, "data type 0x\(String(type, radix: 16)) in TYPE_INFO")
        }
        return info
    }

    static func envChange(_ bytes: [UInt8]) throws(TDSWireError) -> EnvChange {
        var body = ByteReader(bytes)
        let type = try body.u8("ENVCHANGE type")
        func varBytes() throws(TDSWireError) -> [UInt8] { try body.bytes(Int(try body.u8("ENVCHANGE value length")), "ENVCHANGE value") }
        switch type {
        case 1, 2, 3, 4:
            let new = try body.bVarChar("ENVCHANGE new value")
            let old = try body.bVarChar("ENVCHANGE old value")
            switch type {
            case 1: return .database(new: new, old: old)
            case 2: return .language(new: new, old: old)
            case 3: return .charset(new: new, old: old)
            default: return .packetSize(new: new, old: old)
            }
        case 7:
            return .collation(new: try varBytes(), old: try varBytes())
        case 8, 9, 10, 11, 12, 17:
            return .transaction(type: type, new: try varBytes(), old: try varBytes())
        case 18:
            return .resetConnectionAck
        default:
            return .other(type: type, data: Array(bytes.dropFirst()))
        }
    }
}
