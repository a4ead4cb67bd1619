import BBFSystem
import Foundation

/// How a child process ended.
public enum ProcessStatus: Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    public var isSuccess: Bool { self == .exited(0) }

    public var description: String {
        switch self {
        case .exited(let code): return "exited with status \(code)"
        case .signaled(let signal): return "was killed by signal \(signal) (\(signalName(signal)))"
        }
    }
}

/// What a finished child printed, and how it ended.
public struct ProcessResult: Equatable, Sendable {
    public var status: ProcessStatus
    public var standardOutput: String
    public var standardError: String
    /// Whether it was terminated because it outlived its time limit.
    public var timedOut = false

    public init(status: ProcessStatus, standardOutput: String, standardError: String, timedOut: Bool = false) {
        self.status = status
        self.standardOutput = standardOutput
        self.standardError = standardError
        self.timedOut = timedOut
    }
}

/// The build tool's view of `ToolProcess`: output straight to the terminal,
/// or captured as text with a time limit. Standard input is /dev/null.
public enum ProcessRunner {
    /// Runs `executable` with its output going straight to this terminal; returns how it ended.
    public static func stream(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ProcessStatus {
        try ToolProcess.run(executable, arguments, environment: environment, standardOutput: .inherit, standardError: .inherit).status
    }

    /// Runs `executable` to completion, capturing its standard output and error.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Double? = nil
    ) throws -> ProcessResult {
        let result = try ToolProcess.run(executable, arguments, environment: environment, timeout: timeout)
        return ProcessResult(
            status: result.status, standardOutput: result.output, standardError: result.standardError, timedOut: result.timedOut)
    }
}
