import BBFBuild
import BBFProcess
import BBFSystem
import Testing

/// A real image build with a real engine, then a T-SQL query over TDS.
///
/// Enabled by `BBF_TEST_SOURCES` (a directory holding one line's source
/// archives, e.g. /opt/bbf-sources/4.2). Also reads:
/// - `BBF_TEST_ENTRYPOINT_BINARY`: the bbf-entrypoint to put in the image
///   (default: .build/release/bbf-entrypoint of this repository);
/// - `BBF_TEST_LINE`: the line (default: the one whose archives are all there);
/// - `BBF_TEST_ENGINE`: docker, podman or a path (default as bbf build);
/// - `BBF_TEST_BASE_IMAGE`: a base image override for the build and runtime stages;
/// - `BBF_TEST_REPOSITORY`: the repository the image is tagged in (default: bbf-test).
@Suite("real image build (BBF_TEST_SOURCES)", .serialized)
struct ImageBuildIntegrationTests {
    static let environment = ProcessEnvironment.current()
    static let sources = environment["BBF_TEST_SOURCES"].flatMap { $0.isEmpty ? nil : $0 }
    /// A release build (the image needs the static Swift standard library), never the debug one next to the tests.
    static let entrypoint: String? =
        environment["BBF_TEST_ENTRYPOINT_BINARY"].map { FileSystem.isExecutable($0) ? $0 : nil }
        ?? TestSupport.builtExecutable("bbf-entrypoint", configurations: ["release"], nextToTests: false)
    static let engine = try? ContainerEngine.find(requested: environment["BBF_TEST_ENGINE"], environment: environment)
    static let tsql = TestSupport.which("tsql")
    static let repository = environment["BBF_TEST_REPOSITORY"].flatMap { $0.isEmpty ? nil : $0 } ?? "bbf-test"

    /// `sh -c script` in a throwaway container of `image`; its standard output.
    static func shell(_ engine: ContainerEngine, _ image: String, _ script: String) throws -> String {
        let result = try ProcessRunner.run(engine.path, ["run", "--rm", "--entrypoint", "/bin/sh", image, "-c", script])
        #expect(result.status.isSuccess, "\(image): \(script): \(result.standardError)")
        return result.standardOutput
    }

    /// The line whose archives are all in `sources` (or BBF_TEST_LINE), and the
    /// `bbf build` arguments both tests start from.
    static func buildArguments(
        versions: Versions, sources: String, entrypoint: String, engine: ContainerEngine
    ) throws -> (line: String, arguments: [String]) {
        let lineName = try TestSupport.lineWithArchives(in: sources, versions: versions, environment: environment)
        var arguments = [
            "build", "--root", TestSupport.repositoryRoot, "--line", lineName, "--sources", sources, "--entrypoint-binary", entrypoint,
            "--engine", engine.path, "--repository", repository,
        ]
        if let base = environment["BBF_TEST_BASE_IMAGE"] { arguments += ["--base", base] }
        return (lineName, arguments)
    }

    @Test(
        "bbf build of the line in BBF_TEST_SOURCES, docker run of the image, and a T-SQL batch over TDS",
        .enabled(if: sources != nil, "set BBF_TEST_SOURCES to a directory holding a line's source archives to build a real image"),
        .enabled(if: entrypoint != nil, "needs bbf-entrypoint: set BBF_TEST_ENTRYPOINT_BINARY or build .build/release/bbf-entrypoint"),
        .enabled(if: engine != nil, "needs docker (with BuildKit) or podman: set BBF_TEST_ENGINE"),
        .enabled(if: tsql != nil, "needs FreeTDS tsql on PATH (apt-get install freetds-bin)"),
        .timeLimit(.minutes(120)))
    func buildRunAndQuery() throws {
        let sources = try #require(Self.sources)
        let entrypoint = try #require(Self.entrypoint)
        let engine = try #require(Self.engine)
        let tsql = try #require(Self.tsql)
        let versions = try TestSupport.realVersions()
        let (lineName, arguments) = try Self.buildArguments(versions: versions, sources: sources, entrypoint: entrypoint, engine: engine)
        let line = try versions.line(named: lineName)
        let bbf = try #require(TestSupport.builtExecutable("bbf"))
        let build = try ProcessRunner.stream(bbf, arguments, environment: Self.environment)
        try #require(build.isSuccess, "bbf build failed; its output is above")

        let name = "bbf-test-\(Int.random(in: 100_000...999_999))"
        let password = "Test-\(Int.random(in: 100_000...999_999))"
        defer { _ = try? ProcessRunner.run(engine.path, ["rm", "--force", name]) }
        let run = try ProcessRunner.run(
            engine.path,
            [
                "run", "--detach", "--name", name, "--publish", "127.0.0.1::1433", "--env", "POSTGRES_PASSWORD=\(password)",
                "--env", "BABELFISH_USER=babelfish_user", "--env", "BABELFISH_PASSWORD=\(password)", "\(Self.repository):\(lineName)",
            ])
        try #require(run.status.isSuccess, "\(run.standardError)")
        let port = try ProcessRunner.run(engine.path, ["port", name, "1433/tcp"])
        try #require(port.status.isSuccess, "\(port.standardError)")
        let mapping = port.standardOutput
        let hostPort = try #require(
            mapping.split(separator: "\n").first?.split(separator: ":").last.map(String.init), "no port in \(mapping)")

