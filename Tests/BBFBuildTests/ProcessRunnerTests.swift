import BBFBuild
import BBFProcess
import Testing

@Suite("the build tool's child processes (Foundation.Process)", .serialized)
struct ProcessRunnerTests {
    @Test("standard output and error are captured apart, however much each prints, with the exit status")
    func captures() throws {
        let script = "i=0; while [ $i -lt 20000 ]; do echo out$i; echo err$i >&2; i=$((i+1)); done; exit 3"
        let result = try ProcessRunner.run("/bin/sh", ["-c", script])
        #expect(result.status == .exited(3))
        #expect(result.status.description == "exited with status 3")
        #expect(result.standardOutput.hasPrefix("out0\nout1\n") && result.standardOutput.hasSuffix("out19999\n"))
        #expect(result.standardError.hasPrefix("err0\nerr1\n") && result.standardError.hasSuffix("err19999\n"))
        #expect(!result.timedOut)
    }

    @Test("standard input is /dev/null, and the environment given is the child's whole environment")
    func inputAndEnvironment() throws {
        let result = try ProcessRunner.run(
            "/bin/sh", ["-c", "cat; echo \"[$BBF_PROBE][${HOME:-unset}]\""], environment: ["BBF_PROBE": "x"])
        #expect(result.standardOutput == "[x][unset]\n")
    }

    @Test("a child killed by a signal says which")
    func signaled() throws {
        let result = try ProcessRunner.run("/bin/sh", ["-c", "kill -9 $$"])
        #expect(result.status == .signaled(9))
        #expect(result.status.description == "was killed by signal 9 (SIGKILL)")
    }

    @Test("a child that outlives its time limit is terminated and reported as timed out")
    func timeout() throws {
        let result = try ProcessRunner.run("/bin/sh", ["-c", "exec sleep 30"], timeout: 0.3)
        #expect(result.timedOut)
        #expect(result.status == .signaled(15) || result.status == .signaled(9), "\(result.status)")
    }

    @Test("a missing executable is an error, not a status")
    func missing() {
        #expect(throws: (any Error).self) { try ProcessRunner.run("/nonexistent/bbf-no-such-tool", []) }
        #expect(throws: (any Error).self) { try ProcessRunner.stream("/nonexistent/bbf-no-such-tool", []) }
    }
}
