import Testing

@testable import TDSClient

@Suite("TDS PRELOGIN")
struct PreloginTests {
    @Test("The request is a well-formed PRELOGIN packet that declines encryption")
    func request() {
        let packet = Prelogin.requestPacket()
        #expect(packet[0] == 0x12)
        #expect(packet[1] == 0x01)
        #expect(Int(packet[2]) << 8 | Int(packet[3]) == packet.count)
        let payload = Array(packet[8...])
        let parsed = try? Prelogin.parseResponse(payload: payload)
        #expect(parsed == Prelogin.Response(version: "0.0.0", encryption: 0x02))
    }

    @Test("A server's response gives its version")
    func response() throws {
        // VERSION 12.0.2000, ENCRYPTION off, terminator.
        let payload: [UInt8] = [0x00, 0, 11, 0, 6, 0x01, 0, 17, 0, 1, 0xff, 12, 0, 0x07, 0xd0, 0, 0, 0x00]
        #expect(try Prelogin.parseResponse(payload: payload) == Prelogin.Response(version: "12.0.2000", encryption: 0))
    }

    @Test("Malformed responses are rejected with a reason")
    func malformed() {
        #expect(throws: Prelogin.ProbeError.malformed("option list has no terminator")) {
            try Prelogin.parseResponse(payload: [])
        }
        #expect(throws: Prelogin.ProbeError.malformed("option 0 points past the end of the packet")) {
            try Prelogin.parseResponse(payload: [0x00, 0, 6, 0, 6, 0xff])
        }
        #expect(throws: Prelogin.ProbeError.malformed("no VERSION option")) {
            try Prelogin.parseResponse(payload: [0x01, 0, 6, 0, 1, 0xff, 0])
        }
    }
}
