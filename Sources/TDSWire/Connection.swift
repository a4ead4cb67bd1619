import BBFSystem

/// One TDS 7.4 session over TCP, without TLS: PRELOGIN, LOGIN7 with SQL
/// authentication, then SQL batches whose whole token stream comes back
/// (every DONE, DONEPROC and DONEINPROC with its row count, where db-lib
/// keeps only the last). Not thread-safe: one caller at a time.
public final class TDSConnection {
    public struct Options: Sendable {
        /// A numeric IPv4 or IPv6 address ("localhost" is taken as 127.0.0.1).
        public var host: String
        public var port: Int
        public var login: Login7
        public var connectTimeoutMilliseconds = 10_000
        /// How long one response may take to arrive.
        public var readTimeoutMilliseconds = 300_000

        public init(host: String, port: Int, userName: String, password: String, database: String = "", applicationName: String = "TDSWire")
        {
            self.host = host == "localhost" ? "127.0.0.1" : host
            self.port = port
            self.login = Login7(userName: userName, password: password, database: database, applicationName: applicationName)
        }
    }

    private let socket: TCPConnection
    private let options: Options
    private var decoder = TokenDecoder()
    private var closed = false

    public private(set) var prelogin: Prelogin.Response
    public private(set) var loginAck: LoginAck?
    /// The current database, from ENVCHANGE.
    public private(set) var database: String?
    public private(set) var language: String?
    /// The negotiated packet size (the server's answer, else what was asked for).
    public private(set) var packetSize: Int
    /// The default collation of the current database, from ENVCHANGE.
    public private(set) var collation: Collation?
    /// The transaction descriptor sent in ALL_HEADERS (0 outside a transaction).
    public private(set) var transactionDescriptor: UInt64 = 0
    /// The tokens the server sent during the login (ENVCHANGE, INFO, LOGINACK, ...).
    public private(set) var loginTokens: [Token] = []

    /// Connects and logs in; a refused login throws `.loginFailed` with the server's message.
    public init(_ options: Options) throws(TDSWireError) {
        self.options = options
        packetSize = Int(options.login.packetSize)
        do {
            socket = try TCPConnection(host: options.host, port: options.port, timeoutMilliseconds: options.connectTimeoutMilliseconds)
        } catch {
            throw TDSWireError.io("connect to \(options.host):\(options.port)", error)
        }
        prelogin = Prelogin.Response()
        do throws(TDSWireError) {
            try send(.prelogin, Prelogin.Request().payload())
            let (type, payload) = try readMessage()
            guard type == PacketType.tabularResult.rawValue else {
                throw TDSWireError(.malformed, "PRELOGIN answered with a packet of type \(type)")
            }
            prelogin = try Prelogin.decodeResponse(payload)
            if prelogin.encryption == .required || prelogin.encryption == .on {
                throw TDSWireError(
                    .unsupported,
                    "the server requires TLS (PRELOGIN ENCRYPTION \(prelogin.encryption.map { "\($0)" } ?? "?")); this client speaks plain TDS only"
                )
            }
            try send(.login7, options.login.payload())
            loginTokens = try readResponse()
            guard
                let ack = loginTokens.lazy.compactMap({ token -> LoginAck? in
                    if case .loginAck(let a) = token { return a } else { return nil }
                }).first
            else {
                let error = loginTokens.lazy.compactMap { token -> ServerMessage? in
                    if case .error(let m) = token { return m } else { return nil }
                }.first
                throw TDSWireError(.loginFailed, error?.message ?? "the server sent no LOGINACK", serverMessage: error)
            }
            loginAck = ack
        } catch {
            socket.close()
            closed = true
            throw error
        }
    }

    deinit { close() }

    public var isClosed: Bool { closed }

    public func close() {
        if !closed {
            closed = true
            socket.close()
        }
    }

    /// Runs one SQL batch and returns its whole token stream.
    public func execute(_ sql: String) throws(TDSWireError) -> [Token] {
        try sendBatch(sql)
        return try readResponse()
    }

    /// Sends a SQL batch without waiting for the answer (see `readResponse`, `cancel`).
    public func sendBatch(_ sql: String) throws(TDSWireError) {
        try send(.sqlBatch, SQLBatch.payload(sql, transactionDescriptor: transactionDescriptor))
    }

    /// Sends ATTENTION (MS-TDS 2.2.1.7) and reads until the server
    /// acknowledges it with a DONE that has the ATTN bit; returns every
    /// token read on the way (the rest of the cancelled batch's answer).
    public func cancel() throws(TDSWireError) -> [Token] {
        try sendRaw(PacketHeader(type: PacketType.attention.rawValue, status: .endOfMessage, length: UInt16(PacketHeader.size)).bytes)
        var tokens: [Token] = []
        while true {
            let message = try readResponse()
            tokens += message
            if message.contains(where: { if case .done(let done) = $0 { return done.status.contains(.attention) } else { return false } }) {
                return tokens
            }
        }
    }

    /// Reads one response message and decodes its tokens, applying ENVCHANGEs.
    public func readResponse() throws(TDSWireError) -> [Token] {
        let (type, payload) = try readMessage()
        guard type == PacketType.tabularResult.rawValue else {
            throw TDSWireError(.malformed, "expected a tabular result, got a packet of type \(type)")
        }
        decoder = TokenDecoder()
        let tokens = try decoder.decode(payload)
        for token in tokens { if case .envChange(let change) = token { apply(change) } }
        return tokens
    }

    private func apply(_ change: EnvChange) {
        switch change {
        case .database(let new, _): database = new
        case .language(let new, _): language = new
        case .packetSize(let new, _): if let size = Int(new), size >= 512 { packetSize = size }
        case .collation(let new, _): collation = try? Collation(bytes: new)
        case .transaction:
            if let descriptor = change.transactionDescriptor { transactionDescriptor = descriptor }
        default: break
        }
    }

    private func send(_ type: PacketType, _ payload: [UInt8]) throws(TDSWireError) {
        try sendRaw(Packets.frame(type, payload, packetSize: packetSize))
    }

    private func sendRaw(_ bytes: [UInt8]) throws(TDSWireError) {
        guard !closed else { throw TDSWireError(.closed, "the connection is closed") }
        do {
            try socket.send(bytes, timeoutMilliseconds: options.readTimeoutMilliseconds)
        } catch {
            close()
            throw TDSWireError.io("send", error)
        }
    }

    /// Reads packets up to END OF MESSAGE; returns the message type and payload.
    private func readMessage() throws(TDSWireError) -> (UInt8, [UInt8]) {
        guard !closed else { throw TDSWireError(.closed, "the connection is closed") }
        var payload: [UInt8] = []
        do {
            while true {
                let header = try PacketHeader.decode(
                    try socket.receive(exactly: PacketHeader.size, timeoutMilliseconds: options.readTimeoutMilliseconds))
                payload += try socket.receive(
                    exactly: Int(header.length) - PacketHeader.size, timeoutMilliseconds: options.readTimeoutMilliseconds)
                if header.status.contains(.endOfMessage) { return (header.type, payload) }
            }
        } catch let error as TDSWireError {
            close()
            throw error
        } catch {
            close()
            throw TDSWireError.io("receive", error)
        }
    }
}
