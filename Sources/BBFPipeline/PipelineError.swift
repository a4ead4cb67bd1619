/// The one error type of the pipeline commands: a stable code, the step that
/// failed, and a message that says what to do next.
public struct PipelineError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Code: String, Sendable {
        case invalidArgument = "invalid-argument"
        case source
        case tool
        case storage
        case archive
        case incompatible
        case restore
        case verification
        case image
        case registry
        case fileSystem = "file-system"
        case interrupted
    }

    public var code: Code
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
