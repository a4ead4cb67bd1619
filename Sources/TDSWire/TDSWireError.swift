import BBFSystem

/// Every failure of the TDS client: what kind, and a message that says what
/// was being done. Server errors keep the server's message whole.
public struct TDSWireError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        /// The input ended inside a token or packet.
        case truncated
        /// The bytes do not follow MS-TDS.
        case malformed
        /// A token or type this client does not decode.
        case unsupported
        /// The socket failed (connect, send, receive, timeout).
        case io
        /// The server refused the login.
        case loginFailed
        /// The connection is closed or not usable.
        case closed
    }

    public var code: Code
    public var message: String
    /// The server's ERROR token, for `.loginFailed`.
    public var serverMessage: ServerMessage?

    public init(_ code: Code, _ message: String, serverMessage: ServerMessage? = nil) {
        self.code = code
        self.message = message
        self.serverMessage = serverMessage
    }

    public var description: String { "TDS \(code.rawValue): \(message)" }

    static func io(_ action: String, _ error: any Error) -> TDSWireError {
        TDSWireError(.io, "\(action): \(error)")
    }
}
