/// The one error type of `bbf dev`: a stable code and a message that names
/// what failed (the flag, variable, key or file) and what to do next.
public struct DevError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Code: String, Sendable {
        case configuration
        case engine
        case image
        case portInUse = "port-in-use"
        case container
        case volume
        case notReady = "not-ready"
        case save
        case refused
        case sql
        case login
        case interrupted
        case notImplemented = "not-implemented"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
