import BBFBuild
import BBFSystem
import Testing

/// The `bbf` executable end to end, in scratch repositories.
@Suite("the bbf command line", .serialized)
struct CommandLineTests {
    @Test("dockerfile writes every file once; check passes, warning about unpinned checksums")
    func dockerfileAndCheck() throws {
        let (layout, cleanup) = try TestSupport.scratchRepository()
        defer { cleanup() }
        let again = try TestSupport.bbf(["dockerfile", "--root", layout.root])
        #expect(again.status.isSuccess)
        #expect(again.standardOutput == "Dockerfiles are up to date.\n")
        let check = try TestSupport.bbf(["check", "--root", layout.root])
        #expect(check.status == .exited(0), "\(check.standardError)")
        #expect(check.standardOutput.contains("bbf check: OK (5 files verified, 3 unpinned checksum warning(s))."))
        #expect(check.standardError.contains("WARNING: line 5.2: no sha256 pinned for BABEL_5_2_0__PG_17_5.tar.gz"))
        let strict = try TestSupport.bbf(["check", "--strict", "--root", layout.root])
        #expect(strict.status == .exited(1))
        let stdout = try TestSupport.bbf(["dockerfile", "--root", layout.root, "--line", "4.2", "--output", "-"])
        #expect(stdout.standardOutput == (try FileSystem.readText(layout.path("docker/4.2/Dockerfile"))))
    }

