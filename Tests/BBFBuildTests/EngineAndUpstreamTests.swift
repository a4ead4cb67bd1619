import BBFBuild
import BBFProcess
import BBFSystem
import Foundation
import Testing

@Suite("engine availability, strict checks and upstream checks of bumps")
struct EngineAndUpstreamTests {
    static let docker = ContainerEngine(kind: .docker, path: "/usr/bin/docker")
    static let podman = ContainerEngine(kind: .podman, path: "/usr/bin/podman")

    static func failed(_ error: String, output: String = "", timedOut: Bool = false) -> ProcessResult {
        ProcessResult(status: .exited(1), standardOutput: output, standardError: error, timedOut: timedOut)
    }

    @Test("a failed `info` says what is wrong with the engine and names --engine")
    func engineDiagnosis() {
        let notRunning = Self.docker.unavailability(
            Self.failed(
                "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n",
                output: "Client:\n Version: 28.2.2\n\nServer:\n"))
        #expect(
            notRunning?.message
                == "the Docker daemon is not running (docker info: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?): start it (e.g. sudo systemctl start docker), or pass --engine podman (or --engine PATH for another engine)."
        )
        // Docker 20.10's client: the daemon's words on standard output, a generic line on standard error.
        let notRunning2010 = Self.docker.unavailability(
            Self.failed(
                "errors pretty printing info\n",
                output:
                    "Client:\n Context:    default\n Debug Mode: false\n\nServer:\nERROR: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n"
            ))
        #expect(notRunning2010?.message == notRunning?.message)
        let denied = Self.docker.unavailability(
            Self.failed(
                "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get \"http://%2Fvar%2Frun%2Fdocker.sock/v1.47/info\": dial unix /var/run/docker.sock: connect: permission denied\n"
            ))
        #expect(denied?.message.contains("permission denied on its socket") == true)
        #expect(denied?.message.contains("add your user to the docker group") == true)
        let podman = Self.podman.unavailability(Self.failed("Error: cannot set up namespace using \"/usr/bin/newuidmap\": exit status 1\n"))
        #expect(
            podman?.message
                == "/usr/bin/podman info exited with status 1 (podman info: Error: cannot set up namespace using \"/usr/bin/newuidmap\": exit status 1): the engine cannot build. Fix it, or pass --engine docker."
        )
        let hung = Self.docker.unavailability(Self.failed("", timedOut: true))
        #expect(hung?.message.contains("did not answer within 30 s") == true)
        #expect(
            Self.docker.unavailability(ProcessResult(status: .exited(0), standardOutput: "Server Version: 28", standardError: "")) == nil)
    }

    @Test("the strict check's last line names each unpinned archive and the bbf pin to run")
    func strictSummary() throws {
        var report = CheckReport()
        report.verified = ["versions.json"]
        report.warnings = ["w"]
        report.unpinned = [UnpinnedArchive(line: "5.2", file: "BABEL_5_2_0__PG_17_5.tar.gz")]
        #expect(report.summary(strict: false) == "bbf check: OK (1 files verified, 1 unpinned checksum warning(s)).")
        #expect(!report.passes(strict: true))
        #expect(
            report.summary(strict: true)
                == "bbf check: FAILED (0 problem(s); --strict: 1 archive(s) without a pinned sha256: line 5.2: BABEL_5_2_0__PG_17_5.tar.gz). Run `bbf pin --line 5.2` on a machine with internet (it downloads them and records their sha256), review the diff and commit versions.json."
        )
        report.problems = ["p"]
        #expect(report.summary(strict: false) == "bbf check: FAILED (1 problem(s)).")
    }

    @Test("curl's answer: 200 or 206 exists, 404 or 410 is missing, anything else is no answer")
    func curlAnswers() {
        func answer(_ code: String, status: ProcessStatus = .exited(0), error: String = "") -> UpstreamAnswer {
            CurlProbe.answer(ProcessResult(status: status, standardOutput: code, standardError: error))
        }
        #expect(answer("206") == .exists)
        #expect(answer("200") == .exists)
        #expect(answer("404") == .missing("HTTP 404"))
        #expect(answer("503") == .unknown("HTTP 503"))
        #expect(
            answer("000", status: .exited(6), error: "curl: (6) Could not resolve host: x.invalid\n")
                == .unknown("curl: (6) Could not resolve host: x.invalid"))
        #expect(CurlProbe(curl: nil, environment: [:]).probe("https://x.invalid/a.tar.gz") == .unknown("curl is not on PATH"))
    }
}

/// bbf bump asking real servers: curl against a host that cannot resolve, and
/// against a local HTTP server (python3's http.server on 127.0.0.1).
@Suite("bbf bump checks upstream that the new versions exist", .serialized)
struct UpstreamBumpTests {
    static let curl = TestSupport.which("curl")
    static let python = TestSupport.which("python3")

