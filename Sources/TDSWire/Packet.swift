/// TDS packet types (MS-TDS 2.2.3.1.1).
public enum PacketType: UInt8, Sendable {
    case sqlBatch = 0x01
    case rpc = 0x03
    case tabularResult = 0x04
    case attention = 0x06
    case bulkLoad = 0x07
    case transactionManager = 0x0E
    case login7 = 0x10
    case sspi = 0x11
    case prelogin = 0x12
}

/// The 8-byte packet header (MS-TDS 2.2.3.1).
public struct PacketHeader: Equatable, Sendable {
    public static let size = 8

    /// Status bits (MS-TDS 2.2.3.1.2).
    public struct Status: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// The last packet of the message.
        public static let endOfMessage = Status(rawValue: 0x01)
        public static let ignore = Status(rawValue: 0x02)
        public static let resetConnection = Status(rawValue: 0x08)
        public static let resetConnectionSkipTransaction = Status(rawValue: 0x10)
    }

    public var type: UInt8
    public var status: Status
    /// Header plus payload, in bytes (big-endian on the wire).
    public var length: UInt16
    public var spid: UInt16
    public var packetID: UInt8
    public var window: UInt8

    public init(type: UInt8, status: Status, length: UInt16, spid: UInt16 = 0, packetID: UInt8 = 1, window: UInt8 = 0) {
        self.type = type
        self.status = status
        self.length = length
        self.spid = spid
        self.packetID = packetID
        self.window = window
    }

    public var bytes: [UInt8] {
        [type, status.rawValue, UInt8(length >> 8), UInt8(length & 0xff), UInt8(spid >> 8), UInt8(spid & 0xff), packetID, window]
    }

    public static func decode(_ bytes: [UInt8]) throws(TDSWireError) -> PacketHeader {
        guard bytes.count >= size else { throw TDSWireError(.truncated, "packet header: \(bytes.count) of 8 bytes") }
        let length = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        guard length >= UInt16(size) else { throw TDSWireError(.malformed, "packet header: length \(length) is shorter than the header") }
        return PacketHeader(
            type: bytes[0], status: Status(rawValue: bytes[1]), length: length, spid: UInt16(bytes[4]) << 8 | UInt16(bytes[5]),
            packetID: bytes[6], window: bytes[7])
    }
}

public enum Packets {
    /// Splits a message into packets of at most `packetSize` bytes (header
    /// included); the last one carries END OF MESSAGE. Packet IDs count from 1
    /// and wrap at 255, as MS-TDS allows.
    public static func frame(_ type: PacketType, _ payload: [UInt8], packetSize: Int, resetConnection: Bool = false) -> [UInt8] {
        let chunk = max(packetSize, 512) - PacketHeader.size
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + (payload.count / chunk + 1) * PacketHeader.size)
        var start = 0
        var packetID: UInt8 = 1
        repeat {
            let end = min(start + chunk, payload.count)
            var status: PacketHeader.Status = end == payload.count ? .endOfMessage : []
            if resetConnection && start == 0 { status.insert(.resetConnection) }
            let header = PacketHeader(
                type: type.rawValue, status: status, length: UInt16(end - start + PacketHeader.size), packetID: packetID)
            out += header.bytes
            out += payload[start..<end]
            start = end
            packetID = packetID == 255 ? 0 : packetID + 1
        } while start < payload.count
        return out
    }

    /// Joins the payloads of a sequence of packets that make up one message.
    /// Returns the message and how many bytes of `stream` it used, or nil when
    /// the END OF MESSAGE packet is not complete yet.
    public static func reassemble(_ stream: [UInt8]) throws(TDSWireError) -> (type: UInt8, payload: [UInt8], consumed: Int)? {
        var offset = 0
        var payload: [UInt8] = []
        var type: UInt8?
        while stream.count - offset >= PacketHeader.size {
            let header = try PacketHeader.decode(Array(stream[offset..<offset + PacketHeader.size]))
            guard stream.count - offset >= Int(header.length) else { return nil }
            if let type, type != header.type {
                throw TDSWireError(.malformed, "packet of type \(header.type) inside a message of type \(type)")
            }
            type = header.type
            payload += stream[(offset + PacketHeader.size)..<(offset + Int(header.length))]
            offset += Int(header.length)
            if header.status.contains(.endOfMessage) { return (header.type, payload, offset) }
        }
        return nil
    }
}
