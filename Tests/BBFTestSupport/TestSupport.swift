import BBFSystem
import Foundation
import PostgresClient

#if canImport(Glibc)
    import Glibc
#endif

/// Why a test cannot run here; tests turn it into a skip (`Test.cancel`).
public struct TestPrerequisite: Error, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// A failure in the test machinery (not in the code under test).
public struct TestSupportError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Where the programs under test and the real components they need are.
public enum TestTools {
    public static var environment: [String: String] { ProcessEnvironment.current() }

    /// A product built next to the running test bundle (`.build/debug/NAME`).
    public static func built(_ product: String) -> String {
        let executable = (try? FileSystem.symlinkTarget("/proc/self/exe")) ?? CommandLine.arguments[0]
        return FileSystem.parent(of: executable) + "/" + product
    }

    /// A program on PATH (or in the usual system directories).
    public static func onPath(_ name: String) -> String? {
        findExecutable(name, path: (environment["PATH"] ?? "") + ":/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
    }

    /// A plain PostgreSQL's bin directory: BBF_TEST_POSTGRES_BIN, or Debian's newest.
    public static let postgresBin: String? = {
        if let configured = ProcessEnvironment.current()["BBF_TEST_POSTGRES_BIN"], !configured.isEmpty { return configured }
        for major in (12...20).reversed() where FileSystem.exists("/usr/lib/postgresql/\(major)/bin/postgres") {
            return "/usr/lib/postgresql/\(major)/bin"
        }
        return nil
    }()

    /// An install prefix of PostgreSQL + Babelfish (BBF_TEST_BABELFISH_HOME).
    public static let babelfishHome: String? = {
        guard let home = ProcessEnvironment.current()["BBF_TEST_BABELFISH_HOME"], !home.isEmpty else { return nil }
        return home
    }()

    public static let babelfishReason =
        "needs a real Babelfish: set BBF_TEST_BABELFISH_HOME to an install prefix holding bin/postgres, the babelfishpg_* extensions, bin/bbf_dump and bin/bbf_dumpall"

    public static func requirePostgres() throws -> String {
        guard let bin = postgresBin else {
            throw TestPrerequisite("needs PostgreSQL server binaries: apt-get install postgresql-15, or set BBF_TEST_POSTGRES_BIN")
        }
        return bin
    }

    public static func require(_ tool: String, install: String) throws -> String {
        guard let path = onPath(tool) else { throw TestPrerequisite("needs \(tool) on PATH: \(install)") }
        return path
    }
}

/// How a finished program ended, and what it printed.
public struct Finished {
    public var status: TerminationStatus
    public var standardOutput: String
    public var standardError: String
    public var succeeded: Bool { status.isSuccess }
    public var output: String { standardOutput + standardError }
}

/// Runs a program to its end with a timeout, capturing its output in files
/// (no pipe can fill up).
public func runProgram(
    _ executable: String, _ arguments: [String], environment: [String: String], in directory: String, timeoutSeconds: Int = 600
) throws -> Finished {
    let stamp = "\(getpid())-\(Instant.now().nanoseconds)"
    let outPath = "\(directory)/out-\(stamp).log"
    let errPath = "\(directory)/err-\(stamp).log"
    let out = open(outPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    let err = open(errPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    defer {
        close(out)
        close(err)
        unlink(outPath)
        unlink(errPath)
    }
    guard out >= 0, err >= 0 else { throw TestSupportError("cannot create log files in \(directory)") }
    let child = try ChildProcess.spawn(
        executable: executable, arguments: arguments, environment: environment, stdin: .null, stdout: .descriptor(out),
        stderr: .descriptor(err), killWithParent: true)
    guard let status = child.wait(timeoutMilliseconds: timeoutSeconds * 1000) else {
        child.send(SIGKILL)
        child.wait()
        throw TestSupportError("\(executable) did not finish within \(timeoutSeconds) s:\n\((try? FileSystem.readText(errPath)) ?? "")")
    }
    return Finished(status: status, standardOutput: try FileSystem.readText(outPath), standardError: try FileSystem.readText(errPath))
}

/// A private directory removed when the value goes away; readable by the
/// postgres user (servers started as root drop to it).
public final class Scratch {
    public let path: String

    public init(_ prefix: String = "bbf-test-") throws {
        path = try FileSystem.makeTemporaryDirectory(prefix: prefix)
        try FileSystem.changePermissions(path, 0o755)
    }

    public func sub(_ name: String, permissions: mode_t = 0o755) throws -> String {
        let full = path + "/" + name
        try FileSystem.createDirectory(full, permissions: permissions)
        try FileSystem.changePermissions(full, permissions)
        return full
    }

    deinit { try? FileSystem.removeTree(path) }
}

/// Waits until `condition` holds, polling; false when `seconds` pass first.
public func waitUntil(seconds: Double, every milliseconds: Int = 20, _ condition: () -> Bool) -> Bool {
    let start = Instant.now()
    while !condition() {
        if start.millisecondsElapsed() > seconds * 1000 { return false }
        sleep(milliseconds: milliseconds)
    }
    return true
}

/// Servers the tests start. They are spawned without a parent-death signal:
/// Linux sends that when the spawning *thread* ends, and Swift Testing runs
/// tests on threads that come and go, which would kill a server shared by
/// several tests. Instead every server still running is killed when the
/// test process exits.
public enum TestProcesses {
    nonisolated(unsafe) private static var pids: Set<pid_t> = []
    nonisolated(unsafe) private static var installed = false
    private static let lock = NSLock()

    public static func adopt(_ pid: pid_t) {
        lock.lock()
        defer { lock.unlock() }
        pids.insert(pid)
        if !installed {
            installed = true
            atexit {
                TestProcesses.killAll()
            }
        }
    }

    public static func release(_ pid: pid_t) {
        lock.lock()
        pids.remove(pid)
        lock.unlock()
    }

    static func killAll() {
        lock.lock()
        let running = pids
        lock.unlock()
        for pid in running { kill(pid, SIGKILL) }
    }
}
