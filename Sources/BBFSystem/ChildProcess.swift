import CBBFSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// How a child process ended.
public enum TerminationStatus: Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    public var isSuccess: Bool { self == .exited(0) }

    public var description: String {
        switch self {
        case .exited(let code): return "exited with status \(code)"
        case .signaled(let signal): return "was killed by signal \(signal) (\(signalName(signal)))"
        }
    }

    init(waitStatus status: Int32) {
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift does not import.
        let signal = status & 0x7f
        if signal == 0 {
            self = .exited((status >> 8) & 0xff)
        } else {
            self = .signaled(signal)
        }
    }
}

/// The conventional name of a signal number.
public func signalName(_ signal: Int32) -> String {
    switch signal {
    case SIGHUP: return "SIGHUP"
    case SIGINT: return "SIGINT"
    case SIGQUIT: return "SIGQUIT"
    case SIGKILL: return "SIGKILL"
    case SIGSEGV: return "SIGSEGV"
    case SIGTERM: return "SIGTERM"
    case SIGABRT: return "SIGABRT"
    default: return "signal \(signal)"
    }
}

/// A started child process. Reap it with `wait()`.
public final class ChildProcess {
    public let pid: pid_t
    /// The executable's path, for messages.
    public let executable: String
    private var status: TerminationStatus?

    /// Where a standard stream of the child goes.
    public enum Stream {
        /// The same as this process's.
        case inherit
        /// /dev/null.
        case null
        /// A descriptor the caller owns (it stays open here).
        case descriptor(Int32)
    }

    private init(pid: pid_t, executable: String) {
        self.pid = pid
        self.executable = executable
    }

    /// Starts `executable` (a path) with `arguments` (argv[1...]).
    ///
    /// - Parameters:
    ///   - argv0: argv[0]; the executable's last path component by default.
    ///   - killWithParent: the child gets SIGKILL when this process dies.
    public static func spawn(
        executable: String,
        arguments: [String],
        argv0: String? = nil,
        environment: [String: String],
        stdin: Stream = .inherit,
        stdout: Stream = .inherit,
        stderr: Stream = .inherit,
        killWithParent: Bool = true
    ) throws -> ChildProcess {
        let name = argv0 ?? String(executable.split(separator: "/").last ?? Substring(executable))
        let argv = CStringArray([name] + arguments)
        let envp = CStringArray(environment.environmentStrings)
        var nullDescriptor: Int32 = -1
        defer { if nullDescriptor >= 0 { close(nullDescriptor) } }
        func resolve(_ stream: Stream) throws -> Int32 {
            switch stream {
            case .inherit: return -1
            case .descriptor(let fd): return fd
            case .null:
                if nullDescriptor < 0 {
                    nullDescriptor = open("/dev/null", O_RDWR | O_CLOEXEC)
                    if nullDescriptor < 0 { throw SystemError("open", "/dev/null") }
                }
                return nullDescriptor
            }
        }
        let inFD = try resolve(stdin)
        let outFD = try resolve(stdout)
        let errFD = try resolve(stderr)
        var pid: pid_t = 0
        let result = bbf_spawn(executable, argv.pointers, envp.pointers, inFD, outFD, errFD, killWithParent ? 1 : 0, &pid)
        if result != 0 {
            throw SystemError("start", executable, code: result)
        }
        return ChildProcess(pid: pid, executable: executable)
    }

    /// Waits for the child to end.
    @discardableResult
    public func wait() -> TerminationStatus {
        if let status { return status }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 {
            if errno != EINTR {
                // Already reaped elsewhere: report it as unknown failure.
                let ended = TerminationStatus.exited(255)
                status = ended
                return ended
            }
        }
        let ended = TerminationStatus(waitStatus: raw)
        status = ended
        return ended
    }

    /// The child's status if it has ended, without blocking.
    public func poll() -> TerminationStatus? {
        if let status { return status }
        var raw: Int32 = 0
        let result = retryingOnEINTR { waitpid(pid, &raw, WNOHANG) }
        if result == pid {
            let ended = TerminationStatus(waitStatus: raw)
            status = ended
            return ended
        }
        if result < 0 {
            let ended = TerminationStatus.exited(255)
            status = ended
            return ended
        }
        return nil
    }

    /// Waits up to `milliseconds` for the child to end.
    public func wait(timeoutMilliseconds milliseconds: Int) -> TerminationStatus? {
        let start = Instant.now()
        var pause = 1
        while true {
            if let ended = poll() { return ended }
            if start.millisecondsElapsed() >= Double(milliseconds) { return nil }
            sleep(milliseconds: pause)
            pause = min(pause * 2, 50)
        }
    }

    /// Sends `signal` to the child, unless it has already been reaped.
    public func send(_ signal: Int32) {
        guard status == nil else { return }
        kill(pid, signal)
    }
}

/// What a finished command printed, and how it ended.
public struct CommandResult: Sendable {
    public var status: TerminationStatus
    public var standardOutput: String
    public var standardError: String
}

