import BBFSystem

/// The TDS PRELOGIN exchange (MS-TDS 2.2.6.5): the first packet every client
/// sends. A server that answers it with a well-formed PRELOGIN response is
/// speaking TDS; no login and no credentials are involved.
public enum Prelogin {
    /// What the server said about itself.
    public struct Response: Equatable, Sendable {
        /// Server version from the VERSION option, e.g. "12.0.2000".
        public var version: String
        /// The ENCRYPTION option byte (0 off, 1 on, 2 not supported, 3 required).
        public var encryption: UInt8?
    }

    public enum ProbeError: Error, CustomStringConvertible, Equatable {
        case malformed(String)
        public var description: String {
            switch self {
            case .malformed(let reason): return "not a TDS PRELOGIN response: \(reason)"
            }
        }
    }

    private static let packetTypePrelogin: UInt8 = 0x12
    private static let packetTypeResponse: UInt8 = 0x04

    /// The PRELOGIN request packet: VERSION, ENCRYPTION (not supported, so the
    /// server never starts TLS), INSTOPT, THREADID, MARS, terminator.
    public static func requestPacket() -> [UInt8] {
        let options: [(token: UInt8, data: [UInt8])] = [
            (0x00, [0, 0, 0, 0, 0, 0]),  // VERSION: client version 0.0.0
            (0x01, [0x02]),  // ENCRYPTION: ENCRYPT_NOT_SUP
            (0x02, [0x00]),  // INSTOPT: default instance
            (0x03, [0, 0, 0, 0]),  // THREADID
            (0x04, [0x00]),  // MARS off
        ]
        let headerLength = options.count * 5 + 1
        var tokens: [UInt8] = []
        var data: [UInt8] = []
        for option in options {
            let offset = headerLength + data.count
            tokens += [
                option.token, UInt8(offset >> 8), UInt8(offset & 0xff), UInt8(option.data.count >> 8), UInt8(option.data.count & 0xff),
            ]
            data += option.data
        }
        tokens.append(0xff)
        let payload = tokens + data
        let length = payload.count + 8
        return [packetTypePrelogin, 0x01, UInt8(length >> 8), UInt8(length & 0xff), 0, 0, 1, 0] + payload
    }

    /// Parses the payload of a PRELOGIN response (without the 8-byte header).
    public static func parseResponse(payload: [UInt8]) throws -> Response {
        var index = 0
        var version: String?
        var encryption: UInt8?
        while true {
            guard index < payload.count else { throw ProbeError.malformed("option list has no terminator") }
            let token = payload[index]
            if token == 0xff { break }
            guard index + 5 <= payload.count else { throw ProbeError.malformed("truncated option header") }
            let offset = Int(payload[index + 1]) << 8 | Int(payload[index + 2])
            let length = Int(payload[index + 3]) << 8 | Int(payload[index + 4])
            guard offset + length <= payload.count else {
                throw ProbeError.malformed("option \(token) points past the end of the packet")
            }
            let value = Array(payload[offset..<(offset + length)])
            switch token {
            case 0x00:
                guard value.count >= 6 else { throw ProbeError.malformed("VERSION option is \(value.count) bytes") }
                let build = Int(value[2]) << 8 | Int(value[3])
                version = "\(value[0]).\(value[1]).\(build)"
            case 0x01:
                encryption = value.first
            default:
                break
            }
            index += 5
        }
        guard let version else { throw ProbeError.malformed("no VERSION option") }
        return Response(version: version, encryption: encryption)
    }

    /// Sends PRELOGIN to host:port and checks the answer.
    public static func probe(host: String, port: Int, timeoutMilliseconds: Int = 1000) throws -> Response {
        let connection = try TCPConnection(host: host, port: port, timeoutMilliseconds: timeoutMilliseconds)
        defer { connection.close() }
        try connection.send(requestPacket(), timeoutMilliseconds: timeoutMilliseconds)
        let header = try connection.receive(exactly: 8, timeoutMilliseconds: timeoutMilliseconds)
        guard header[0] == packetTypeResponse else {
            throw ProbeError.malformed("packet type \(header[0]), expected 4")
        }
        let length = Int(header[2]) << 8 | Int(header[3])
        guard length > 8, length <= 4096 else { throw ProbeError.malformed("packet length \(length)") }
        let payload = try connection.receive(exactly: length - 8, timeoutMilliseconds: timeoutMilliseconds)
        return try parseResponse(payload: payload)
    }
}
