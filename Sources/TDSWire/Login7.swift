/// LOGIN7 (MS-TDS 2.2.6.4) with SQL Server authentication.
public struct Login7: Sendable, Equatable {
    /// TDS 7.4 (SQL Server 2012 and later), little-endian on the wire.
    public static let tds74: UInt32 = 0x7400_0004

    public var tdsVersion: UInt32 = Login7.tds74
    /// The packet size the client asks for; the server may answer with
    /// another one in an ENVCHANGE.
    public var packetSize: UInt32 = 4096
    /// ClientProgVer, as four bytes (build, patch, minor, major for the JDBC driver).
    public var clientProgramVersion: [UInt8] = [0, 0, 0, 0]
    public var clientPID: UInt32 = 0
    public var connectionID: UInt32 = 0
    /// OptionFlags1: 0xE0 = USE_DB_OFF | INIT_DB_FATAL | SET_LANG_ON.
    public var optionFlags1: UInt8 = 0xE0
    /// OptionFlags2: 0x03 = INIT_LANG_FATAL | ODBC_ON (ANSI defaults; what
    /// the ODBC, OLE DB, .NET and JDBC drivers send).
    public var optionFlags2: UInt8 = 0x03
    public var typeFlags: UInt8 = 0
    /// OptionFlags3: 0x08 = UNKNOWN_COLLATION_HANDLING; 0x10 (extension)
    /// is added when `featureExtensions` is not empty.
    public var optionFlags3: UInt8 = 0x08
    public var clientTimeZone: Int32 = 0
    public var clientLCID: UInt32 = 0

    public var hostName = ""
    public var userName: String
    public var password: String
    public var applicationName = ""
    public var serverName = ""
    public var libraryName = "TDSWire"
    public var language = ""
    public var database = ""
    public var clientID: [UInt8] = [0, 0, 0, 0, 0, 0]
    /// FeatureExt entries (feature id, data), terminated by 0xFF on the wire.
    public var featureExtensions: [(UInt8, [UInt8])] = []

    public init(userName: String, password: String, database: String = "", applicationName: String = "") {
        self.userName = userName
        self.password = password
        self.database = database
        self.applicationName = applicationName
    }

    public static func == (a: Login7, b: Login7) -> Bool { a.payload() == b.payload() }

    /// The fixed part is 94 bytes: 36 of fixed fields, nine offset/length
    /// pairs, the client ID, and four more offset/length fields.
    static let fixedLength = 94

    /// MS-TDS 2.2.6.4: each password byte has its nibbles swapped, then is XORed with 0xA5.
    public static func obfuscate(password: String) -> [UInt8] {
        UCS2.encode(password).map { (($0 << 4) | ($0 >> 4)) ^ 0xA5 }
    }

    public func payload() -> [UInt8] {
        var data: [UInt8] = []
        var offsets = ByteWriter()
        func variable(_ bytes: [UInt8], characters: Int) {
            offsets.u16(UInt16(Login7.fixedLength + data.count))
            offsets.u16(UInt16(characters))
            data += bytes
        }
        func text(_ value: String) { variable(UCS2.encode(value), characters: value.utf16.count) }
        text(hostName)
        text(userName)
        variable(Login7.obfuscate(password: password), characters: password.utf16.count)
        text(applicationName)
        text(serverName)
        // ibExtension/cbExtension: a DWORD offset to the FeatureExt block, placed after all other data.
        let extensionPointerAt = data.count
        if featureExtensions.isEmpty {
            variable([], characters: 0)
        } else {
            variable([0, 0, 0, 0], characters: 4)
        }
        text(libraryName)
        text(language)
        text(database)
        offsets.append(clientID)
        variable([], characters: 0)  // SSPI
        variable([], characters: 0)  // AtchDBFile
        variable([], characters: 0)  // ChangePassword
        offsets.u32(0)  // cbSSPILong

        var flags3 = optionFlags3
        if !featureExtensions.isEmpty {
            flags3 |= 0x10
            let featureOffset = UInt32(Login7.fixedLength + data.count)
            for index in 0..<4 { data[extensionPointerAt + index] = UInt8((featureOffset >> UInt32(8 * index)) & 0xff) }
            for (feature, value) in featureExtensions {
                var entry = ByteWriter()
                entry.u8(feature)
                entry.u32(UInt32(value.count))
                entry.append(value)
                data += entry.bytes
            }
            data.append(0xFF)
        }

        var fixed = ByteWriter()
        fixed.u32(UInt32(Login7.fixedLength + data.count))
        fixed.u32(tdsVersion)
        fixed.u32(packetSize)
        fixed.append(Array(clientProgramVersion.prefix(4)) + [UInt8](repeating: 0, count: max(0, 4 - clientProgramVersion.count)))
        fixed.u32(clientPID)
        fixed.u32(connectionID)
        fixed.u8(optionFlags1)
        fixed.u8(optionFlags2)
        fixed.u8(typeFlags)
        fixed.u8(flags3)
        fixed.u32(UInt32(bitPattern: clientTimeZone))
        fixed.u32(clientLCID)
        return fixed.bytes + offsets.bytes + data
    }
}

/// SQLBatch (MS-TDS 2.2.6.7): ALL_HEADERS, then the text in UCS-2.
public enum SQLBatch {
    /// ALL_HEADERS (MS-TDS 2.2.5.3) with the one header every request needs
    /// from TDS 7.2 on: the transaction descriptor (0x0002).
    public static func allHeaders(transactionDescriptor: UInt64, outstandingRequests: UInt32 = 1) -> [UInt8] {
        var out = ByteWriter()
        out.u32(22)  // TotalLength
        out.u32(18)  // HeaderLength
        out.u16(0x0002)  // HeaderType: transaction descriptor
        out.u64(transactionDescriptor)
        out.u32(outstandingRequests)
        return out.bytes
    }

    public static func payload(_ sql: String, transactionDescriptor: UInt64 = 0) -> [UInt8] {
        allHeaders(transactionDescriptor: transactionDescriptor) + UCS2.encode(sql)
    }
}
