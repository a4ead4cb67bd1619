import BBFBuild
import BBFProcess
import BBFSystem
import BBFTestSupport
import Foundation
import Testing

/// A real build of the pipeline image (`bbf build --target pipeline`) with
/// prebuilt binaries, its tools, and `bbf backup` run inside it against a
/// real Babelfish DEV on this machine.
///
/// Enabled by `BBF_TEST_SOURCES` (as `ImageBuildIntegrationTests`; the engine
/// stages come from the build cache when that test ran). Also reads
/// `BBF_TEST_ENTRYPOINT_BINARY`, `BBF_TEST_BBF_BINARY` (default: the release
/// builds in .build/release), `BBF_TEST_LINE`, `BBF_TEST_ENGINE`,
/// `BBF_TEST_BASE_IMAGE`; the backup needs `BBF_TEST_BABELFISH_HOME` and tsql.
@Suite("real pipeline image build (BBF_TEST_SOURCES)", .serialized)
struct PipelineImageIntegrationTests {
    static let environment = ProcessEnvironment.current()
    static let sources = ImageBuildIntegrationTests.sources
    static let entrypoint = ImageBuildIntegrationTests.entrypoint
    /// A static release build: the debug one next to the tests links the Swift runtime dynamically.
    static let bbf: String? =
        environment["BBF_TEST_BBF_BINARY"].map { FileSystem.isExecutable($0) ? $0 : nil }
        ?? TestSupport.builtExecutable("bbf", configurations: ["release"], nextToTests: false)
    static let engine = ImageBuildIntegrationTests.engine
    static let tsql = TestSupport.which("tsql")

    static var prerequisites: Bool { sources != nil && entrypoint != nil && bbf != nil && engine != nil }
    static let prerequisitesReason: Comment =
        "set BBF_TEST_SOURCES to a directory of a line's archives, with docker (BuildKit) or podman (BBF_TEST_ENGINE) and release builds of bbf and bbf-entrypoint (swift build -c release --static-swift-stdlib --product bbf, then --product bbf-entrypoint; or BBF_TEST_BBF_BINARY / BBF_TEST_ENTRYPOINT_BINARY)"

    /// Builds (or finds in the build cache) the pipeline image; returns its `<repository>:<line>` tag and the line.
    static func build() throws -> (image: String, line: ReleaseLine) {
        let sources = try #require(Self.sources)
        let engine = try #require(Self.engine)
        let versions = try TestSupport.realVersions()
        let lineName = try TestSupport.lineWithArchives(in: sources, versions: versions, environment: environment)
        var arguments = [
            "build", "--root", TestSupport.repositoryRoot, "--target", "pipeline", "--line", lineName, "--sources", sources,
            "--entrypoint-binary", try #require(Self.entrypoint), "--bbf-binary", try #require(Self.bbf), "--engine", engine.path,
            "--repository", "bbf-test",
        ]
        if let base = environment["BBF_TEST_BASE_IMAGE"] { arguments += ["--base", base] }
        let bbf = try #require(TestSupport.builtExecutable("bbf"))
        let build = try ProcessRunner.stream(bbf, arguments, environment: environment)
        try #require(build.isSuccess, "bbf build --target pipeline failed; its output is above")
        return ("bbf-test-pipeline:\(lineName)", try versions.line(named: lineName))
    }

    static func docker(_ arguments: [String]) throws -> ProcessResult {
        try ProcessRunner.run(try #require(engine).path, arguments, environment: environment)
    }

    @Test(
        "the pipeline image builds on the engine's distribution runtime; every tool in it reports the engine's version; it is non-root with no toolchain",
        .enabled(if: prerequisites, prerequisitesReason), .timeLimit(.minutes(120)))
    func toolsReportTheEngineVersion() throws {
        let (image, line) = try Self.build()
        let versions = try Self.docker([
            "run", "--rm", "--entrypoint", "/bin/sh", image, "-c",
            "set -e; for tool in bbf_dump bbf_dumpall pg_restore psql postgres; do \"$tool\" --version; done; for tool in bbf bbf-entrypoint aws skopeo; do command -v \"$tool\"; done; for compiler in cc gcc make; do if command -v \"$compiler\"; then echo \"COMPILER $compiler\"; fi; done",
        ])
        try #require(versions.status.isSuccess, "\(versions.standardError)")
        let lines = versions.standardOutput.split(separator: "\n").map(String.init)
        #expect(
            lines.prefix(5) == [
                "bbf_dump (pg_dump compatible with Babelfish for PostgreSQL) \(line.postgres)",
                "bbf_dumpall (pg_dumpall compatible with Babelfish for PostgreSQL) \(line.postgres)",
                "pg_restore (PostgreSQL) \(line.postgres)", "psql (PostgreSQL) \(line.postgres)", "postgres (PostgreSQL) \(line.postgres)",
            ])
        #expect(
            Array(lines.dropFirst(5).prefix(4)) == [
                "/usr/local/bin/bbf", "/usr/local/bin/bbf-entrypoint", "/usr/bin/aws", "/usr/bin/skopeo",
            ])
        #expect(!versions.standardOutput.contains("COMPILER"), "no compiler in the pipeline image: \(versions.standardOutput)")

