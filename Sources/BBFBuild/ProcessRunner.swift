import BBFSystem
import Dispatch
import Foundation

/// How a child process ended.
public enum ExitStatus: Equatable, Sendable, CustomStringConvertible {
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
    public var status: ExitStatus
    public var standardOutput: String
    public var standardError: String
    /// Whether it was terminated because it outlived its time limit.
    public var timedOut = false
}

/// The build tool's child processes (engines, curl, git), through Foundation's
/// `Process`. Standard input is always /dev/null. (bbf-entrypoint keeps
/// BBFSystem's fork/exec, which it needs as PID 1.)
public enum ProcessRunner {
    /// Runs `executable` with its output going straight to this terminal,
    /// unfiltered; returns how it ended.
    public static func stream(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil
    ) throws -> ExitStatus {
        let process = makeProcess(executable, arguments, environment: environment)
        try process.run()
        process.waitUntilExit()
        return ExitStatus(process)
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
            status: ExitStatus(process), standardOutput: String(decoding: outputData, as: UTF8.self),
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

    /// Reads a pipe to its end on another thread.
    private final class Drain: @unchecked Sendable {
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)

        init(_ handle: FileHandle) {
            DispatchQueue.global().async {
                self.data = handle.readDataToEndOfFile()
                self.done.signal()
            }
        }

        func wait() -> Data {
            done.wait()
            return data
        }
    }

    /// Terminates a process that outlives its time limit: SIGTERM, then
    /// SIGKILL a second later (a child may have inherited SIGTERM ignored).
    private final class Watchdog: @unchecked Sendable {
        private let lock = NSLock()
        private var cancelled = false
        private var terminated = false

        /// Whether it terminated the process.
        var fired: Bool {
            lock.lock()
            defer { lock.unlock() }
            return terminated
        }

        init(_ process: Process, after seconds: Double) {
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
                guard self.fire(process) else { return }
                DispatchQueue.global().asyncAfter(deadline: .now() + 1) {
                    if self.stillRunning(process) { kill(process.processIdentifier, SIGKILL) }
                }
            }
        }

        private func fire(_ process: Process) -> Bool {
            lock.lock()
            defer { lock.unlock() }
            guard !cancelled && process.isRunning else { return false }
            terminated = true
            process.terminate()
            return true
        }

        private func stillRunning(_ process: Process) -> Bool {
            lock.lock()
            defer { lock.unlock() }
            return !cancelled && process.isRunning
        }

        func cancel() {
            lock.lock()
            cancelled = true
            lock.unlock()
        }
    }
}
