import BBFBuild
import BBFSystem
import Testing

@Suite("bbf build planning")
struct BuildPlanTests {
    static let docker = ContainerEngine(kind: .docker, path: "/usr/bin/docker")
    static let podman = ContainerEngine(kind: .podman, path: "/usr/bin/podman")
    static let layout = RepositoryLayout(root: "/repo")

    static func plan(
        _ configure: (inout BuildOptions) -> Void, engine: ContainerEngine = docker, host: String = "amd64"
    ) throws -> BuildPlan {
        var options = BuildOptions()
        configure(&options)
        return try BuildPlanner.plan(
            options, versions: try TestSupport.fixture(), layout: layout, engine: engine, hostArchitecture: host, revision: "abc123")
    }

    @Test("the default line is tagged <repo>:<pg>-<babelfish>, <repo>:<line> and latest, built with BuildKit and plain progress")
    func defaultLine() throws {
        let plan = try Self.plan { _ in }
        #expect(plan.line == "5.2")
        #expect(plan.dockerfile == "docker/5.2/Dockerfile")
        #expect(plan.tags == ["example/babelfish:17.5-5.2.0", "example/babelfish:5.2", "example/babelfish:latest"])
        #expect(plan.environment == ["DOCKER_BUILDKIT": "1"])
        #expect(
            plan.command == [
                "/usr/bin/docker", "build", "--progress=plain", "--file", "/repo/.build/bbf/context/5.2-debian-12-docker/Dockerfile",
                "--build-arg", "SOURCE_REVISION=abc123", "--tag", "example/babelfish:17.5-5.2.0", "--tag", "example/babelfish:5.2",
                "--tag", "example/babelfish:latest", "/repo/.build/bbf/context/5.2-debian-12-docker",
            ])
        #expect(plan.warnings.count == 1, "the release tarball has no pinned sha256")
        #expect(
            plan.warnings.first?.hasPrefix(
                "line 5.2 (the default line; --line picks another of 4.2, 5.2) is built from downloads that cannot be verified: no sha256 is pinned for BABEL_5_2_0__PG_17_5.tar.gz (versions.json lines[\"5.2\"].checksums)."
            ) == true, "\(plan.warnings)")
        let chosen = try Self.plan { $0.line = "4.2" }
        #expect(chosen.warnings.first?.hasPrefix("line 4.2 is built from downloads that cannot be verified") == true)
        #expect(plan.shellCommand.hasPrefix("DOCKER_BUILDKIT=1 /usr/bin/docker build --progress=plain --file "))
    }

    @Test("air-gapped, prebuilt entrypoint, base override, other distribution, podman: the exact command")
    func everything() throws {
        let plan = try Self.plan(
            { options in
                options.line = "4.2"
                options.distribution = "ubuntu-24.04"
                options.sourcesDirectory = "/opt/src"
                options.entrypointBinaries = ["arm64=/bin/arm/bbf-entrypoint", "amd64=/bin/x/bbf-entrypoint"]
                options.platform = .arm64
                options.baseOverrides = ImageOverrides(build: "ubuntu:24.04", runtime: "ubuntu:24.04")
                options.extraTags = ["nightly", "registry.example.com/bbf:4.2-test"]
                options.noCache = true
            }, engine: Self.podman)
        #expect(plan.dockerfile == "docker/4.2/ubuntu-24.04.Dockerfile")
        #expect(
            plan.entrypoints == [
                StagedEntrypoint(architecture: "arm64", path: "/bin/arm/bbf-entrypoint"),
                StagedEntrypoint(architecture: "amd64", path: "/bin/x/bbf-entrypoint"),
            ])
        #expect(
            plan.sources.map(\.path) == [
                "/opt/src/engine-BABEL_4_2_0__PG_16_3.tar.gz", "/opt/src/extensions-BABEL_4_2_0.tar.gz", "/opt/src/antlr4-4.9.3.tar.gz",
                "/opt/src/pg_hint_plan-REL16_1_6_0.tar.gz",
            ], "ubuntu-24.04 has spatialTypes off in the fixture: no PostGIS archive to stage")
        #expect(plan.environment.isEmpty)
        #expect(plan.warnings.isEmpty, "air-gapped archives are verified while staging")
        #expect(
            plan.shellCommand == """
                /usr/bin/podman build --format docker --layers --file /repo/.build/bbf/context/4.2-ubuntu-24.04-podman/Dockerfile \
                --build-arg BUILD_IMAGE=ubuntu:24.04 --build-arg RUNTIME_IMAGE=ubuntu:24.04 --build-arg SOURCES_FROM=context \
                --build-arg ENTRYPOINT_FROM=context --build-arg SOURCE_REVISION=abc123 --platform linux/arm64 --no-cache \
                --tag example/babelfish:16.3-4.2.0-ubuntu-24.04 --tag example/babelfish:4.2-ubuntu-24.04 --tag example/babelfish:nightly \
                --tag registry.example.com/bbf:4.2-test /repo/.build/bbf/context/4.2-ubuntu-24.04-podman
                """)
    }

    @Test("--target pipeline builds the pipeline stage, tagged in <repository>-pipeline, with its own context and a prebuilt bbf")
    func pipeline() throws {
        let plan = try Self.plan { options in
            options.target = .pipeline
            options.line = "4.2"
            options.sourcesDirectory = "/opt/src"
            options.entrypointBinaries = ["/bin/bbf-entrypoint"]
            options.bbfBinaries = ["amd64=/bin/bbf"]
            options.extraTags = ["nightly"]
        }
        #expect(plan.target == .pipeline)
        #expect(
            plan.tags == ["example/babelfish-pipeline:16.3-4.2.0", "example/babelfish-pipeline:4.2", "example/babelfish-pipeline:nightly"])
        #expect(plan.bbfBinaries == [StagedBinary(architecture: "amd64", path: "/bin/bbf")])
        #expect(
            plan.shellCommand == """
                DOCKER_BUILDKIT=1 /usr/bin/docker build --progress=plain --file /repo/.build/bbf/context/4.2-debian-12-docker-pipeline/Dockerfile \
                --target pipeline --build-arg SOURCES_FROM=context --build-arg ENTRYPOINT_FROM=context --build-arg BBF_FROM=context \
                --build-arg SOURCE_REVISION=abc123 --tag example/babelfish-pipeline:16.3-4.2.0 --tag example/babelfish-pipeline:4.2 \
                --tag example/babelfish-pipeline:nightly /repo/.build/bbf/context/4.2-debian-12-docker-pipeline
                """)
        let latest = try Self.plan {
            $0.target = .pipeline; $0.repository = "registry.example.com/team/bbf"
        }
        #expect(
            latest.tags == [
                "registry.example.com/team/bbf-pipeline:17.5-5.2.0", "registry.example.com/team/bbf-pipeline:5.2",
                "registry.example.com/team/bbf-pipeline:latest",
            ])
        #expect(!latest.command.contains("BBF_FROM=context"), "without --bbf-binary, bbf is compiled in its Swift stage")
        let engine = try Self.plan { $0.line = "4.2" }
        #expect(!engine.command.contains("--target"), "the engine is the default (last) stage")
        #expect(engine.contextDirectory == "/repo/.build/bbf/context/4.2-debian-12-docker")
        #expect(ImageTarget.allCases.map(\.rawValue) == ["engine", "pipeline", "anchor-like"])
    }

    @Test("--runtime passes RUNTIME_FROM for the engine image only; without it the Dockerfile's default (minimal) holds")
    func runtime() throws {
        let minimal = try Self.plan { $0.line = "4.2" }
        #expect(!minimal.command.contains { $0.hasPrefix("RUNTIME_FROM=") })
        let distribution = try Self.plan {
            $0.line = "4.2"; $0.runtime = .distribution
        }
        #expect(distribution.buildArguments.contains(BuildArgument(name: "RUNTIME_FROM", value: "distribution")))
        #expect(distribution.command.contains("RUNTIME_FROM=distribution"))
        #expect(DockerfileRenderer.Runtime.allCases.map(\.rawValue) == ["minimal", "distribution"])
        #expect(throws: BuildToolError.self) {
            try Self.plan {
                $0.target = .pipeline; $0.runtime = .minimal
            }
        }
        let error = #expect(throws: BuildToolError.self) {
            try Self.plan {
                $0.target = .pipeline; $0.runtime = .distribution
            }
        }
        #expect(
            error.map { "\($0)" }?.contains("--runtime distribution: only the engine image has a choice of runtime") == true,
            "\(String(describing: error))")
    }

    @Test("a bare --entrypoint-binary is for the architecture being built")
    func entrypointArchitecture() throws {
        let host = try Self.plan({ $0.entrypointBinaries = ["/e"] }, host: "arm64")
        #expect(host.entrypoints == [StagedEntrypoint(architecture: "arm64", path: "/e")])
        let cross = try Self.plan(
            {
                $0.entrypointBinaries = ["/e"]; $0.platform = .amd64
            }, host: "arm64")
        #expect(cross.entrypoints == [StagedEntrypoint(architecture: "amd64", path: "/e")])
    }

    @Test(
        "bad build options are refused with a message naming the flag",
        arguments: [
            (["--entrypoint-twice"], "two binaries for amd64"),
            (["--entrypoint-wrong-arch"], "no binary for amd64"),
            (["--tag"], "--tag Bad:Tag"),
            (["--line"], "there is no line \"3.1\""),
            (["--distribution"], "there is no distribution \"fedora-40\""),
            (["--repository"], "--repository UPPER"),
            (["--bbf-engine"], "--bbf-binary: only the pipeline image holds bbf"),
            (["--bbf-twice"], "--bbf-binary: two binaries for amd64"),
            (["--bbf-wrong-arch"], "--bbf-binary: no binary for amd64"),
        ])
    func refusals(_ flag: [String], _ message: String) {
        let error = #expect(throws: BuildToolError.self) {
            try Self.plan { options in
                switch flag[0] {
                case "--entrypoint-twice": options.entrypointBinaries = ["/a", "amd64=/b"]
                case "--entrypoint-wrong-arch": options.entrypointBinaries = ["arm64=/a"]
                case "--tag": options.extraTags = ["Bad:Tag"]
                case "--line": options.line = "3.1"
                case "--distribution": options.distribution = "fedora-40"
                case "--bbf-engine": options.bbfBinaries = ["/b"]
                case "--bbf-twice":
                    options.target = .pipeline
                    options.bbfBinaries = ["/a", "amd64=/b"]
                case "--bbf-wrong-arch":
                    options.target = .pipeline
                    options.bbfBinaries = ["arm64=/a"]
                default: options.repository = "UPPER"
                }
            }
        }
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
    }

    @Test("the build refuses a drifted Dockerfile instead of building something else than what is committed")
    func refusesDrift() throws {
        let files = MemoryRepositoryFiles([Self.layout.versionsPath: Fixtures.versionsJSON])
        let tool = Tool(layout: Self.layout, files: files)
        _ = try tool.writeDockerfiles(line: nil)
        _ = try tool.planBuild(BuildOptions(), engine: Self.docker, hostArchitecture: "amd64", revision: "r")
        files.files["/repo/docker/5.2/Dockerfile"]?.append("# local edit\n")
        let error = #expect(throws: BuildToolError.self) {
            try tool.planBuild(BuildOptions(), engine: Self.docker, hostArchitecture: "amd64", revision: "r")
        }
        #expect(error?.code == .drift)
    }

    @Test("platforms: linux/amd64 and linux/arm64 and their aliases, nothing else")
    func platforms() {
        #expect(TargetPlatform.allCases.map(\.rawValue) == ["linux/amd64", "linux/arm64"])
        for (text, platform) in [
            ("linux/amd64", TargetPlatform.amd64), ("linux/x86_64", .amd64), ("linux/arm64", .arm64), ("linux/arm64/v8", .arm64),
            ("linux/aarch64", .arm64),
        ] {
            #expect(TargetPlatform(parsing: text) == platform, "\(text)")
        }
        for bad in ["linux/s390x", "linux/amd64,linux/arm64", "darwin/arm64", "amd64", "linux/amd64/v2", ""] {
            #expect(TargetPlatform(parsing: bad) == nil, "\(bad)")
        }
        #expect(TargetPlatform.arm64.architecture == "arm64")
    }

    @Test("the build summary lists the image's layers from `history`, sizes in MB, without BuildKit's noise")
    func layerSummary() {
        let history =
            "98756920\tCOPY /out/bbf /usr/local/bin/bbf # buildkit\n0\tUSER 999:999\n"
            + "244000000\tRUN |1 DEBIAN_FRONTEND=noninteractive /bin/sh -c set -eux; apt-get update;     apt-get install awscli # buildkit\n"
            + "512345\tCOPY /out/bin/ /opt/babelfish/bin/ # buildkit\n117000000\t\nnot a size\tRUN x\n"
        let layers = ImageLayerSize.parse(history: history)
        #expect(layers.map(\.bytes) == [98_756_920, 244_000_000, 512_345, 117_000_000], "empty layers and bad lines are left out")
        #expect(
            layers.map(\.summary) == [
                "    99 MB  COPY /out/bbf /usr/local/bin/bbf", "   244 MB  RUN set -eux; apt-get update; apt-get install awscli",
                "   0.5 MB  COPY /out/bin/ /opt/babelfish/bin/", "   117 MB  (base image)",
            ])
    }

    @Test(
        "--compare-anchor: the ratio over the whole images and over what each adds to the base layers they share, or, for a minimal image, against the anchor-like without its base"
    )
    func sizeComparison() {
        let base = [ImageLayerSize(bytes: 117_000_000, createdBy: "")]
        let engine = [
            ImageLayerSize(bytes: 20_000_000, createdBy: "RUN make-template"),
            ImageLayerSize(bytes: 41_000_000, createdBy: "COPY /opt/babelfish"),
            ImageLayerSize(bytes: 90_000_000, createdBy: "RUN apt-get install"),
        ]
        let anchor = [
            ImageLayerSize(bytes: 150_000_000, createdBy: "COPY /opt/babelfish"),
            ImageLayerSize(bytes: 133_000_000, createdBy: "RUN apt-get install"),
        ]
        let comparison = ImageSizeComparison(
            engine: 268_000_000, engineLayers: engine + base, anchorLike: 400_000_000, anchorLayers: anchor + base)
        #expect(comparison.sharedBase == 117_000_000, "only the identical oldest layers count as the shared base")
        #expect(abs(comparison.ratio - 0.67) < 0.001)
        #expect(abs(comparison.ratioAboveBase - 151.0 / 283.0) < 0.0001)
        #expect(
            comparison.lines == [
                "size comparison (same sources; the anchor-like compiled and packaged as docker-babelfishpg does, on the runtime base image):",
                "  engine image        268 MB",
                "  anchor-like image   400 MB",
                "  engine / anchor-like: 0.67×; above the shared base image (117 MB): 151 MB vs 283 MB, 0.53×",
            ])
        let unrelated = ImageSizeComparison(engine: 10, engineLayers: engine, anchorLike: 20, anchorLayers: anchor)
        #expect(unrelated.sharedBase == 0, "different oldest layers: no shared base")
        let minimal = ImageSizeComparison(
            engine: 160_000_000, engineLayers: [ImageLayerSize(bytes: 160_000_000, createdBy: "COPY /rootfs/ /")], anchorLike: 400_000_000,
            anchorLayers: anchor + base)
        #expect(minimal.sharedBase == 0 && minimal.anchorBase == 117_000_000)
        #expect(
            minimal.lines.last
                == "  engine / anchor-like: 0.40×; they share no layer (a minimal engine image has no base image); against the anchor-like without its base image's 117 MB: 160 MB vs 283 MB, 0.57×"
        )
        #expect(ImageSizeComparison(engine: 1, engineLayers: [], anchorLike: 0, anchorLayers: []).ratio == 0, "no division by zero")
    }

    @Test("ELF headers tell amd64 from arm64")
    func elf() {
        var header = [UInt8](repeating: 0, count: 20)
        header[0...5] = [0x7F, 0x45, 0x4C, 0x46, 2, 1]
        header[18] = 62
        #expect(ELFHeader.architecture(header) == "amd64")
        header[18] = 183
        #expect(ELFHeader.architecture(header) == "arm64")
        #expect(ELFHeader.architecture(Array("#!/bin/sh\necho hello\n".utf8)) == nil)
    }

    @Test("the container engine is the one asked for, else docker, else podman")
    func engineChoice() throws {
        let explicit = try ContainerEngine.find(requested: "/bin/sh", environment: ["PATH": "/nonexistent"])
        #expect(explicit == ContainerEngine(kind: .docker, path: "/bin/sh"))
        let error = #expect(throws: BuildToolError.self) { try ContainerEngine.find(requested: nil, environment: ["PATH": "/nonexistent"]) }
        #expect(error?.message.contains("neither docker nor podman") == true)
        #expect(throws: BuildToolError.self) { try ContainerEngine.find(requested: "no-such-engine", environment: ["PATH": "/bin"]) }
        let fromEnvironment = try ContainerEngine.find(
            requested: nil, environment: ["PATH": "/nonexistent", "BBF_CONTAINER_ENGINE": "/bin/sh"])
        #expect(fromEnvironment.path == "/bin/sh", "BBF_CONTAINER_ENGINE when --engine is not given")
    }

    @Test(
        "a docker that is podman's shim (podman-docker) builds as podman",
        .enabled(if: TestSupport.which("podman") != nil, "needs podman (apt-get install podman)"))
    func podmanShim() throws {
        let podman = try #require(TestSupport.which("podman"))
        let directory = try FileSystem.makeTemporaryDirectory(prefix: "bbf-shim-")
        defer { try? FileSystem.removeTree(directory) }
        // podman-docker's /usr/bin/docker runs podman with the same arguments.
        try FileSystem.writeAtomically(directory + "/docker", "#!/bin/sh\nexec \(podman) \"$@\"\n", permissions: 0o755)
        let engine = try ContainerEngine.find(requested: nil, environment: ["PATH": directory])
        #expect(engine == ContainerEngine(kind: .podman, path: directory + "/docker"))
    }
}