        let help = try Self.docker(["run", "--rm", "--read-only", image])
        #expect(
            help.status.isSuccess && help.standardOutput.contains("USAGE: bbf <subcommand>"), "\(help.standardOutput)\(help.standardError)")
        let config = try Self.docker([
            "image", "inspect", "--format",
            "{{.Config.User}}|{{json .Config.Entrypoint}}|{{index .Config.Labels \"babelfish-dev.image\"}}|{{index .Config.Labels \"babelfish-dev.postgresql.version\"}}|{{range .Config.Env}}{{.}} {{end}}",
            image,
        ])
        let fields = config.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|").map(String.init)
        try #require(fields.count == 5, "\(config.standardOutput)\(config.standardError)")
        #expect(fields[0] == "999:999" && fields[1] == #"["bbf"]"# && fields[2] == "pipeline" && fields[3] == line.postgres.description)
        #expect(fields[4].contains("HOME=/work") && fields[4].contains("TMPDIR=/work/tmp"))

        // The pipeline installs packages, so it is built on the distribution runtime (bbf build --runtime
        // distribution, which ImageBuildIntegrationTests tags bbf-test-distribution), not on the minimal engine image.
        let tag = try #require(image.split(separator: ":").last)
        let distributionImage = "bbf-test-distribution:\(tag)"
        let layers = try Self.docker(["image", "inspect", "--format", "{{json .RootFS.Layers}}", distributionImage, image])
        if layers.status.isSuccess {
            let both = layers.standardOutput.split(separator: "\n").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "[]")) }
            #expect(both.count == 2 && both[1].hasPrefix(both[0]), "the pipeline image is the distribution runtime plus layers")
        } else {
            Console.error(
                "(no \(distributionImage): ImageBuildIntegrationTests did not build the distribution runtime here; layer sharing not compared)"
            )
        }
        let minimalLayers = try Self.docker(["image", "inspect", "--format", "{{len .RootFS.Layers}}", "bbf-test:\(tag)"])
        if minimalLayers.status.isSuccess {
            #expect(minimalLayers.standardOutput.hasPrefix("1"), "the minimal engine image is one layer of its own")
        }
    }

    @Test(
        "bbf backup runs inside the pipeline image (uid 999, read-only root, a tmpfs at /work) against a real Babelfish DEV",
        .enabled(if: prerequisites, prerequisitesReason),
        .enabled(if: TestTools.babelfishHome != nil, Comment(rawValue: TestTools.babelfishReason)),
        .enabled(if: tsql != nil, "needs FreeTDS tsql on PATH (apt-get install freetds-bin)"), .timeLimit(.minutes(120)))
    func backupInsideTheImage() throws {
        let (image, _) = try Self.build()
        let dev = try BootedServer(babelfish: true)
        let created = try dev.tsql(
            "CREATE DATABASE pipeline_sales\ngo\nUSE pipeline_sales\ngo\nCREATE TABLE dbo.orders (id INT IDENTITY(1,1) PRIMARY KEY, item NVARCHAR(50))\ngo\nINSERT INTO dbo.orders (item) VALUES (N'Zoë'), (N'東京')"
        )
        #expect(!created.contains("Msg "), "\(created)")

        let scratch = try Scratch("bbf-pipeline-image-")
        let backups = try scratch.sub("backups", permissions: 0o700)
        #expect(chown(backups, 999, 999) == 0, "the container writes as uid 999")
        // The password goes in a file, not on docker's command line.
        let variables = dev.clientEnvironment().map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "\n") + "\n"
        let envFile = scratch.path + "/env"
        try FileSystem.writeAtomically(envFile, variables, permissions: 0o600)
        let run = try Self.docker([
            "run", "--rm", "--network", "host", "--user", "999:999", "--read-only", "--tmpfs", "/work:rw,uid=999,gid=999,mode=0700",
            "--env-file", envFile, "--volume", "\(backups):/backups", image, "backup", "--to", "/backups",
        ])
        #expect(run.status.isSuccess, "bbf backup in the image:\n\(run.standardOutput)\(run.standardError)")
        Console.error(run.standardError)

        let names = try FileSystem.contents(ofDirectory: backups).sorted()
        let archive = try #require(names.first { $0.hasSuffix(".tar.gz") }, "no archive in \(names)")
        let record = try #require(names.first { $0.hasSuffix(".manifest.json") }, "no record in \(names)")
        #expect(run.standardOutput.contains("/backups/\(archive)"))
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(try FileSystem.readText(backups + "/" + record).utf8)) as? [String: Any])
        let manifest = try #require(json["manifest"] as? [String: Any])
        let babelfish = try #require(manifest["babelfish"] as? [String: Any])
        let databases = try #require(babelfish["databases"] as? [[String: Any]]).compactMap { $0["name"] as? String }
        #expect(Set(databases).isSuperset(of: ["master", "tempdb", "msdb", "pipeline_sales"]), "\(databases)")
        let tool = try #require(manifest["tool"] as? [String: Any])
        #expect((tool["dump"] as? String)?.hasPrefix("bbf_dump (pg_dump compatible with Babelfish for PostgreSQL)") == true, "\(tool)")
        let tables = try #require(manifest["tables"] as? [[String: Any]])
        #expect(tables.contains { $0["name"] as? String == "orders" && $0["rows"] as? Int == 2 }, "\(tables)")
    }
}
