import Foundation

/// A finished tool run: how it ended and what it printed.
public struct ToolResult: Sendable {
    public var executable: String
    public var arguments: [String]
    /// The exit code, or 128 + the signal number when it was killed.
    public var exitCode: Int32
    public var wasSignaled: Bool
    public var standardOutput: Data
    public var standardError: String
    /// Whether it was terminated because it outlived its time limit.
    public var timedOut = false

    public var succeeded: Bool { exitCode == 0 && !wasSignaled }

    public var status: ProcessStatus { wasSignaled ? .signaled(exitCode - 128) : .exited(exitCode) }
    public var output: String { String(decoding: standardOutput, as: UTF8.self) }

    /// "exited with status 2" / "was killed by signal 9".
    public var statusDescription: String {
        wasSignaled ? "was killed by signal \(exitCode - 128)" : "exited with status \(exitCode)"
    }

    /// The last lines of standard error, for messages.
    public func errorTail(lines: Int = 15) -> String {
        standardError.split(separator: "\n", omittingEmptySubsequences: true).suffix(lines).joined(separator: "\n")
    }
}

/// Where a tool's output goes.
public enum ToolOutput: Sendable {
    /// Collected into the result.
    case capture
    /// Passed to this process's own stream.
    case inherit
    /// Dropped.
    case discard
    /// Written to a file (created or truncated, mode 0600).
    case file(String)
    /// Each line handed to the callback as it arrives (and collected).
    case lines(@Sendable (String) -> Void)
}

/// An error starting a tool (not found, not executable).
public struct ToolLaunchError: Error, CustomStringConvertible, Sendable {
    public var executable: String
    public var reason: String
    public var description: String { "cannot run \(executable): \(reason)" }
}

/// Runs the command-line tools the pipeline and the developer commands drive
/// (pg_dump, psql, aws, skopeo, docker) with `Foundation.Process`. PID 1 work
/// stays in BBFSystem's fork/exec; this is for ordinary child processes.
public enum ToolProcess {
    /// Runs `executable` with `arguments` and waits for it.
    ///
    /// - Parameters:
    ///   - environment: the child's whole environment (secrets such as
    ///     PGPASSWORD go here, never into `arguments`).
    ///   - input: bytes for its standard input (nil: /dev/null).
    ///   - timeout: seconds; a child still running then gets SIGTERM, and
    ///     SIGKILL a second later, and the result says `timedOut`.
    ///   - inputFile: a file streamed to its standard input instead (large
    ///     archives, never read into memory).
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        workingDirectory: String? = nil,
        input: Data? = nil,
        inputFile: String? = nil,
        standardOutput: ToolOutput = .capture,
        standardError: ToolOutput = .capture,
        timeout: Double? = nil
    ) throws -> ToolResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }

        let stdinPipe = input.map { _ in Pipe() }
        process.standardInput = stdinPipe ?? FileHandle.nullDevice

        var opened: [FileHandle] = []
        defer { for handle in opened { try? handle.close() } }
        if let inputFile {
            guard let handle = FileHandle(forReadingAtPath: inputFile) else {
                throw ToolLaunchError(executable: executable, reason: "cannot read \(inputFile)")
            }
            opened.append(handle)
            process.standardInput = handle
        }
        let outCollector = try attach(standardOutput, to: process, isError: false, opened: &opened)
        let errCollector = try attach(standardError, to: process, isError: true, opened: &opened)
        do {
            try process.run()
        } catch {
            throw ToolLaunchError(executable: executable, reason: "\(error.localizedDescription)")
        }
        Running.shared.add(process)
        defer { Running.shared.remove(process) }
        let watchdog = timeout.map { Watchdog(process, after: $0) }
        if let stdinPipe, let input {
            let handle = stdinPipe.fileHandleForWriting
            DispatchQueue.global().async {
                try? handle.write(contentsOf: input)
                try? handle.close()
            }
        }
        let out = outCollector?.finish() ?? Data()
        let err = errCollector?.finish() ?? Data()
        process.waitUntilExit()
        watchdog?.cancel()
        let signaled = process.terminationReason == .uncaughtSignal
        return ToolResult(
            executable: executable, arguments: arguments,
            exitCode: signaled ? 128 + process.terminationStatus : process.terminationStatus, wasSignaled: signaled,
            standardOutput: out, standardError: String(decoding: err, as: UTF8.self), timedOut: watchdog?.fired ?? false)
    }

    /// Sends SIGTERM to every tool still running (on interruption).
    public static func terminateAll() {
        Running.shared.terminateAll()
    }

    /// Looks `name` up on `path` (a PATH value); a name with a slash is checked as is.
    public static func find(_ name: String, path: String?) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    private static func attach(_ output: ToolOutput, to process: Process, isError: Bool, opened: inout [FileHandle]) throws -> Collector? {
        func set(_ value: Any) {
            if isError { process.standardError = value } else { process.standardOutput = value }
        }
        switch output {
        case .inherit:
            set(isError ? FileHandle.standardError : FileHandle.standardOutput)
            return nil
        case .discard:
            set(FileHandle.nullDevice)
            return nil
        case .file(let path):
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
                let handle = FileHandle(forWritingAtPath: path)
            else {
                throw ToolLaunchError(executable: process.executableURL?.path ?? "", reason: "cannot create \(path)")
            }
            opened.append(handle)
            set(handle)
            return nil
        case .capture:
            let pipe = Pipe()
            set(pipe)
            return Collector(pipe.fileHandleForReading, onLine: nil)
        case .lines(let callback):
            let pipe = Pipe()
            set(pipe)
            return Collector(pipe.fileHandleForReading, onLine: callback)
        }
    }
}

/// Drains a pipe on its own thread so a chatty child never blocks on a full pipe.
private final class Collector: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var data = Data()

    init(_ handle: FileHandle, onLine: (@Sendable (String) -> Void)?) {
        let thread = Thread { [self] in
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                data.append(chunk)
                if let onLine {
                    pending.append(chunk)
                    while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                        onLine(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                        pending = Data(pending[(newline + 1)...])
                    }
                }
            }
            if let onLine, !pending.isEmpty { onLine(String(decoding: pending, as: UTF8.self)) }
            try? handle.close()
            done.signal()
        }
        thread.start()
    }

    func finish() -> Data {
        done.wait()
        return data
    }
}

/// The tools running now, so an interruption can stop them.
private final class Running: @unchecked Sendable {
    static let shared = Running()
    private let lock = NSLock()
    private var processes: [ObjectIdentifier: Process] = [:]

    func add(_ process: Process) {
        lock.lock()
        processes[ObjectIdentifier(process)] = process
        lock.unlock()
    }

    func remove(_ process: Process) {
        lock.lock()
        processes[ObjectIdentifier(process)] = nil
        lock.unlock()
    }

    func terminateAll() {
        lock.lock()
        let running = Array(processes.values)
        lock.unlock()
        for process in running where process.isRunning { process.terminate() }
        for process in running { process.waitUntilExit() }
    }
}

/// Terminates a process that outlives its time limit: SIGTERM, then SIGKILL
/// a second later (a child may have inherited SIGTERM ignored). It waits on a
/// thread of its own: under Swift concurrency every Dispatch worker can be busy.
private final class Watchdog: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var terminated = false

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

    func cancel() { finished.signal() }
}
