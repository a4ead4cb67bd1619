/// `global/pg_control`: what a copied template must not share with the
/// template and with every other volume made from it. PostgreSQL's
/// `ControlFileData` starts with the 64-bit system identifier and ends with
/// the 32-byte mock authentication nonce followed by a CRC-32C of
/// everything before it (PostgreSQL 10 to 18); the fields between them
/// change from version to version, so the CRC is found, not assumed: it is
/// the first position whose four bytes are the CRC-32C of all the bytes
/// before it. Pure.
public enum ControlFile {
    /// `MOCK_AUTH_NONCE_LEN`.
    public static let nonceLength = 32

    /// The byte offset of the CRC field, or nil when none is found (not a
    /// pg_control of PostgreSQL 10 or later).
    public static func crcOffset(in bytes: [UInt8]) -> Int? {
        var crc = CRC32C()
        let limit = min(bytes.count - 4, 4096)
        guard limit > 8 + nonceLength else { return nil }
        var index = 0
        while index < limit {
            // The field is 4-byte aligned and follows at least the identifier and the nonce.
            if index % 4 == 0, index >= 8 + nonceLength, crc.value == readUInt32(bytes, at: index) {
                return index
            }
            crc.update(bytes[index])
            index += 1
        }
        return nil
    }

    /// The system identifier (little-endian on every platform PostgreSQL builds for here).
    public static func systemIdentifier(in bytes: [UInt8]) -> UInt64? {
        guard bytes.count >= 8 else { return nil }
        return (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[$1]) << (8 * UInt64($1)) }
    }

    /// The nonce, when the CRC is found.
    public static func nonce(in bytes: [UInt8]) -> [UInt8]? {
        guard let offset = crcOffset(in: bytes) else { return nil }
        return Array(bytes[(offset - nonceLength)..<offset])
    }

    /// The control file with a new system identifier and nonce and its CRC
    /// recomputed; nil when it is not a control file this understands.
    public static func withIdentity(_ bytes: [UInt8], systemIdentifier: UInt64, nonce: [UInt8]) -> [UInt8]? {
        guard nonce.count == nonceLength, let offset = crcOffset(in: bytes) else { return nil }
        var result = bytes
        for index in 0..<8 { result[index] = UInt8(truncatingIfNeeded: systemIdentifier >> (8 * UInt64(index))) }
        result.replaceSubrange((offset - nonceLength)..<offset, with: nonce)
        var crc = CRC32C()
        for byte in result[0..<offset] { crc.update(byte) }
        for index in 0..<4 { result[offset + index] = UInt8(truncatingIfNeeded: crc.value >> (8 * UInt32(index))) }
        return result
    }

    /// A system identifier made as initdb makes one: the time in seconds in
    /// the upper 32 bits, microseconds shifted left by 12 below them, and
    /// (where initdb puts 12 bits of its pid) 12 random bits.
    public static func newSystemIdentifier(seconds: UInt64, microseconds: UInt64, random: UInt16) -> UInt64 {
        (seconds << 32) | (microseconds << 12) | UInt64(random & 0x0FFF)
    }

    private static func readUInt32(_ bytes: [UInt8], at index: Int) -> UInt32 {
        UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2]) << 16 | UInt32(bytes[index + 3]) << 24
    }
}

/// CRC-32C (Castagnoli), as PostgreSQL's `COMP_CRC32C`: reflected polynomial
/// 0x82F63B78, initial value and final XOR 0xFFFFFFFF. Table-driven: no
/// library in this Foundation-free closure has it, and it is a dozen lines.
struct CRC32C {
    private var state: UInt32 = 0xFFFF_FFFF

    /// The CRC of the bytes so far.
    var value: UInt32 { state ^ 0xFFFF_FFFF }

    mutating func update(_ byte: UInt8) {
        state = CRC32C.table[Int((state ^ UInt32(byte)) & 0xFF)] ^ (state >> 8)
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc = CRC32C()
        for byte in bytes { crc.update(byte) }
        return crc.value
    }

    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? (value >> 1) ^ 0x82F6_3B78 : value >> 1 }
        return value
    }
}