/// A finished command that failed, with what it printed.
public struct CommandError: Error, CustomStringConvertible, Sendable {
    public var command: [String]
    public var status: TerminationStatus
    public var output: String

    public var description: String {
        let shown = command.joined(separator: " ")
        let trimmed = output.trimmingTrailingWhitespace()
        return trimmed.isEmpty ? "\(shown) \(status)" : "\(shown) \(status):\n\(trimmed)"
    }
}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var copy = Substring(self)
        while let last = copy.last, last.isWhitespace { copy.removeLast() }
        return String(copy)
    }
}

/// Runs a command to completion, capturing its standard output and error.
public enum Command {
    public static func run(
        _ executable: String,
        _ arguments: [String] = [],
        environment: [String: String] = ProcessEnvironment.current()
    ) throws -> CommandResult {
        let out = try Pipe()
        let err = try Pipe()
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(
                executable: executable, arguments: arguments, environment: environment,
                stdin: .null, stdout: .descriptor(out.writeEnd), stderr: .descriptor(err.writeEnd))
        } catch {
            out.closeBoth()
            err.closeBoth()
            throw error
        }
        out.closeWriteEnd()
        err.closeWriteEnd()
        let (stdoutBytes, stderrBytes) = readBoth(out.readEnd, err.readEnd)
        out.closeBoth()
        err.closeBoth()
        let status = child.wait()
        return CommandResult(
            status: status,
            standardOutput: String(decoding: stdoutBytes, as: UTF8.self),
            standardError: String(decoding: stderrBytes, as: UTF8.self))
    }

    /// Runs a command and returns its standard output; a failure becomes a
    /// `CommandError` carrying what it printed.
    public static func output(
        _ executable: String,
        _ arguments: [String] = [],
        environment: [String: String] = ProcessEnvironment.current()
    ) throws -> String {
        let result = try run(executable, arguments, environment: environment)
        guard result.status.isSuccess else {
            throw CommandError(
                command: [executable] + arguments, status: result.status,
                output: result.standardError + result.standardOutput)
        }
        return result.standardOutput
    }

    private static func readBoth(_ first: Int32, _ second: Int32) -> ([UInt8], [UInt8]) {
        var buffers: [[UInt8]] = [[], []]
        var fds = [pollfd(fd: first, events: Int16(POLLIN), revents: 0), pollfd(fd: second, events: Int16(POLLIN), revents: 0)]
        var open = 2
        var chunk = [UInt8](repeating: 0, count: 65536)
        while open > 0 {
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            for index in fds.indices where fds[index].fd >= 0 && fds[index].revents != 0 {
                let count = chunk.withUnsafeMutableBytes { read(fds[index].fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    buffers[index].append(contentsOf: chunk[0..<count])
                } else if count == 0 || errno != EINTR {
                    fds[index].fd = -1
                    open -= 1
                }
            }
        }
        return (buffers[0], buffers[1])
    }
}

/// A close-on-exec pipe.
public final class Pipe {
    public private(set) var readEnd: Int32
    public private(set) var writeEnd: Int32

    public init() throws {
        var fds: [Int32] = [-1, -1]
        if bbf_pipe_cloexec(&fds) != 0 {
            throw SystemError("pipe")
        }
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    public func closeWriteEnd() {
        if writeEnd >= 0 {
            close(writeEnd)
            writeEnd = -1
        }
    }

    public func closeReadEnd() {
        if readEnd >= 0 {
            close(readEnd)
            readEnd = -1
        }
    }

    public func closeBoth() {
        closeReadEnd()
        closeWriteEnd()
    }

    deinit { closeBoth() }
}

/// Finds an executable by name on a `PATH`-style list.
public func findExecutable(_ name: String, path: String?) -> String? {
    if name.contains("/") {
        return access(name, X_OK) == 0 ? name : nil
    }
    for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":", omittingEmptySubsequences: true) {
        let candidate = directory.hasSuffix("/") ? "\(directory)\(name)" : "\(directory)/\(name)"
        var info = stat()
        if stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
            return candidate
        }
    }
    return nil
}

/// Replaces the current process image. Returns only on failure.
public func replaceProcess(executable: String, arguments: [String], argv0: String? = nil, environment: [String: String]) -> SystemError {
    let name = argv0 ?? String(executable.split(separator: "/").last ?? Substring(executable))
    let argv = CStringArray([name] + arguments)
    let envp = CStringArray(environment.environmentStrings)
    bbf_default_termination_signals()
    execve(executable, argv.pointers, envp.pointers)
    return SystemError("exec", executable)
}

/// Makes termination signals end this process at once (see `bbf_exit_on_termination_signals`).
public enum TerminationSignals {
    nonisolated(unsafe) private static var message: UnsafeMutablePointer<CChar>?

    public static func exitImmediately(printing text: String) {
        let previous = message
        message = strdup(text)
        bbf_exit_on_termination_signals(message)
        free(previous)
    }

    public static func restoreDefaults() {
        bbf_default_termination_signals()
    }
}
