/// Token bytes of the tabular result stream (MS-TDS 2.2.7).
public enum TokenType {
    public static let altMetadata: UInt8 = 0x88
    public static let altRow: UInt8 = 0xD3
    public static let colMetadata: UInt8 = 0x81
    public static let colInfo: UInt8 = 0xA5
    public static let done: UInt8 = 0xFD
    public static let doneProc: UInt8 = 0xFE
    public static let doneInProc: UInt8 = 0xFF
    public static let envChange: UInt8 = 0xE3
    public static let error: UInt8 = 0xAA
    public static let featureExtAck: UInt8 = 0xAE
    public static let fedAuthInfo: UInt8 = 0xEE
    public static let info: UInt8 = 0xAB
    public static let loginAck: UInt8 = 0xAD
    public static let nbcRow: UInt8 = 0xD2
    public static let offset: UInt8 = 0x78
    public static let order: UInt8 = 0xA9
    public static let returnStatus: UInt8 = 0x79
    public static let returnValue: UInt8 = 0xAC
    public static let row: UInt8 = 0xD1
    public static let sessionState: UInt8 = 0xE4
    public static let sspi: UInt8 = 0xED
    public static let tabName: UInt8 = 0xA4
}

/// One token of a server response, in stream order.
public enum Token: Equatable, Sendable {
    case colMetadata([ColumnMetadata])
    /// ROW or NBCROW (`compressed`: the null-bitmap form), one value per column.
    case row([TDSValue], compressed: Bool)
    /// ORDER: the 1-based columns the result is ordered by.
    case order([UInt16])
    case returnStatus(Int32)
    case returnValue(ReturnValue)
    case error(ServerMessage)
    case info(ServerMessage)
    case envChange(EnvChange)
    case loginAck(LoginAck)
    case featureExtAck([FeatureAck])
    case done(Done)
    /// COLINFO, TABNAME, SESSIONSTATE, SSPI, FEDAUTHINFO, OFFSET: kept as their bytes.
    case other(type: UInt8, data: [UInt8])
}

/// DONE, DONEPROC, DONEINPROC (MS-TDS 2.2.7.6-8).
public struct Done: Equatable, Sendable {
    public enum Kind: UInt8, Sendable {
        case done = 0xFD
        case doneProc = 0xFE
        case doneInProc = 0xFF
    }

    public struct Status: OptionSet, Sendable, Hashable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        public static let more = Status(rawValue: 0x0001)
        public static let error = Status(rawValue: 0x0002)
        public static let inTransaction = Status(rawValue: 0x0004)
        /// `rowCount` is valid.
        public static let count = Status(rawValue: 0x0010)
        /// Acknowledges an ATTENTION.
        public static let attention = Status(rawValue: 0x0020)
        public static let rpcInBatch = Status(rawValue: 0x0080)
        public static let serverError = Status(rawValue: 0x0100)
    }

    public var kind: Kind
    public var status: Status
    /// The token of the statement (SQL Server's internal command number: 0xC1 SELECT, 0xC3 INSERT, ...).
    public var currentCommand: UInt16
    public var rowCount: UInt64

    public init(kind: Kind, status: Status, currentCommand: UInt16, rowCount: UInt64) {
        self.kind = kind
        self.status = status
        self.currentCommand = currentCommand
        self.rowCount = rowCount
    }

    /// The row count when the COUNT bit says it is valid.
    public var count: UInt64? { status.contains(.count) ? rowCount : nil }
    /// The last DONE of a response (no MORE bit).
    public var isFinal: Bool { !status.contains(.more) }
}

/// ERROR and INFO (MS-TDS 2.2.7.10, 2.2.7.13).
public struct ServerMessage: Equatable, Sendable, CustomStringConvertible {
    public var number: Int32
    public var state: UInt8
    /// Severity: 0-10 informational, 11 and up errors.
    public var severity: UInt8
    public var message: String
    public var server: String
    public var procedure: String
    public var line: UInt32

    public init(
        number: Int32, state: UInt8, severity: UInt8, message: String, server: String = "", procedure: String = "", line: UInt32 = 0
    ) {
        self.number = number
        self.state = state
        self.severity = severity
        self.message = message
        self.server = server
        self.procedure = procedure
        self.line = line
    }

    public var description: String {
        "Msg \(number), Level \(severity), State \(state)\(procedure.isEmpty ? "" : ", Procedure \(procedure)"), Line \(line): \(message)"
    }
}

/// ENVCHANGE (MS-TDS 2.2.7.9).
public enum EnvChange: Equatable, Sendable {
    case database(new: String, old: String)
    case language(new: String, old: String)
    case charset(new: String, old: String)
    case packetSize(new: String, old: String)
    case collation(new: [UInt8], old: [UInt8])
    /// Begin, commit, rollback, enlist, defect, end (types 8-12, 17): the new and old transaction descriptors.
    case transaction(type: UInt8, new: [UInt8], old: [UInt8])
    case resetConnectionAck
    case other(type: UInt8, data: [UInt8])

    /// The new transaction descriptor, as sent in ALL_HEADERS (0 when none).
    public var transactionDescriptor: UInt64? {
        guard case .transaction(let type, let new, _) = self else { return nil }
        if type == 8 || type == 11 {
            var value: UInt64 = 0
            for (index, byte) in new.prefix(8).enumerated() { value |= UInt64(byte) << (8 * UInt64(index)) }
            return value
        }
        return 0
    }
}

/// LOGINACK (MS-TDS 2.2.7.14).
public struct LoginAck: Equatable, Sendable {
    public var interface: UInt8
    public var tdsVersion: UInt32
    public var programName: String
    public var programVersion: [UInt8]
}

/// One entry of FEATUREEXTACK.
public struct FeatureAck: Equatable, Sendable {
    public var feature: UInt8
    public var data: [UInt8]
}

/// RETURNVALUE (MS-TDS 2.2.7.18): an output parameter or a UDF's return value.
public struct ReturnValue: Equatable, Sendable {
    public var ordinal: UInt16
    public var name: String
    public var status: UInt8
    public var userType: UInt32
    public var flags: UInt16
    public var type: TypeInfo
    public var value: TDSValue
}