    @Test(
        "a host that cannot be resolved: the bump goes ahead and says clearly that it could not verify the tag",
        .enabled(if: curl != nil, "needs curl (apt-get install curl)"))
    func couldNotVerify() throws {
        let (layout, cleanup) = try TestSupport.scratchRepository()
        defer { cleanup() }
        let result = try TestSupport.bbf([
            "bump", "--root", layout.root, "--line", "5.2", "--postgres", "17.99", "--babelfish", "5.2.99", "--dry-run",
        ])
        #expect(result.status.isSuccess, "\(result.standardError)")
        #expect(
            result.standardOutput.contains(
                "could not verify that tag BABEL_5_2_99__PG_17_99 (PostgreSQL 17.99, Babelfish 5.2.99) exists: https://example.invalid/releases/BABEL_5_2_99__PG_17_99/BABEL_5_2_99__PG_17_99.tar.gz gave no answer (curl: (6) Could not resolve host: example.invalid)"
            ), "\(result.standardOutput)")
        #expect(result.standardOutput.contains("run bbf pin --line 5.2 when online"))
        #expect(!result.standardOutput.contains("antlr4-4.13.2.tar.gz gave no answer"), "the unchanged ANTLR archive is not asked about")
    }

    @Test(
        "a server without the archive refuses the bump and changes nothing; one with it lets it through",
        .enabled(if: curl != nil, "needs curl (apt-get install curl)"),
        .enabled(if: python != nil, "needs python3 for a local HTTP server"))
    func localServer() throws {
        let (layout, cleanup) = try TestSupport.scratchRepository()
        defer { cleanup() }
        let served = layout.path("served")
        for file in ["engine/BABEL_4_2_1__PG_16_4.tar.gz", "extensions/BABEL_4_2_1.tar.gz"] {
            try FileSystem.createDirectory(FileSystem.parent(of: served + "/" + file))
            try FileSystem.writeAtomically(served + "/" + file, "archive", permissions: 0o644)
        }
        let server = try LocalHTTPServer(serving: served, python: try #require(Self.python))
        defer { server.stop() }
        let versions = try FileSystem.readText(layout.versionsPath).replacing(
            "https://example.invalid", with: "http://127.0.0.1:\(server.port)")
        try FileSystem.writeAtomically(layout.versionsPath, versions, permissions: 0o644)
        #expect(try TestSupport.bbf(["dockerfile", "--root", layout.root]).status.isSuccess)
        let before = try TestSupport.snapshot(layout.root)

        let refused = try TestSupport.bbf([
            "bump", "--root", layout.root, "--line", "4.2", "--postgres", "16.99", "--babelfish", "4.2.99",
        ])
        #expect(refused.status == .exited(1))
        #expect(
            refused.standardError.contains(
                "error: bbf bump refused: http://127.0.0.1:\(server.port)/engine/BABEL_4_2_99__PG_16_99.tar.gz answers HTTP 404: there is no such archive upstream, so tag BABEL_4_2_99__PG_16_99 (PostgreSQL 16.99, Babelfish 4.2.99) does not seem to exist."
            ), "\(refused.standardError)")
        #expect(refused.standardError.contains("pass --no-verify-upstream. Nothing was changed."))
        #expect(try TestSupport.snapshot(layout.root) == before)

        let unchecked = try TestSupport.bbf([
            "bump", "--root", layout.root, "--line", "4.2", "--postgres", "16.99", "--babelfish", "4.2.99", "--no-verify-upstream",
            "--dry-run",
        ])
        #expect(unchecked.status.isSuccess)
        #expect(unchecked.standardOutput.contains("not checked upstream (--no-verify-upstream)"))

        let accepted = try TestSupport.bbf(["bump", "--root", layout.root, "--line", "4.2", "--postgres", "16.4", "--babelfish", "4.2.1"])
        #expect(accepted.status.isSuccess, "\(accepted.standardError)")
        #expect(
            accepted.standardOutput.contains(
                "upstream has engine-BABEL_4_2_1__PG_16_4.tar.gz (http://127.0.0.1:\(server.port)/engine/BABEL_4_2_1__PG_16_4.tar.gz)"))
        #expect(accepted.standardOutput.contains("upstream has extensions-BABEL_4_2_1.tar.gz"))
        #expect(accepted.standardOutput.contains("wrote versions.json"))
    }
}

/// python3's http.server on 127.0.0.1 and a free port, serving a directory.
final class LocalHTTPServer {
    let port: Int
    private let process: Process

    init(serving directory: String, python: String) throws {
        let portFile = directory + ".port"
        let script = """
            import functools, http.server, sys
            handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
            with open(sys.argv[2] + ".tmp", "w") as f: f.write(str(server.server_address[1]))
            import os; os.rename(sys.argv[2] + ".tmp", sys.argv[2])
            server.serve_forever()
            """
        process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, directory, portFile]
        process.standardInput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var port: Int?
        for _ in 0..<200 where port == nil {
            port = (try? FileSystem.readTextIfPresent(portFile)).flatMap { $0 }.flatMap { Int($0) }
            if port == nil { sleep(milliseconds: 50) }
        }
        guard let port else {
            kill(process.processIdentifier, SIGKILL)
            throw BuildToolError(.fileSystem, "the local HTTP server did not start within 10 s")
        }
        self.port = port
    }

    /// SIGKILL: under the test runner a child inherits SIGTERM ignored.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
