import Testing

@testable import TDSWire

@Suite("TDS packets, PRELOGIN, LOGIN7 and SQLBatch encoding")
struct PacketTests {
    @Test("A packet header is type, status, big-endian length, SPID, packet ID, window")
    func header() throws {
        let header = PacketHeader(type: 0x12, status: .endOfMessage, length: 0x002F, spid: 0x0102, packetID: 1)
        #expect(header.bytes == [0x12, 0x01, 0x00, 0x2F, 0x01, 0x02, 0x01, 0x00])
        #expect(try PacketHeader.decode(header.bytes) == header)
        #expect(throws: TDSWireError.self) { try PacketHeader.decode([0x04, 0x01, 0x00, 0x04, 0, 0, 1, 0]) }
    }

    @Test("A message longer than the packet size is split; only the last packet has END OF MESSAGE")
    func framing() throws {
        let payload = (0..<1200).map { UInt8($0 % 251) }
        let framed = Packets.frame(.sqlBatch, payload, packetSize: 512)
        // 504 payload bytes per 512-byte packet: 504 + 504 + 192.
        #expect(framed.count == 1200 + 3 * 8)
        #expect(Array(framed[0..<8]) == [0x01, 0x00, 0x02, 0x00, 0, 0, 1, 0])
        #expect(Array(framed[512..<520]) == [0x01, 0x00, 0x02, 0x00, 0, 0, 2, 0])
        #expect(Array(framed[1024..<1032]) == [0x01, 0x01, 0x00, 0xC8, 0, 0, 3, 0])
        let message = try #require(try Packets.reassemble(framed))
        #expect(message.type == 0x01 && message.payload == payload && message.consumed == framed.count)
        #expect(try Packets.reassemble(Array(framed.dropLast())) == nil)
    }

    @Test("PRELOGIN asks for no encryption; the response's options are read by offset")
    func prelogin() throws {
        let payload = Prelogin.Request().payload()
        // 5 options x 5 bytes + terminator = 26; VERSION (6 bytes) at 26, ENCRYPTION (1) at 32, ...
        #expect(Array(payload[0..<5]) == [0x00, 0x00, 26, 0x00, 6])
        #expect(Array(payload[5..<10]) == [0x01, 0x00, 32, 0x00, 1])
        #expect(payload[25] == 0xFF)
        #expect(payload[32] == 0x02)  // ENCRYPT_NOT_SUP
        // A server's answer: VERSION 12.0.2000, ENCRYPTION NOT_SUP, terminator.
        let response: [UInt8] = [0x00, 0x00, 11, 0x00, 6, 0x01, 0x00, 17, 0x00, 1, 0xFF, 12, 0, 0x07, 0xD0, 0, 0, 0x02]
        let decoded = try Prelogin.decodeResponse(response)
        #expect(decoded.version == "12.0.2000")
        #expect(decoded.encryption == .notSupported)
        #expect(throws: TDSWireError.self) { try Prelogin.decodeResponse([0x00, 0x00, 40, 0x00, 6, 0xFF]) }
    }

    @Test("LOGIN7: the 94-byte fixed part, offsets into the data, an obfuscated password")
    func login7() throws {
        var login = Login7(userName: "sa", password: "a", database: "master", applicationName: "app")
        login.packetSize = 8000
        login.hostName = "h"
        let bytes = login.payload()
        var reader = ByteReader(bytes)
        #expect(try reader.u32() == UInt32(bytes.count))
        #expect(try reader.u32() == 0x7400_0004)
        #expect(try reader.u32() == 8000)
        try reader.skip(12)
        #expect(try reader.u8() == 0xE0)
        #expect(try reader.u8() == 0x03)
        #expect(try reader.u8() == 0x00)
        #expect(try reader.u8() == 0x08)
        try reader.skip(8)
        // ibHostName/cchHostName, ibUserName/cchUserName, ibPassword/cchPassword
        #expect(try reader.u16() == 94)
        #expect(try reader.u16() == 1)
        #expect(try reader.u16() == 96)
        #expect(try reader.u16() == 2)
        #expect(try reader.u16() == 100)
        #expect(try reader.u16() == 1)
        // 'a' = 0x61 0x00: nibbles swapped (0x16, 0x00), XOR 0xA5.
        #expect(Array(bytes[100..<102]) == [0xB3, 0xA5])
        #expect(Login7.obfuscate(password: "a") == [0xB3, 0xA5])
        #expect(UCS2.decode(bytes[94..<96]) == "h")
        #expect(UCS2.decode(bytes[96..<100]) == "sa")
    }

    @Test("LOGIN7 feature extensions: the extension offset points at a terminated list and fExtension is set")
    func featureExtension() throws {
        var login = Login7(userName: "u", password: "p")
        login.featureExtensions = [(0x0A, [])]
        let bytes = login.payload()
        #expect(bytes[27] & 0x10 != 0)
        let extensionOffset = Int(bytes[56]) | Int(bytes[57]) << 8
        let pointer = Int(bytes[extensionOffset]) | Int(bytes[extensionOffset + 1]) << 8
        #expect(Array(bytes[pointer...]) == [0x0A, 0, 0, 0, 0, 0xFF])
    }

    @Test("SQLBatch: ALL_HEADERS with the transaction descriptor, then UCS-2 text")
    func sqlBatch() {
        let payload = SQLBatch.payload("go", transactionDescriptor: 0x0102)
        #expect(
            payload == [22, 0, 0, 0, 18, 0, 0, 0, 2, 0, 0x02, 0x01, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x67, 0x00, 0x6F, 0x00])
    }
}
