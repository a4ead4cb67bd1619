/// TDS data type bytes (MS-TDS 2.2.5.4).
public enum TDSType {
    public static let null: UInt8 = 0x1F
    public static let int1: UInt8 = 0x30
    public static let bit: UInt8 = 0x32
    public static let int2: UInt8 = 0x34
    public static let int4: UInt8 = 0x38
    public static let datetime4: UInt8 = 0x3A
    public static let float4: UInt8 = 0x3B
    public static let money: UInt8 = 0x3C
    public static let datetime: UInt8 = 0x3D
    public static let float8: UInt8 = 0x3E
    public static let money4: UInt8 = 0x7A
    public static let int8: UInt8 = 0x7F

    public static let guid: UInt8 = 0x24
    public static let intN: UInt8 = 0x26
    public static let decimalLegacy: UInt8 = 0x37
    public static let numericLegacy: UInt8 = 0x3F
    public static let bitN: UInt8 = 0x68
    public static let decimalN: UInt8 = 0x6A
    public static let numericN: UInt8 = 0x6C
    public static let floatN: UInt8 = 0x6D
    public static let moneyN: UInt8 = 0x6E
    public static let datetimeN: UInt8 = 0x6F
    public static let dateN: UInt8 = 0x28
    public static let timeN: UInt8 = 0x29
    public static let datetime2N: UInt8 = 0x2A
    public static let datetimeOffsetN: UInt8 = 0x2B
    public static let charLegacy: UInt8 = 0x2F
    public static let varcharLegacy: UInt8 = 0x27
    public static let binaryLegacy: UInt8 = 0x2D
    public static let varbinaryLegacy: UInt8 = 0x25

    public static let bigVarBinary: UInt8 = 0xA5
    public static let bigVarChar: UInt8 = 0xA7
    public static let bigBinary: UInt8 = 0xAD
    public static let bigChar: UInt8 = 0xAF
    public static let nvarchar: UInt8 = 0xE7
    public static let nchar: UInt8 = 0xEF

    public static let image: UInt8 = 0x22
    public static let text: UInt8 = 0x23
    public static let ntext: UInt8 = 0x63
    public static let variant: UInt8 = 0x62
    public static let xml: UInt8 = 0xF1
    public static let udt: UInt8 = 0xF0

    /// The fixed-length types and their sizes.
    public static func fixedSize(_ type: UInt8) -> Int? {
        switch type {
        case null: return 0
        case int1, bit: return 1
        case int2: return 2
        case int4, datetime4, float4, money4: return 4
        case money, datetime, float8, int8: return 8
        default: return nil
        }
    }
}

/// The user type of a `timestamp` (rowversion) column: binary(8) on the wire.
public let timestampUserType: UInt32 = 0x50

/// A column's or parameter's type (TYPE_INFO, MS-TDS 2.2.5.6).
public struct TypeInfo: Equatable, Sendable {
    public var type: UInt8
    /// Maximum length in bytes (0xFFFF for (max) types, which are sent as
    /// PLP; the 4-byte length of text, ntext, image and sql_variant).
    public var maxLength: Int
    public var precision: UInt8 = 0
    public var scale: UInt8 = 0
    public var collation: Collation?
    /// UDT: database, schema, type name, assembly-qualified name.
    public var udt: UDTInfo?
    /// xml: the schema collection, when typed.
    public var xmlSchema: XMLSchemaInfo?

    public init(type: UInt8, maxLength: Int = 0, precision: UInt8 = 0, scale: UInt8 = 0, collation: Collation? = nil) {
        self.type = type
        self.maxLength = maxLength
        self.precision = precision
        self.scale = scale
        self.collation = collation
    }

    /// Partially length-prefixed (varchar(max), nvarchar(max), varbinary(max), xml, UDT).
    public var isPLP: Bool {
        switch type {
        case TDSType.xml, TDSType.udt: return true
        case TDSType.bigVarChar, TDSType.bigVarBinary, TDSType.nvarchar: return maxLength == 0xFFFF
        default: return false
        }
    }

