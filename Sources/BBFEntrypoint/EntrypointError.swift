/// Every failure of the entrypoint: a stable code, the step it happened in,
/// and a message that says what to do next.
public struct EntrypointError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Code: String, Sendable {
        /// An environment variable or argument is wrong; nothing was touched.
        case invalidConfiguration = "invalid-configuration"
        /// The data directory holds something this entrypoint will not touch.
        case unsupportedDataDirectory = "unsupported-data-directory"
        /// The data directory belongs to another PostgreSQL major version.
        case incompatibleMajorVersion = "incompatible-major-version"
        /// The PostgreSQL on PATH is missing, or has no Babelfish.
        case installation = "installation"
        /// A step of the first-boot initialization failed.
        case initializationFailed = "initialization-failed"
        /// A file in the init scripts directory failed.
        case initScriptFailed = "init-script-failed"
        /// Starting or talking to PostgreSQL failed outside initialization.
        case serverFailed = "server-failed"
        /// A system call failed.
        case system = "system"
    }

    public var code: Code
    /// The named step, e.g. "create-extension".
    public var step: String?
    public var message: String

    public init(_ code: Code, step: String? = nil, _ message: String) {
        self.code = code
        self.step = step
        self.message = message
    }

    public var description: String {
        if let step { return "\(step): \(message)" }
        return message
    }
}
