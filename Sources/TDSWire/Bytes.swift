/// Reads little-endian (and the odd big-endian) values from a byte array,
/// throwing instead of trapping when the input ends early.
public struct ByteReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var offset: Int

    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { offset >= bytes.count }

    /// The next byte without consuming it.
    public func peek() -> UInt8? { offset < bytes.count ? bytes[offset] : nil }

    private mutating func take(_ count: Int, _ what: String) throws(TDSWireError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else {
            throw TDSWireError(.truncated, "\(what): needs \(count) byte(s) at offset \(offset), \(max(remaining, 0)) left")
        }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    public mutating func skip(_ count: Int, _ what: String = "skip") throws(TDSWireError) { _ = try take(count, what) }

    public mutating func u8(_ what: String = "byte") throws(TDSWireError) -> UInt8 { try take(1, what).first ?? 0 }

    public mutating func u16(_ what: String = "USHORT") throws(TDSWireError) -> UInt16 {
        let s = try take(2, what)
        return UInt16(s[s.startIndex]) | UInt16(s[s.startIndex + 1]) << 8
    }

    public mutating func u16BigEndian(_ what: String = "USHORT") throws(TDSWireError) -> UInt16 {
        let s = try take(2, what)
        return UInt16(s[s.startIndex]) << 8 | UInt16(s[s.startIndex + 1])
    }

    public mutating func u32(_ what: String = "ULONG") throws(TDSWireError) -> UInt32 {
        let s = try take(4, what)
        var value: UInt32 = 0
        for (shift, byte) in s.enumerated() { value |= UInt32(byte) << (8 * UInt32(shift)) }
        return value
    }

    public mutating func u64(_ what: String = "ULONGLONG") throws(TDSWireError) -> UInt64 {
        try unsigned(8, what)
    }

    /// An unsigned little-endian integer of `count` (0...8) bytes.
    public mutating func unsigned(_ count: Int, _ what: String) throws(TDSWireError) -> UInt64 {
        let s = try take(count, what)
        var value: UInt64 = 0
        for (shift, byte) in s.enumerated() { value |= UInt64(byte) << (8 * UInt64(shift)) }
        return value
    }

    public mutating func i16(_ what: String = "SHORT") throws(TDSWireError) -> Int16 { Int16(bitPattern: try u16(what)) }
    public mutating func i32(_ what: String = "LONG") throws(TDSWireError) -> Int32 { Int32(bitPattern: try u32(what)) }
    public mutating func i64(_ what: String = "LONGLONG") throws(TDSWireError) -> Int64 { Int64(bitPattern: try u64(what)) }

    public mutating func bytes(_ count: Int, _ what: String = "bytes") throws(TDSWireError) -> [UInt8] {
        Array(try take(count, what))
    }

    /// `characters` UTF-16LE code units as a string.
    public mutating func ucs2(characters: Int, _ what: String = "UCS-2 string") throws(TDSWireError) -> String {
        UCS2.decode(try take(characters * 2, what))
    }

    /// B_VARCHAR: a one-byte character count, then UCS-2.
    public mutating func bVarChar(_ what: String = "B_VARCHAR") throws(TDSWireError) -> String {
        try ucs2(characters: Int(try u8(what)), what)
    }

    /// US_VARCHAR: a two-byte character count, then UCS-2.
    public mutating func usVarChar(_ what: String = "US_VARCHAR") throws(TDSWireError) -> String {
        try ucs2(characters: Int(try u16(what)), what)
    }
}

/// Appends little-endian values.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func u8(_ value: UInt8) { bytes.append(value) }
    public mutating func u16(_ value: UInt16) { bytes += [UInt8(value & 0xff), UInt8(value >> 8)] }
    public mutating func u16BigEndian(_ value: UInt16) { bytes += [UInt8(value >> 8), UInt8(value & 0xff)] }
    public mutating func u32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8((value >> UInt32(shift)) & 0xff)) }
    }
    public mutating func u32BigEndian(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8((value >> UInt32(shift)) & 0xff)) }
    }
    public mutating func u64(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8((value >> UInt64(shift)) & 0xff)) }
    }
    public mutating func append(_ data: [UInt8]) { bytes += data }
    public mutating func ucs2(_ text: String) { bytes += UCS2.encode(text) }

    /// Overwrites a little-endian UInt16 written earlier.
    public mutating func patch16(at offset: Int, _ value: UInt16) {
        bytes[offset] = UInt8(value & 0xff)
        bytes[offset + 1] = UInt8(value >> 8)
    }
    public mutating func patch32(at offset: Int, _ value: UInt32) {
        for index in 0..<4 { bytes[offset + index] = UInt8((value >> UInt32(8 * index)) & 0xff) }
    }
}

/// UTF-16LE, which TDS calls UCS-2 (surrogate pairs pass through).
public enum UCS2 {
    public static func encode(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf16.count * 2)
        for unit in text.utf16 { out += [UInt8(unit & 0xff), UInt8(unit >> 8)] }
        return out
    }

    /// Decodes UTF-16LE; unpaired surrogates become U+FFFD, as Java's decoder does.
    public static func decode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var low: UInt8?
        for byte in bytes {
            if let first = low {
                units.append(UInt16(first) | UInt16(byte) << 8)
                low = nil
            } else {
                low = byte
            }
        }
        return String(decoding: units, as: UTF16.self)
    }
}