        let spatial = try versions.distribution(named: line.distribution).spatialTypes
        // Aurora's extras (issue 14): pg_hint_plan loads, FORMAT finds en-US's locale, geometry exists.
        let batch = """
            DECLARE @greeting nvarchar(40) = N'answer from Babelfish ';
            SELECT @greeting + CAST(serverproperty('BabelfishVersion') AS nvarchar(20)) AS greeting, @@VERSION AS version
            go
            SELECT 'hint plan ' + set_config('babelfishpg_tsql.enable_pg_hint', 'on', false) AS hint
            go
            SELECT 'money ' + FORMAT(CAST(1234.5 AS money), 'C', 'en-us') AS formatted
            go
            \(spatial ? "DECLARE @g geometry = geometry::STGeomFromText('POINT(1 2)', 4326); SELECT 'point ' + @g.STAsText() AS point\ngo" : "")
            exit

            """
        let queryFile = try FileSystem.makeTemporaryDirectory(prefix: "bbf-tds-") + "/query.sql"
        defer { try? FileSystem.removeTree(FileSystem.parent(of: queryFile)) }
        try FileSystem.writeAtomically(queryFile, batch, permissions: 0o600)
        let expected = "answer from Babelfish \(line.babelfish)"
        var output = ""
        let started = Instant.now()
        while started.millisecondsElapsed() < 240_000 {
            let result = try ProcessRunner.run(
                "/bin/sh",
                ["-c", "\"$0\" -H 127.0.0.1 -p \"$1\" -U babelfish_user -P \"$2\" -D master < \"$3\"", tsql, hostPort, password, queryFile])
            output = result.standardOutput + result.standardError
            if output.contains(expected) { break }
            sleep(milliseconds: 2000)
        }
        if !output.contains(expected) {
            let logs = try? ProcessRunner.run(engine.path, ["logs", name])
            Issue.record(
                "no T-SQL answer over TDS within 240 s. tsql said:\n\(output)\ncontainer log:\n\(logs?.standardOutput ?? "")\(logs?.standardError ?? "")"
            )
        }
        #expect(output.contains(expected))
        #expect(output.contains("PostgreSQL \(line.postgres)"), "\(output)")
        #expect(output.contains("hint plan on"), "pg_hint_plan must load: \(output)")
        if line.cultures.contains("en-US") {
            #expect(output.contains("money $1,234.50"), "FORMAT with en-us needs the en_US locales: \(output)")
        }
        if spatial {
            #expect(output.contains("point POINT(1 2)"), "geometry needs PostGIS and -DENABLE_SPATIAL_TYPES: \(output)")
        }
        // The image's template cluster made that first boot (the settings are the defaults).
        let logs = try ProcessRunner.run(engine.path, ["logs", name])
        #expect(
            (logs.standardOutput + logs.standardError).contains("first boot from the template cluster /opt/babelfish/template"),
            "the first boot did not copy the image's template:\n\(logs.standardOutput)\(logs.standardError)")
        let seconds = Int(started.millisecondsElapsed() / 1000)
        Console.error("T-SQL answered over TDS \(seconds) s after docker run")
    }

    @Test(
        "bbf build --compare-anchor builds the anchor-like image too and prints both sizes; the engine image is the trimmed one",
        .enabled(if: sources != nil, "set BBF_TEST_SOURCES to a directory holding a line's source archives to build a real image"),
        .enabled(if: entrypoint != nil, "needs bbf-entrypoint: set BBF_TEST_ENTRYPOINT_BINARY or build .build/release/bbf-entrypoint"),
        .enabled(if: engine != nil, "needs docker (with BuildKit) or podman: set BBF_TEST_ENGINE"),
        .timeLimit(.minutes(120)))
    func compareAnchor() throws {
        let sources = try #require(Self.sources)
        let entrypoint = try #require(Self.entrypoint)
        let engine = try #require(Self.engine)
        let (lineName, build) = try Self.buildArguments(
            versions: try TestSupport.realVersions(), sources: sources, entrypoint: entrypoint, engine: engine)
        let arguments = build + ["--compare-anchor"]
        let bbf = try #require(TestSupport.builtExecutable("bbf"))
        let result = try ProcessRunner.run(bbf, arguments, environment: Self.environment)
        try #require(result.status.isSuccess, "bbf build --compare-anchor failed:\n\(result.standardError.suffix(3000))")
        let summary = result.standardOutput
        #expect(summary.contains("built \(Self.repository):"), "\(summary)")
        #expect(summary.contains("built \(Self.repository)-anchor-like:"), "\(summary)")
        let ratioLine = try #require(
            summary.split(separator: "\n").first { $0.contains("engine / anchor-like: ") }, "no comparison in:\n\(summary)")
        let ratio = try #require(
            ratioLine.split(separator: " ").first { $0.hasSuffix("×;") }.flatMap { Double($0.dropLast(2)) }, "\(ratioLine)")
        #expect(ratio > 0 && ratio < 1, "the engine image must be smaller than the anchor-like one: \(ratioLine)")

        func shell(_ image: String, _ script: String) throws -> String { try Self.shell(engine, image, script) }
        let trimmed = try shell(
            "\(Self.repository):\(lineName)",
            "test -d /opt/babelfish/share/locale && echo translations; test -d /opt/babelfish/include && echo headers; "
                + "ls /usr/share/doc/libicu*/")
        #expect(!trimmed.contains("translations") && !trimmed.contains("headers"), "\(trimmed)")
        #expect(trimmed.split(separator: "\n").last == "copyright", "only the copyright of a run-time package's docs: \(trimmed)")
        let anchor = try shell(
            "\(Self.repository)-anchor-like:\(lineName)",
            "test -d /opt/babelfish/include && echo headers; ls /var/lib/apt/lists | grep -c Packages; /opt/babelfish/bin/postgres --version; "
                + "grep -q .debug_info /opt/babelfish/bin/postgres && echo debug-information; /opt/babelfish/bin/pg_config --cflags"
        )
        #expect(anchor.contains("headers"), "the anchor-like tree is the untrimmed one: \(anchor)")
        #expect(anchor.contains("debug-information"), "compiled as docker-babelfishpg compiles (-ggdb): \(anchor)")
        #expect(
            anchor.contains("-ggdb") && !anchor.contains("-O2"), "docker-babelfishpg's CFLAGS, which replace configure's -O2: \(anchor)")
        let engineTree = try shell(
            "\(Self.repository):\(lineName)",
            "grep -q .debug_info /opt/babelfish/bin/postgres || echo none; /opt/babelfish/bin/pg_config --cflags")
        #expect(engineTree.contains("none") && engineTree.contains("-O2"), "the engine image's own compile: \(engineTree)")
        #expect(anchor.contains("postgres (PostgreSQL)"), "\(anchor)")
    }

    @Test(
        "the engine image is minimal by default (one layer, no package manager, a shell and tools to debug with, the image's users and modes) and --runtime distribution is the engine on the distribution's image",
        .enabled(if: sources != nil, "set BBF_TEST_SOURCES to a directory holding a line's source archives to build a real image"),
        .enabled(if: entrypoint != nil, "needs bbf-entrypoint: set BBF_TEST_ENTRYPOINT_BINARY or build .build/release/bbf-entrypoint"),
        .enabled(if: engine != nil, "needs docker (with BuildKit) or podman: set BBF_TEST_ENGINE"),
        .timeLimit(.minutes(120)))
    func runtimes() throws {
        let sources = try #require(Self.sources)
        let entrypoint = try #require(Self.entrypoint)
        let engine = try #require(Self.engine)
        let (lineName, build) = try Self.buildArguments(
            versions: try TestSupport.realVersions(), sources: sources, entrypoint: entrypoint, engine: engine)
        let bbf = try #require(TestSupport.builtExecutable("bbf"))
        let minimalBuild = try ProcessRunner.run(bbf, build, environment: Self.environment)
        try #require(minimalBuild.status.isSuccess, "bbf build failed:\n\(minimalBuild.standardError.suffix(3000))")
        let distributionRepository = Self.repository + "-distribution"
        var distributionArguments = build
        if let index = distributionArguments.firstIndex(of: "--repository") {
            distributionArguments[index + 1] = distributionRepository
        }
        let distributionBuild = try ProcessRunner.run(
            bbf, distributionArguments + ["--runtime", "distribution"], environment: Self.environment)
        try #require(
            distributionBuild.status.isSuccess, "bbf build --runtime distribution failed:\n\(distributionBuild.standardError.suffix(3000))")
        let minimal = "\(Self.repository):\(lineName)"
        let distribution = "\(distributionRepository):\(lineName)"

        func inspect(_ image: String, _ format: String) throws -> String {
            let result = try ProcessRunner.run(engine.path, ["image", "inspect", "--format", format, image])
            try #require(result.status.isSuccess, "\(image): \(result.standardError)")
            return String(result.standardOutput.filter { $0 != "\n" })
        }
        func shell(_ image: String, _ script: String) throws -> String { try Self.shell(engine, image, script) }
        #expect(try inspect(minimal, #"{{index .Config.Labels "babelfish-dev.runtime"}}"#) == "minimal")
        #expect(try inspect(distribution, #"{{index .Config.Labels "babelfish-dev.runtime"}}"#) == "distribution")
        #expect(try inspect(minimal, "{{len .RootFS.Layers}}") == "1", "the minimal image is one layer")
        #expect(
            try inspect(minimal, "{{.Config.User}} {{json .Config.Entrypoint}} {{json .Config.Cmd}}")
                == #"999:999 ["bbf-entrypoint"] ["postgres"]"#)
        #expect(
            try inspect(minimal, "{{json .Config.Healthcheck.Test}} {{json .Config.ExposedPorts}}")
                == inspect(distribution, "{{json .Config.Healthcheck.Test}} {{json .Config.ExposedPorts}}"))
        let minimalSize = try #require(Int(try inspect(minimal, "{{.Size}}")))
        let distributionSize = try #require(Int(try inspect(distribution, "{{.Size}}")))
        #expect(minimalSize < distributionSize, "minimal \(minimalSize) B against distribution \(distributionSize) B")
        Console.error("engine image: minimal \(minimalSize / 1_000_000) MB, distribution \(distributionSize / 1_000_000) MB")

        let tools = try shell(
            minimal,
            "for tool in apt-get dpkg perl; do command -v $tool || echo no-$tool; done; "
                + "bash -c 'echo bash-runs'; ls /opt/babelfish/bin/psql; ps; psql --version; postgres --version; "
                + "grep -c '^Package: ' /var/lib/dpkg/status; grep -x 'Package: libc6' /var/lib/dpkg/status; "
                + "stat -c '%n %u:%g %a' /var/lib/babelfish/data /var/run/postgresql /tmp /docker-entrypoint-initdb.d; "
                + "printf 'SELECT 1;' | gzip | gzip -dc; printf x | xz | xz -dc; printf y | zstd -q | zstd -dcq; echo; tar --version | head -n 1; "
                + "id; echo \"$PATH\"")
        for expected in [
            "no-apt-get", "no-dpkg", "no-perl", "bash-runs", "/opt/babelfish/bin/psql", "psql (PostgreSQL)", "postgres (PostgreSQL)",
            "Package: libc6", "/var/lib/babelfish/data 999:999 700", "tar (GNU tar)", "/var/run/postgresql 999:999 3775", "/tmp 0:0 1777",
            "SELECT 1;xy",
            "uid=999(postgres) gid=999(postgres)", "/opt/babelfish/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ] {
            #expect(tools.contains(expected), "the minimal image: \(expected) in\n\(tools)")
        }
        #expect(
            try shell(distribution, "apt-get --version | head -n 1; postgres --version").contains("apt "),
            "the distribution runtime keeps apt for images built on it")
        #expect(
            try shell(minimal, "postgres --version") == shell(distribution, "postgres --version"), "the same engine on both")
    }
}
