/// A TDS collation (MS-TDS 2.2.5.1.2): LCID, comparison flags, version and
/// SQL sort ID, five bytes on the wire.
public struct Collation: Equatable, Sendable, Hashable {
    /// The low 32 bits: LCID (20 bits), flags (8 bits), version (4 bits).
    public var info: UInt32
    public var sortID: UInt8

    public init(info: UInt32, sortID: UInt8) {
        self.info = info
        self.sortID = sortID
    }

    public init(bytes: [UInt8]) throws(TDSWireError) {
        guard bytes.count == 5 else { throw TDSWireError(.malformed, "collation: \(bytes.count) bytes, expected 5") }
        info = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
        sortID = bytes[4]
    }

    public var bytes: [UInt8] {
        [UInt8(info & 0xff), UInt8((info >> 8) & 0xff), UInt8((info >> 16) & 0xff), UInt8(info >> 24), sortID]
    }

    public var lcid: UInt32 { info & 0x000F_FFFF }
    public var ignoresCase: Bool { info & (1 << 20) != 0 }
    public var ignoresAccent: Bool { info & (1 << 21) != 0 }
    public var isBinary: Bool { info & (1 << 24) != 0 }
    /// fUTF8 (bit 26): the bytes are UTF-8 whatever the LCID says.
    public var isUTF8: Bool { info & (1 << 26) != 0 }

    /// The code page of non-Unicode text in this collation, or nil when the
    /// LCID is not one this client knows.
    public var codePage: Int? {
        if isUTF8 { return 65001 }
        if sortID != 0 { return CodePages.forSortID(sortID) }
        return CodePages.forLCID(lcid)
    }

    /// Decodes char/varchar/text bytes of this collation.
    public func decode(_ bytes: [UInt8]) -> String {
        CodePages.decode(bytes, codePage: codePage ?? 1252)
    }
}

/// Non-Unicode text: the code pages Babelfish's collations use.
public enum CodePages {
    /// Whether `decode` has a table for this code page: UTF-8, Latin-1, the
    /// single-byte Windows and OEM pages, and the double-byte 932 (Japanese),
    /// 936 (Simplified Chinese), 949 (Korean) and 950 (Traditional Chinese).
    public static func isSupported(_ codePage: Int) -> Bool {
        codePage == 65001 || codePage == 28591 || highHalves[codePage] != nil || doubleByte[codePage] != nil
    }

    /// The double-byte tables as UTF-16 units, built on first use.
    static let doubleByte: [Int: (single: [UInt16], rows: [[UInt16]])] = doubleByteSources.mapValues { source in
        (Array(source.single.utf16), source.rows.map { Array($0.utf16) })
    }

    /// A lead byte and a trail byte in 0x40...0xFE make one character; an
    /// invalid pair is U+FFFD for the lead byte alone when the trail byte is
    /// below 0x40 (it is read again), else for both.
    static func decodeDoubleByte(_ bytes: [UInt8], table: (single: [UInt16], rows: [[UInt16]])) -> String {
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x80 {
                units.append(UInt16(byte))
                index += 1
                continue
            }
            let row = (0x81...0xFE).contains(byte) ? table.rows[Int(byte) - 0x81] : []
            if row.isEmpty {
                units.append(table.single[Int(byte) - 0x80])
                index += 1
                continue
            }
            guard index + 1 < bytes.count, (0x40...0xFE).contains(bytes[index + 1]) else {
                units.append(0xFFFD)
                index += 1
                continue
            }
            units.append(row[Int(bytes[index + 1]) - 0x40])
            index += 2
        }
        return String(decoding: units, as: UTF16.self)
    }

    public static func decode(_ bytes: [UInt8], codePage: Int) -> String {
        if codePage == 65001 { return String(decoding: bytes, as: UTF8.self) }
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        if let table = doubleByte[codePage] { return decodeDoubleByte(bytes, table: table) }
        var scalars = String.UnicodeScalarView()
        if codePage == 28591 {
            for byte in bytes { scalars.append(Unicode.Scalar(byte)) }
            return String(scalars)
        }
        let table = highHalves[codePage]
        for byte in bytes {
            if byte < 0x80 {
                scalars.append(Unicode.Scalar(byte))
            } else if let table, let scalar = Unicode.Scalar(table[Int(byte) - 0x80]) {
                scalars.append(scalar)
            } else {
                scalars.append("\u{FFFD}")
            }
        }
        return String(scalars)
    }

    /// SQL Server's SQL collation sort orders (the sort ID byte) by code page.
    public static func forSortID(_ sortID: UInt8) -> Int? {
        switch sortID {
        case 30...35: return 437
        case 40...45, 49, 55...61: return 850
        case 50...54, 71...75, 183...186: return 1252
        case 80...98: return 1250
        case 104...108: return 1251
        case 112...124: return 1253
        case 128...130: return 1254
        case 136...138: return 1255
        case 144...146: return 1256
        case 152...160: return 1257
        default: return nil
        }
    }

    /// Windows locale IDs by ANSI code page (the primary language, with the
    /// few sub-languages that change it).
    public static func forLCID(_ lcid: UInt32) -> Int? {
        switch lcid {
        case 0x0804, 0x1004: return 936  // Chinese (PRC, Singapore)
        case 0x0404, 0x0C04, 0x1404: return 950  // Chinese (Taiwan, Hong Kong, Macao)
        case 0x081A, 0x141A, 0x101A: return 1250  // Serbian/Bosnian/Croatian (Latin)
        case 0x0C1A, 0x201A, 0x1C1A: return 1251  // Serbian/Bosnian (Cyrillic)
        case 0x0843: return 1251  // Uzbek (Cyrillic)
        case 0x082C: return 1251  // Azeri (Cyrillic)
        default: break
        }
        switch lcid & 0x3FF {
        case 0x11: return 932  // Japanese
        case 0x12: return 949  // Korean
        case 0x1E: return 874  // Thai
        case 0x05, 0x0E, 0x15, 0x18, 0x1A, 0x1B, 0x1C, 0x24: return 1250
        case 0x02, 0x19, 0x22, 0x23, 0x2F, 0x3F, 0x40, 0x44, 0x50, 0x6D, 0x85: return 1251
        case 0x08: return 1253
        case 0x1F, 0x2C, 0x43: return 1254
        case 0x0D: return 1255
        case 0x01, 0x20, 0x29, 0x8C: return 1256
        case 0x25, 0x26, 0x27: return 1257
        case 0x2A: return 1258
        case 0x00: return nil
        default: return 1252
        }
    }
}
