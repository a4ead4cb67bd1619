/// PRELOGIN (MS-TDS 2.2.6.5): the first message of every connection.
public enum Prelogin {
    /// The ENCRYPTION option (MS-TDS 2.2.6.5).
    public enum Encryption: UInt8, Sendable {
        case off = 0x00
        case on = 0x01
        case notSupported = 0x02
        case required = 0x03
    }

    public enum Option: UInt8, Sendable {
        case version = 0x00
        case encryption = 0x01
        case instance = 0x02
        case threadID = 0x03
        case mars = 0x04
        case traceID = 0x05
        case fedAuthRequired = 0x06
        case nonce = 0x07
        case terminator = 0xFF
    }

    public struct Request: Equatable, Sendable {
        /// Client version (major, minor, build) and sub-build.
        public var version: (UInt8, UInt8, UInt16) = (0, 0, 0)
        public var subBuild: UInt16 = 0
        /// This client never does TLS: NOT_SUP keeps the whole session in
        /// plain text (a server that requires encryption refuses the login).
        public var encryption: Encryption = .notSupported
        public var instance: String = ""
        public var threadID: UInt32 = 0
        public var mars = false

        public init() {}

        public static func == (a: Request, b: Request) -> Bool {
            a.version == b.version && a.subBuild == b.subBuild && a.encryption == b.encryption && a.instance == b.instance
                && a.threadID == b.threadID && a.mars == b.mars
        }

        /// The PRELOGIN payload: option table, terminator, option data.
        public func payload() -> [UInt8] {
            var version = ByteWriter()
            version.u8(self.version.0)
            version.u8(self.version.1)
            version.u16BigEndian(self.version.2)
            version.u16BigEndian(subBuild)
            var thread = ByteWriter()
            thread.u32BigEndian(threadID)
            let options: [(Option, [UInt8])] = [
                (.version, version.bytes),
                (.encryption, [encryption.rawValue]),
                (.instance, Array(instance.utf8) + [0]),
                (.threadID, thread.bytes),
                (.mars, [mars ? 1 : 0]),
            ]
            return Prelogin.encode(options)
        }
    }

    /// Encodes an option table: 5 bytes per option (token, big-endian offset
    /// and length), 0xFF, then the data.
    public static func encode(_ options: [(Option, [UInt8])]) -> [UInt8] {
        var table = ByteWriter()
        var data: [UInt8] = []
        let tableLength = options.count * 5 + 1
        for (option, value) in options {
            table.u8(option.rawValue)
            table.u16BigEndian(UInt16(tableLength + data.count))
            table.u16BigEndian(UInt16(value.count))
            data += value
        }
        table.u8(Option.terminator.rawValue)
        return table.bytes + data
    }

    public struct Response: Equatable, Sendable {
        /// Server version, "major.minor.build".
        public var version: String?
        public var encryption: Encryption?
        public var instance: String?
        public var threadID: UInt32?
        public var mars: Bool?
        public var fedAuthRequired: Bool?
    }

    public static func decodeResponse(_ payload: [UInt8]) throws(TDSWireError) -> Response {
        var reader = ByteReader(payload)
        var response = Response()
        while true {
            let token = try reader.u8("PRELOGIN option token")
            if token == Option.terminator.rawValue { break }
            let offset = Int(try reader.u16BigEndian("PRELOGIN option offset"))
            let length = Int(try reader.u16BigEndian("PRELOGIN option length"))
            guard offset + length <= payload.count else {
                throw TDSWireError(
                    .malformed, "PRELOGIN option \(token) points outside the payload (\(offset)+\(length) > \(payload.count))")
            }
            let value = Array(payload[offset..<offset + length])
            switch Option(rawValue: token) {
            case .version where length >= 4:
                response.version = "\(value[0]).\(value[1]).\(UInt16(value[2]) << 8 | UInt16(value[3]))"
            case .encryption where length >= 1:
                guard let mode = Encryption(rawValue: value[0]) else {
                    throw TDSWireError(.malformed, "PRELOGIN ENCRYPTION value \(value[0])")
                }
                response.encryption = mode
            case .instance:
                response.instance = String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
            case .threadID where length >= 4:
                var thread = ByteReader(value)
                response.threadID = UInt32(try thread.u16BigEndian()) << 16 | UInt32(try thread.u16BigEndian())
            case .mars where length >= 1:
                response.mars = value[0] != 0
            case .fedAuthRequired where length >= 1:
                response.fedAuthRequired = value[0] != 0
            default:
                break
            }
        }
        return response
    }
}
