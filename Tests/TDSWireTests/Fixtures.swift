import TDSWire

/// Builds token-stream bytes by hand, field by field as MS-TDS lays them out.
struct Wire {
    var bytes: [UInt8] = []

    @discardableResult mutating func u8(_ v: UInt8) -> Wire { bytes.append(v); return self }
    mutating func u16(_ v: UInt16) { bytes += [UInt8(v & 0xff), UInt8(v >> 8)] }
    mutating func u32(_ v: UInt32) { for i in 0..<4 { bytes.append(UInt8((v >> (8 * UInt32(i))) & 0xff)) } }
    mutating func u64(_ v: UInt64) { for i in 0..<8 { bytes.append(UInt8((v >> (8 * UInt64(i))) & 0xff)) } }
    mutating func raw(_ v: [UInt8]) { bytes += v }
    /// UTF-16LE text without a length.
    mutating func text(_ s: String) { for unit in s.utf16 { u16(unit) } }
    /// B_VARCHAR: one-byte character count.
    mutating func bVarChar(_ s: String) {
        u8(UInt8(s.utf16.count))
        text(s)
    }
    /// US_VARCHAR: two-byte character count.
    mutating func usVarChar(_ s: String) {
        u16(UInt16(s.utf16.count))
        text(s)
    }

    /// SQL_Latin1_General_CP1_CI_AS as Babelfish sends it (LCID 0x0409, sort ID 52).
    static let latin1: [UInt8] = [0x09, 0x04, 0xD0, 0x00, 0x34]
    /// An LCID 1033 collation with fUTF8 (bit 26) set and no sort ID.
    static let utf8: [UInt8] = [0x09, 0x04, 0xD0, 0x04, 0x00]

    /// One COLMETADATA column: user type, flags, TYPE_INFO, name.
    mutating func column(_ typeInfo: [UInt8], name: String, userType: UInt32 = 0, flags: UInt16 = 0x0009) {
        u32(userType)
        u16(flags)
        raw(typeInfo)
        bVarChar(name)
    }

    mutating func done(_ token: UInt8 = 0xFD, status: UInt16, command: UInt16, count: UInt64) {
        u8(token)
        u16(status)
        u16(command)
        u64(count)
    }

    mutating func message(
        _ token: UInt8, number: Int32, state: UInt8, severity: UInt8, text message: String, server: String, procedure: String, line: UInt32
    ) {
        var body = Wire()
        body.u32(UInt32(bitPattern: number))
        body.u8(state)
        body.u8(severity)
        body.usVarChar(message)
        body.bVarChar(server)
        body.bVarChar(procedure)
        body.u32(line)
        u8(token)
        u16(UInt16(body.bytes.count))
        raw(body.bytes)
    }
}

func decode(_ wire: Wire) throws -> [Token] {
    var decoder = TokenDecoder()
    return try decoder.decode(wire.bytes)
}