    @Test("check exits non-zero and prints a diff when a committed Dockerfile drifted")
    func checkDrift() throws {
        let (layout, cleanup) = try TestSupport.scratchRepository()
        defer { cleanup() }
        let path = layout.path("docker/5.2/Dockerfile")
        try FileSystem.writeAtomically(
            path, try FileSystem.readText(path).replacing("EXPOSE 5432 1433", with: "EXPOSE 5432"), permissions: 0o644)
        let check = try TestSupport.bbf(["check", "--root", layout.root])
        #expect(check.status == .exited(1))
        #expect(check.standardError.contains("docker/5.2/Dockerfile differs from what the generator renders"))
        #expect(
            check.standardError.contains("--- docker/5.2/Dockerfile (committed)\n+++ docker/5.2/Dockerfile (rendered from versions.json)"))
        #expect(check.standardError.contains("-EXPOSE 5432\n+EXPOSE 5432 1433"))
        #expect(check.standardError.contains("bbf check: FAILED (1 problem(s))."))
        let fix = try TestSupport.bbf(["dockerfile", "--root", layout.root])
        #expect(fix.standardOutput == "wrote docker/5.2/Dockerfile\n")
        #expect(try TestSupport.bbf(["check", "--root", layout.root]).status.isSuccess)
    }

    @Test("a refused bump exits non-zero, says why, and leaves every file byte for byte untouched")
    func bumpRefusal() throws {
        let (layout, cleanup) = try TestSupport.scratchRepository()
        defer { cleanup() }
        let before = try TestSupport.snapshot(layout.root)
        for arguments in [
            ["--line", "5.2", "--postgres", "16.4", "--babelfish", "5.2.1"],
            ["--line", "5.2", "--postgres", "17.6", "--babelfish", "5.3.0"],
            ["--line", "5.2", "--postgres", "seventeen", "--babelfish", "5.2.1"],
        ] {
            let result = try TestSupport.bbf(["bump", "--root", layout.root] + arguments)
            #expect(result.status == .exited(1), "\(arguments)")
            #expect(result.standardError.hasPrefix("error: bbf bump refused: "))
            #expect(result.standardError.contains("Nothing was changed."))
            #expect(try TestSupport.snapshot(layout.root) == before)
        }
    }

    /// A command line ArgumentParser refuses, and what its message must say.
    struct UsageError: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var message: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let usageErrors: [UsageError] = [
        UsageError(
            arguments: ["bump", "--line", "5.2", "--postgres", "17.6", "--babelfish", "5.2.1", "--source-layout", "zip"],
            message:
                "The value 'zip' is invalid for '--source-layout <source-layout>'. Please provide one of 'release-tarball' and 'git-tags'."),
        UsageError(
            arguments: ["build", "--platform", "linux/s390x"],
            message: "Please provide one of 'linux/amd64' and 'linux/arm64'."),
        UsageError(
            arguments: ["build", "--platform", "linux/amd64", "--platform", "linux/arm64"],
            message: "--platform linux/amd64 linux/arm64: build one platform per run"),
        UsageError(arguments: ["build", "--base", "kernel=debian:12"], message: "--base kernel=debian:12: unknown stage \"kernel\""),
        UsageError(
            arguments: ["build", "--target", "bake"],
            message: "The value 'bake' is invalid for '--target <target>'. Please provide one of 'engine', 'pipeline' or 'anchor-like'."
        ),
        UsageError(
            arguments: ["build", "--bbf-binary", "/bin/true"],
            message: "--bbf-binary: only the pipeline image holds bbf; add --target pipeline."),
        UsageError(
            arguments: ["build", "--compare-anchor", "--target", "pipeline"],
            message: "--compare-anchor compares the engine image: leave out --target pipeline."),
        UsageError(arguments: ["dockerfile", "--base", "debian:12"], message: "--base and --distribution need --output"),
        UsageError(arguments: ["dockerfile", "--output", "-"], message: "--output needs --line"),
        UsageError(
            arguments: ["pin", "--local-archives", "/a", "--download-to", "/b"],
            message: "--download-to has no effect with --local-archives"),
    ]

    @Test("a bad option value is a usage error (exit 64) naming the flag and the choices, and nothing is touched", arguments: usageErrors)
    func usageError(_ usage: UsageError) throws {
        let (layout, cleanup) = try TestSupport.scratchRepository()
        defer { cleanup() }
        let before = try TestSupport.snapshot(layout.root)
        let result = try TestSupport.bbf(usage.arguments + ["--root", layout.root])
        #expect(result.status == .exited(64))
        #expect(result.standardError.hasPrefix("Error: "), "\(result.standardError)")
        #expect(result.standardError.contains(usage.message), "\(result.standardError)")
        #expect(try TestSupport.snapshot(layout.root) == before)
        let missing = try TestSupport.bbf(["check", "--root", layout.root + "/nonexistent"])
        #expect(missing.status == .exited(64))
        #expect(missing.standardError.contains("is not a directory"))
    }

    @Test("--help lists the values of the enumerated options")
    func helpListsChoices() throws {
        /// The help text with its line wrapping undone.
        func help(_ command: String) throws -> String {
            try TestSupport.bbf([command, "--help"]).standardOutput.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        #expect(try help("bump").contains("(values: release-tarball, git-tags)"))
        let build = try help("build")
        #expect(build.contains("(values: linux/amd64, linux/arm64)"))
        #expect(build.contains("(values: docker, podman)"))
        #expect(
            build.contains("--target <target> What to build: engine")
                && build.contains("(values: engine, pipeline, anchor-like; default: engine)"))
        #expect(build.contains("--bbf-binary <bbf-binary>"))
    }

    @Test("bump --dry-run shows the diff; bump writes versions.json and the Dockerfiles, and check passes after")
    func bumpWrites() throws {
        let (layout, cleanup) = try TestSupport.scratchRepository()
        defer { cleanup() }
        let before = try TestSupport.snapshot(layout.root)
        let dry = try TestSupport.bbf([
            "bump", "--root", layout.root, "--line", "4.2", "--postgres", "16.4", "--babelfish", "4.2.1", "--dry-run",
        ])
        #expect(dry.status.isSuccess)
        #expect(dry.standardOutput.contains("-      \"babelfish\": \"4.2.0\",\n+      \"babelfish\": \"4.2.1\","))
        #expect(dry.standardOutput.contains("-      \"postgres\": \"16.3\",\n+      \"postgres\": \"16.4\","))
        #expect(try TestSupport.snapshot(layout.root) == before)
        let bump = try TestSupport.bbf(["bump", "--root", layout.root, "--line", "4.2", "--postgres", "16.4", "--babelfish", "4.2.1"])
        #expect(bump.status.isSuccess, "\(bump.standardError)")
        #expect(bump.standardOutput.contains("engine tag BABEL_4_2_1__PG_16_4, extensions tag BABEL_4_2_1"))
        #expect(bump.standardOutput.contains("dropped the checksums of engine-BABEL_4_2_0__PG_16_3.tar.gz (no longer used)"))
        #expect(bump.standardOutput.contains("wrote versions.json\nwrote docker/4.2/Dockerfile\nwrote docker/4.2/ubuntu-24.04.Dockerfile"))
        #expect(try TestSupport.bbf(["check", "--root", layout.root]).status.isSuccess)
    }

    @Test("build --dry-run stages the context and prints the exact command without running the engine")
    func buildDryRun() throws {
        let (layout, cleanup) = try TestSupport.scratchRepository()
        defer { cleanup() }
        let result = try TestSupport.bbf([
            "build", "--root", layout.root, "--engine", "/bin/false", "--dry-run", "--base", "debian:bookworm-slim",
        ])
        #expect(result.status.isSuccess, "\(result.standardError)")
        let context = layout.path(".build/bbf/context/5.2-debian-12-docker")
        #expect(
            result.standardOutput.hasPrefix(
                "DOCKER_BUILDKIT=1 /bin/false build --progress=plain --file \(context)/Dockerfile --build-arg BUILD_IMAGE=debian:bookworm-slim --build-arg RUNTIME_IMAGE=debian:bookworm-slim --build-arg SOURCE_REVISION="
            ))
        #expect(
            result.standardOutput.hasSuffix(
                "--tag example/babelfish:17.5-5.2.0 --tag example/babelfish:5.2 --tag example/babelfish:latest \(context)\n"))
        #expect(
            result.standardError.contains(
                "WARNING: line 5.2 (the default line; --line picks another of 4.2, 5.2) is built from downloads that cannot be verified: no sha256 is pinned for BABEL_5_2_0__PG_17_5.tar.gz"
            ))
        #expect(result.standardError.contains("run `bbf pin --line 5.2` on a machine with internet"))
        #expect(try FileSystem.readText(context + "/Dockerfile") == (try FileSystem.readText(layout.path("docker/5.2/Dockerfile"))))
        #expect(FileSystem.isDirectoryFollowingLinks(context + "/sources") && FileSystem.isDirectoryFollowingLinks(context + "/entrypoint"))
        #expect(
            try FileSystem.contents(ofDirectory: context).sorted() == [
                "Dockerfile", "Sources", "bbf", "docker", "entrypoint", "patches", "sources",
            ],
            "no Package.swift, Package.resolved or Tests/ of the root package: the engine image needs only bbf-entrypoint's")
        #expect(try FileSystem.contents(ofDirectory: context + "/Sources").sorted() == EntrypointPackage.targets.sorted())
        #expect(
            try FileSystem.readText(context + "/docker/entrypoint/Package.swift")
                == (try FileSystem.readText(TestSupport.layout.path(EntrypointPackage.manifest))))
    }

    @Test("build --target pipeline --dry-run stages bbf's package and the prebuilt bbf, and prints the pipeline command")
    func pipelineDryRun() throws {
        let (layout, cleanup) = try TestSupport.scratchRepository()
        defer { cleanup() }
        try BBFPackage.stage(from: TestSupport.layout, into: layout.root)
        let bbf = try #require(TestSupport.builtExecutable("bbf"))
        let machine = BuildRunner.hostArchitecture()
        let result = try TestSupport.bbf([
            "build", "--root", layout.root, "--engine", "/bin/false", "--dry-run", "--target", "pipeline", "--line", "4.2", "--bbf-binary",
            bbf,
        ])
        #expect(result.status.isSuccess, "\(result.standardError)")
        let context = layout.path(".build/bbf/context/4.2-debian-12-docker-pipeline")
        #expect(result.standardOutput.contains("--file \(context)/Dockerfile --target pipeline --build-arg BBF_FROM=context"))
        #expect(
            result.standardOutput.contains("--tag example/babelfish-pipeline:16.3-4.2.0 --tag example/babelfish-pipeline:4.2 \(context)\n"))
        #expect(
            try FileSystem.contents(ofDirectory: context).sorted() == [
                "Dockerfile", "Package.swift", "Sources", "Tests", "bbf", "docker", "entrypoint", "patches", "sources",
            ])
        #expect(FileSystem.isExecutable(context + "/bbf/\(machine)/bbf"))
        #expect(try FileSystem.readText(context + "/Package.swift") == (try FileSystem.readText(TestSupport.layout.path("Package.swift"))))
        #expect(FileSystem.isDirectoryFollowingLinks(context + "/Tests/BBFTestSupport"), "SwiftPM needs every target's directory")
        let script = try TestSupport.bbf([
            "build", "--root", layout.root, "--engine", "/bin/false", "--dry-run", "--target", "pipeline", "--bbf-binary",
            "/bin/sh.not-there",
        ])
        #expect(script.status == .exited(1))
        #expect(script.standardError.contains("--bbf-binary /bin/sh.not-there"), "\(script.standardError)")
    }

    @Test("build --compare-anchor --dry-run plans the engine image, then the anchor-like stage in its own repository and context")
    func compareAnchorDryRun() throws {
        let (layout, cleanup) = try TestSupport.scratchRepository()
        defer { cleanup() }
        let result = try TestSupport.bbf([
            "build", "--root", layout.root, "--engine", "/bin/false", "--dry-run", "--compare-anchor", "--line", "4.2", "--tag", "mine",
        ])
        #expect(result.status.isSuccess, "\(result.standardError)")
        let commands = result.standardOutput.split(separator: "\n")
        #expect(commands.count == 2, "\(result.standardOutput)")
        let engine = layout.path(".build/bbf/context/4.2-debian-12-docker")
        let anchor = layout.path(".build/bbf/context/4.2-debian-12-docker-anchor-like")
        #expect(commands.first?.contains("--file \(engine)/Dockerfile --build-arg") == true, "\(result.standardOutput)")
        #expect(commands.first?.contains("--target") == false, "the engine is the default (last) stage")
        #expect(commands.first?.contains("--tag example/babelfish:mine") == true)
        #expect(commands.last?.contains("--file \(anchor)/Dockerfile --target anchor-like") == true, "\(result.standardOutput)")
        #expect(commands.last?.contains("--tag example/babelfish-anchor-like:16.3-4.2.0 --tag example/babelfish-anchor-like:4.2") == true)
        #expect(commands.last?.contains(":mine") == false, "--tag names the engine image only")
    }

    @Test("build --sources verifies the archives before the engine runs, naming the file and both checksums")
    func buildVerifiesSources() throws {
        let (layout, cleanup) = try TestSupport.scratchRepository()
        defer { cleanup() }
        let sources = layout.path("archives")
        try FileSystem.createDirectory(sources)
        for file in ["engine-BABEL_4_2_0__PG_16_3.tar.gz", "extensions-BABEL_4_2_0.tar.gz", "antlr4-4.9.3.tar.gz"] {
            try FileSystem.writeAtomically(sources + "/" + file, "not the real archive", permissions: 0o644)
        }
        let engine = try TestSupport.stubEngine(in: layout.root)
        let result = try TestSupport.bbf(["build", "--root", layout.root, "--engine", engine, "--line", "4.2", "--sources", sources])
        #expect(result.status == .exited(1))
        #expect(result.standardError.contains("error: \(sources)/engine-BABEL_4_2_0__PG_16_3.tar.gz has sha256 "))
        #expect(result.standardError.contains("expects (none) (upstream) or \(String(repeating: "2", count: 64)) (local archive)"))
        #expect(!result.standardError.contains("build context:"), "nothing was staged or run")
        try FileSystem.removeTree(sources + "/antlr4-4.9.3.tar.gz")
        let missing = try TestSupport.bbf([
            "build", "--root", layout.root, "--engine", "/bin/false", "--line", "4.2", "--sources", sources, "--dry-run",
        ])
        #expect(missing.status == .exited(1))
    }

    @Test("a failing engine is reported after its own output, with its exit status; the unverifiable sources were named first")
    func engineFailure() throws {
        let (layout, cleanup) = try TestSupport.scratchRepository()
        defer { cleanup() }
        let engine = try TestSupport.stubEngine(in: layout.root)
        let result = try TestSupport.bbf(["build", "--root", layout.root, "--engine", engine])
        #expect(result.status == .exited(1))
        let error = result.standardError
        #expect(error.contains("+ DOCKER_BUILDKIT=1 \(engine) build --progress=plain"))
        #expect(error.contains("stub engine: build failed"))
        #expect(error.contains("error: docker build exited with status 1; its output is above"))
        let warning = try #require(error.firstRange(of: "WARNING: line 5.2 (the default line;"))
        let build = try #require(error.firstRange(of: "+ DOCKER_BUILDKIT=1"))
        #expect(warning.lowerBound < build.lowerBound, "the warning comes before the long build")
    }

    @Test("an engine that cannot answer `info` stops bbf build before anything is staged, naming --engine")
    func engineUnavailable() throws {
        let (layout, cleanup) = try TestSupport.scratchRepository()
        defer { cleanup() }
        let result = try TestSupport.bbf(["build", "--root", layout.root, "--engine", "/bin/false"])
        #expect(result.status == .exited(1))
        #expect(
            result.standardError.contains(
                "error: /bin/false info exited with status 1: the engine cannot build. Fix it, or pass --engine podman."))
        #expect(!result.standardError.contains("build context:"), "nothing was staged or run")
        #expect(!FileSystem.exists(layout.path(".build/bbf/context")))
    }

    @Test(
        "with no Docker daemon, bbf build says so and how to go on, instead of a BuildKit hint (the real docker client)",
        .enabled(if: TestSupport.which("docker") != nil, "needs the docker client on PATH (no daemon needed)"))
    func noDaemon() throws {
        let (layout, cleanup) = try TestSupport.scratchRepository()
        defer { cleanup() }
        var environment = ProcessEnvironment.current()
        environment["DOCKER_HOST"] = "unix://\(layout.root)/no-daemon.sock"
        let result = try TestSupport.bbf(["build", "--root", layout.root, "--engine", "docker"], environment: environment)
        #expect(result.status == .exited(1))
        #expect(
            result.standardError.contains(
                "error: the Docker daemon is not running (docker info: Cannot connect to the Docker daemon at unix://\(layout.root)/no-daemon.sock"
            ), "\(result.standardError)")
        #expect(result.standardError.contains("start it (e.g. sudo systemctl start docker), or pass --engine podman"))
        #expect(!result.standardError.contains("BuildKit"))
        #expect(!result.standardError.contains("build context:"))
    }

    @Test("check --strict fails while a checksum is unpinned, naming the archives and bbf pin")
    func strictCheck() throws {
        let (layout, cleanup) = try TestSupport.scratchRepository()
        defer { cleanup() }
        let strict = try TestSupport.bbf(["check", "--strict", "--root", layout.root])
        #expect(strict.status == .exited(1))
        #expect(strict.standardError.contains("error: line 5.2: no sha256 pinned for BABEL_5_2_0__PG_17_5.tar.gz"))
        #expect(
            strict.standardError.contains(
                "bbf check: FAILED (0 problem(s); --strict: 3 archive(s) without a pinned sha256: line 4.2: engine-BABEL_4_2_0__PG_16_3.tar.gz, extensions-BABEL_4_2_0.tar.gz; line 5.2: BABEL_5_2_0__PG_17_5.tar.gz). Run `bbf pin` on a machine with internet"
            ), "\(strict.standardError)")
    }

    @Test("outside a repository, bbf says where it looked and what to do")
    func noRepository() throws {
        let directory = try FileSystem.makeTemporaryDirectory(prefix: "bbf-empty-")
        defer { try? FileSystem.removeTree(directory) }
        let result = try TestSupport.bbf(["check", "--root", directory])
        #expect(result.status == .exited(1))
        #expect(result.standardError.contains("versions.json does not exist (run bbf from the repository, or pass --root)"))
    }
}
