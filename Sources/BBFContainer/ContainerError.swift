/// What went wrong with an image, a registry or a container engine, and what to do.
public struct ContainerError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Code: String, Sendable {
        case invalidReference = "invalid-reference"
        case layout
        case tool
        case registry
        case engine
        case notFound = "not-found"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
