import BBFSystem
import Dispatch
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

    init(_ process: Process) {
        switch process.terminationReason {
        case .exit: self = .exited(process.terminationStatus)
        case .uncaughtSignal: self = .signaled(process.terminationStatus)
        @unknown default: self = .exited(process.terminationStatus)
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

/// The build tool's child processes (engines, curl, git), through Foundation's
/// `Process`. Standard input is always /dev/null. (bbf-entrypoint keeps
/// BBFSystem's fork/exec, which it needs as PID 1.)
public enum ProcessRunner {
    /// Runs `executable` with its output going straight to this terminal,
    /// unfiltered; returns how it ended.
    public static func stream(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil
    ) throws -> ProcessStatus {
        let process = makeProcess(executable, arguments, environment: environment)
        try process.run()
        process.waitUntilExit()
        return ProcessStatus(process)
    }

    /// Runs `executable` to completion, capturing its standard output and error.
    /// With a `timeout` (seconds), a child still running then is terminated and
    /// the result says `timedOut`.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Double? = nil
    ) throws -> ProcessResult {
        let process = makeProcess(executable, arguments, environment: environment)
        let output = Foundation.Pipe()
        let error = Foundation.Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let watchdog = timeout.map { seconds in Watchdog(process, after: seconds) }
        // Both pipes are drained at once, so a child that fills one never blocks.
        let errorText = Drain(error.fileHandleForReading)
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog?.cancel()
        return ProcessResult(
            status: ProcessStatus(process), standardOutput: String(decoding: outputData, as: UTF8.self),
            standardError: String(decoding: errorText.wait(), as: UTF8.self), timedOut: watchdog?.fired ?? false)
    }

    private static func makeProcess(_ executable: String, _ arguments: [String], environment: [String: String]?) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardInput = FileHandle.nullDevice
        return process
    }

    /// Reads a pipe to its end on a thread of its own (not a Dispatch worker:
    /// under Swift concurrency those can all be busy, and the read would wait).
    private final class Drain: @unchecked Sendable {
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)

        init(_ handle: FileHandle) {
            Thread {
                self.data = handle.readDataToEndOfFile()
                self.done.signal()
            }.start()
        }

        func wait() -> Data {
            done.wait()
            return data
        }
    }

    /// Terminates a process that outlives its time limit: SIGTERM, then
    /// SIGKILL a second later (a child may have inherited SIGTERM ignored).
    /// It waits on a thread of its own, like `Drain`.
    private final class Watchdog: @unchecked Sendable {
        private let finished = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var terminated = false

        /// Whether it terminated the process.
        var fired: Bool {
            lock.lock()
            defer { lock.unlock() }
            return terminated
        }

        init(_ process: Process, after seconds: Double) {
            Thread {
                guard self.finished.wait(timeout: .now() + seconds) == .timedOut else { return }
                self.lock.lock()
                self.terminated = true
                self.lock.unlock()
                process.terminate()
                if self.finished.wait(timeout: .now() + 1) == .timedOut {
                    kill(process.processIdentifier, SIGKILL)
                    self.finished.wait()
                }
            }.start()
        }

        /// The process ended: the watchdog's thread stops waiting.
        func cancel() {
            finished.signal()
        }
    }
}
