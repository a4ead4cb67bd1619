#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failed system call: what was being done, on which path, and the errno.
public struct SystemError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The operation, e.g. "open", "rename", "mkdir".
    public var operation: String
    /// The path or object it was applied to, if any.
    public var subject: String?
    /// The errno value.
    public var code: Int32

    public init(_ operation: String, _ subject: String? = nil, code: Int32 = errno) {
        self.operation = operation
        self.subject = subject
        self.code = code
    }

    /// `strerror` of the code.
    public var reason: String { String(cString: strerror(code)) }

    public var description: String {
        if let subject {
            return "\(operation) \(subject): \(reason)"
        }
        return "\(operation): \(reason)"
    }
}

/// Retries a system call interrupted by a signal.
@inline(__always)
func retryingOnEINTR<T: BinaryInteger>(_ body: () -> T) -> T {
    while true {
        let result = body()
        if result < 0 && errno == EINTR { continue }
        return result
    }
}
