import BBFSystem
import TDSClient

/// Asks a TDS endpoint whether it offers TLS: a PRELOGIN that says the
/// client could encrypt (ENCRYPT_OFF). A server without TLS answers
/// ENCRYPT_NOT_SUP; one with TLS answers OFF, ON or REQ. No login, and the
/// connection is closed before any TLS handshake.
enum TDSProbe {
    enum Answer: Equatable {
        case tls
        case noTLS
        case unreachable(String)
    }

    static func ask(host: String, port: Int) -> Answer {
        var packet = Prelogin.requestPacket()
        // Byte 8 (header) + 26 (5 option tokens + terminator) + 6 (VERSION) is ENCRYPTION.
        let encryptionIndex = 40
        guard packet.count > encryptionIndex, packet[encryptionIndex] == 0x02 else { return probeOnly(host: host, port: port) }
        packet[encryptionIndex] = 0x00
        do {
            let connection = try TCPConnection(host: host, port: port, timeoutMilliseconds: 1000)
            defer { connection.close() }
            try connection.send(packet, timeoutMilliseconds: 1000)
            let header = try connection.receive(exactly: 8, timeoutMilliseconds: 2000)
            let length = Int(header[2]) << 8 | Int(header[3])
            guard header[0] == 0x04, length > 8, length <= 4096 else { return .unreachable("not a TDS answer") }
            let payload = try connection.receive(exactly: length - 8, timeoutMilliseconds: 1000)
            let response = try Prelogin.parseResponse(payload: payload)
            return response.encryption == 0x02 ? .noTLS : .tls
        } catch {
            return .unreachable("\(error)")
        }
    }

    private static func probeOnly(host: String, port: Int) -> Answer {
        do {
            _ = try Prelogin.probe(host: host, port: port)
            return .noTLS
        } catch {
            return .unreachable("\(error)")
        }
    }
}