    /// The SQL Server type name of this type, as drivers report it
    /// (`intn` of length 4 is `int`, `binary(8)` with user type 80 is
    /// `timestamp`, a UDT is its own name).
    public func sqlTypeName(userType: UInt32 = 0) -> String {
        switch type {
        case TDSType.int1: return "tinyint"
        case TDSType.int2: return "smallint"
        case TDSType.int4: return "int"
        case TDSType.int8: return "bigint"
        case TDSType.intN:
            switch maxLength {
            case 1: return "tinyint"
            case 2: return "smallint"
            case 8: return "bigint"
            default: return "int"
            }
        case TDSType.bit, TDSType.bitN: return "bit"
        case TDSType.float4: return "real"
        case TDSType.float8: return "float"
        case TDSType.floatN: return maxLength == 4 ? "real" : "float"
        case TDSType.money: return "money"
        case TDSType.money4: return "smallmoney"
        case TDSType.moneyN: return maxLength == 4 ? "smallmoney" : "money"
        case TDSType.datetime: return "datetime"
        case TDSType.datetime4: return "smalldatetime"
        case TDSType.datetimeN: return maxLength == 4 ? "smalldatetime" : "datetime"
        case TDSType.decimalN, TDSType.decimalLegacy: return "decimal"
        case TDSType.numericN, TDSType.numericLegacy: return "numeric"
        case TDSType.dateN: return "date"
        case TDSType.timeN: return "time"
        case TDSType.datetime2N: return "datetime2"
        case TDSType.datetimeOffsetN: return "datetimeoffset"
        case TDSType.guid: return "uniqueidentifier"
        case TDSType.bigChar, TDSType.charLegacy: return "char"
        case TDSType.bigVarChar, TDSType.varcharLegacy: return "varchar"
        case TDSType.nchar: return "nchar"
        case TDSType.nvarchar: return "nvarchar"
        case TDSType.text: return "text"
        case TDSType.ntext: return "ntext"
        case TDSType.image: return "image"
        case TDSType.bigBinary, TDSType.binaryLegacy: return userType == timestampUserType ? "timestamp" : "binary"
        case TDSType.bigVarBinary, TDSType.varbinaryLegacy: return "varbinary"
        case TDSType.variant: return "sql_variant"
        case TDSType.xml: return "xml"
        case TDSType.udt: return udt?.typeName ?? "udt"
        case TDSType.null: return "null"
        default: return "unknown(0x\(String(type, radix: 16)))"
        }
    }
}

public struct UDTInfo: Equatable, Sendable {
    public var database: String
    public var schema: String
    public var typeName: String
    public var assemblyQualifiedName: String

    public init(database: String, schema: String, typeName: String, assemblyQualifiedName: String) {
        self.database = database
        self.schema = schema
        self.typeName = typeName
        self.assemblyQualifiedName = assemblyQualifiedName
    }
}

public struct XMLSchemaInfo: Equatable, Sendable {
    public var database: String
    public var owningSchema: String
    public var collection: String
}

/// One column of a COLMETADATA token.
public struct ColumnMetadata: Equatable, Sendable {
    public var userType: UInt32
    public var flags: UInt16
    public var type: TypeInfo
    public var name: String
    /// text, ntext and image columns carry their table's name.
    public var tableName: [String]?

    public init(userType: UInt32, flags: UInt16, type: TypeInfo, name: String, tableName: [String]? = nil) {
        self.userType = userType
        self.flags = flags
        self.type = type
        self.name = name
        self.tableName = tableName
    }

    public var isNullable: Bool { flags & 0x0001 != 0 }
    public var isIdentity: Bool { flags & 0x0010 != 0 }
    public var sqlTypeName: String { type.sqlTypeName(userType: userType) }
}
