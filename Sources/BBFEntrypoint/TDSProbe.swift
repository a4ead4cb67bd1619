import BBFSystem
import TDSClient

/// The health check's TDS exchange: a PRELOGIN, and when the server
/// requires encryption (`babelfishpg_tds.tds_ssl_encrypt = on`) the TLS
/// handshake it then waits for, closed with close_notify. A client that
/// hung up instead would make the server log "could not accept SSL
/// connection" on every check; a completed handshake logs nothing, and
/// shows the certificate and key really work.
enum TDSProbe {
    struct Result: Equatable {
        var version: String
        /// The protocol of the handshake, when encryption was required.
        var tls: String?
    }

    private static let packetPrelogin: UInt8 = 0x12
    private static let packetResponse: UInt8 = 0x04
    private static let encryptRequired: UInt8 = 0x03
    private static let encryptOn: UInt8 = 0x01

    static func run(host: String, port: Int, timeoutMilliseconds: Int) throws -> Result {
        let connection = try TCPConnection(host: host, port: port, timeoutMilliseconds: timeoutMilliseconds)
        defer { connection.close() }
        try connection.send(Prelogin.requestPacket(), timeoutMilliseconds: timeoutMilliseconds)
        let response = try Prelogin.parseResponse(
            payload: try receivePacket(connection, type: packetResponse, timeoutMilliseconds: timeoutMilliseconds))
        guard response.encryption == encryptRequired || response.encryption == encryptOn else {
            return Result(version: response.version, tls: nil)
        }
        let client = try TLSClient()
        var input: [UInt8] = []
        var packetID: UInt8 = 1
        while true {
            let done = try client.handshake(input)
            let output = client.takeOutput()
            var offset = 0
            // The handshake travels in PRELOGIN packets of at most 4096 bytes.
            while offset < output.count {
                let chunk = output[offset..<min(output.count, offset + 4088)]
                let length = chunk.count + 8
                packetID &+= 1
                try connection.send(
                    [packetPrelogin, 0x01, UInt8(length >> 8), UInt8(length & 0xff), 0, 0, packetID, 0] + chunk,
                    timeoutMilliseconds: timeoutMilliseconds)
                offset += chunk.count
            }
            if done { break }
            input = try receivePacket(connection, type: packetPrelogin, timeoutMilliseconds: timeoutMilliseconds)
        }
        // After the handshake TLS records go bare on the connection.
        client.close()
        try? connection.send(client.takeOutput(), timeoutMilliseconds: timeoutMilliseconds)
        return Result(version: response.version, tls: client.protocolVersion)
    }

    /// One TDS packet's payload.
    private static func receivePacket(_ connection: TCPConnection, type: UInt8, timeoutMilliseconds: Int) throws -> [UInt8] {
        let header = try connection.receive(exactly: 8, timeoutMilliseconds: timeoutMilliseconds)
        guard header[0] == type else { throw Prelogin.ProbeError.malformed("packet type \(header[0]), expected \(type)") }
        let length = Int(header[2]) << 8 | Int(header[3])
        guard length > 8 else { throw Prelogin.ProbeError.malformed("packet length \(length)") }
        return try connection.receive(exactly: length - 8, timeoutMilliseconds: timeoutMilliseconds)
    }
}
