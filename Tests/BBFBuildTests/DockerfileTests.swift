import BBFBuild
import Testing

@Suite("generated Dockerfiles")
struct DockerfileTests {
    static let targets: [DockerfileTarget] = (try? TestSupport.realVersions().dockerfileTargets) ?? []

    @Test("there is a committed Dockerfile for each line and distribution of versions.json, and no other (no list to edit for a new line)")
    func targetList() throws {
        let versions = try TestSupport.realVersions()
        #expect(!Self.targets.isEmpty, "the golden tests below would run no case")
        #expect(Self.targets.count == versions.lineNames.count * versions.distributionNames.count)
        for name in versions.lineNames {
            let line = try versions.line(named: name)
            let own = Self.targets.filter { $0.line == name }
            #expect(own.map(\.distribution).sorted() == versions.distributionNames, "line \(name): one file per distribution")
            #expect(own.first?.path == "docker/\(name)/Dockerfile" && own.first?.distribution == line.distribution)
            for target in own.dropFirst() {
                #expect(target.path == "docker/\(name)/\(target.distribution).Dockerfile")
            }
            let committed = try #require(
                try LiveRepositoryFiles().list(TestSupport.layout.path("docker/\(name)")), "docker/\(name)/ is missing")
            #expect(
                committed.filter { $0 == "Dockerfile" || $0.hasSuffix(".Dockerfile") }.map { "docker/\(name)/\($0)" }.sorted()
                    == own.map(\.path).sorted())
        }
    }

    @Test("golden: each committed Dockerfile is exactly what versions.json renders", arguments: targets)
    func golden(_ target: DockerfileTarget) throws {
        let versions = try TestSupport.realVersions()
        let rendered = try DockerfileRenderer(versions: versions, line: target.line, distribution: target.distribution).render()
        let committed = try #require(try LiveRepositoryFiles().read(TestSupport.layout.path(target.path)), "\(target.path) is missing")
        let diff = UnifiedDiff.diff(old: committed, new: rendered, oldName: target.path, newName: "rendered")
        #expect(diff.isEmpty, "regenerate with `swift run bbf dockerfile`:\n\(diff)")
    }

    @Test("each committed Dockerfile has the required shape and none of the unportable or log-hiding constructs", arguments: targets)
    func shape(_ target: DockerfileTarget) throws {
        let text = try #require(try LiveRepositoryFiles().read(TestSupport.layout.path(target.path)))
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("# GENERATED — DO NOT EDIT.") == true)
        #expect(!lines.contains { $0.hasPrefix("# syntax") || $0.hasPrefix("#syntax") })
        let code = lines.filter { !$0.hasPrefix("#") }.joined(separator: "\n")
        #expect(!code.contains("<<"), "no heredocs")
        #expect(!code.contains("--link"))
        #expect(!code.contains("ADD "))
        #expect(!code.contains("2>error") && !code.contains("> /dev/null") && !code.contains(">/dev/null"), "build logs are never hidden")
        #expect(!lines.contains { $0.hasPrefix("VOLUME") }, "no VOLUME: data-loaded images keep their data")
        let stages = lines.filter { $0.hasPrefix("FROM ") }.compactMap { $0.split(separator: " ").last.map(String.init) }
        #expect(stages == Self.stages)
        #expect(
            Array(lines.suffix(3)) == [
                "FROM engine-${RUNTIME_FROM} AS runtime", "ARG SOURCE_REVISION=unknown",
                #"LABEL org.opencontainers.image.revision="${SOURCE_REVISION}""#,
            ], "the default target is the engine image and its revision label")
        let runtime = lines.drop { !$0.hasPrefix("FROM ${RUNTIME_IMAGE} AS engine-runtime") }.prefix { !$0.hasPrefix("# ---") }
        for required in [
            "EXPOSE 5432 1433", "STOPSIGNAL SIGINT", "USER 999:999", #"ENTRYPOINT ["bbf-entrypoint"]"#, #"CMD ["postgres"]"#,
            #"HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["bbf-entrypoint", "healthcheck"]"#,
            "COPY --from=install /opt/babelfish /opt/babelfish",
            "COPY --from=entrypoint-stripped /out/bbf-entrypoint /usr/local/bin/bbf-entrypoint",
            "    PGDATA=/var/lib/babelfish/data \\",
        ] {
            #expect(runtime.contains(required), "runtime stage lacks \(required)")
        }
        #expect(
            !runtime.contains { $0.contains("SOURCE_REVISION") },
            "no revision in engine-runtime: a new commit would rerun every pipeline step on it")
        // The template cluster is made in the runtime stage itself, on the installed engine and
        // entrypoint, after PATH and LANG are set (a first boot compares its locale with the template's)
        // and before USER (make-template drops to postgres itself).
        let templateLine = runtime.firstIndex { $0.contains("/usr/local/bin/bbf-entrypoint make-template /opt/babelfish/template") }
        let environmentLine = runtime.firstIndex { $0.hasPrefix("ENV PATH=/opt/babelfish/bin:$PATH") }
        let userLine = runtime.firstIndex { $0 == "USER 999:999" }
        let installLine = runtime.firstIndex { $0 == "COPY --from=install /opt/babelfish /opt/babelfish" }
        #expect(templateLine != nil, "the runtime stage makes no template cluster")
        if let templateLine, let environmentLine, let userLine, let installLine {
            #expect(installLine < templateLine && environmentLine < templateLine && templateLine < userLine)
        }
        #expect(ImageLayout.templateDirectory == "/opt/babelfish/template")
        #expect(
            !runtime.contains { $0.contains("build-essential") || $0.contains("-dev ") || $0.hasSuffix("-dev") || $0.contains("openjdk") },
            "no compilers, -dev packages or Java at run time")
        #expect(code.contains("--with-openssl") && !code.contains("--with-extra-version"))
        #expect(text.contains("make -C contrib install"), "contrib (uuid-ossp) is built")
        let swiftStage = lines.drop { !$0.hasPrefix("FROM ${SWIFT_IMAGE} AS entrypoint-swift") }.prefix { !$0.hasPrefix("# ---") }
        #expect(
            swiftStage.filter { $0.hasPrefix("COPY ") }
                == ["COPY docker/entrypoint/Package.swift Package.swift"]
                + EntrypointPackage.targets.map { "COPY Sources/\($0)/ Sources/\($0)/" },
            "the Swift stage copies bbf-entrypoint's own package and nothing else")
        #expect(swiftStage.contains { $0.contains("swift build -c release --static-swift-stdlib --disable-automatic-resolution") })
        let bbfStage = lines.drop { !$0.hasPrefix("FROM ${SWIFT_IMAGE} AS bbf-swift") }.prefix { !$0.hasPrefix("# ---") }
        #expect(
            bbfStage.filter { $0.hasPrefix("COPY ") } == [
                "COPY Package.swift Package.swift", "COPY Sources/ Sources/", "COPY Tests/ Tests/",
            ])

        let pipeline = lines.drop { !$0.hasPrefix("FROM engine-runtime AS pipeline") }.prefix { !$0.hasPrefix("# ---") }
        for required in [
            "USER 0:0", "COPY --from=dump-tools /out/bin/ /opt/babelfish/bin/", "COPY --from=bbf /out/bbf /usr/local/bin/bbf",
            "ENV HOME=/work \\", "    TMPDIR=/work/tmp", "WORKDIR /work", "HEALTHCHECK NONE", "STOPSIGNAL SIGTERM", "USER 999:999",
            #"ENTRYPOINT ["bbf"]"#, #"CMD ["--help"]"#, #"      babelfish-dev.image="pipeline""#,
        ] {
            #expect(pipeline.contains(required), "pipeline stage lacks \(required)")
        }
        #expect(pipeline.last == #"CMD ["--help"]"#)
        #expect(pipeline.contains(#"LABEL org.opencontainers.image.revision="${SOURCE_REVISION}""#))
        #expect(pipeline.filter { $0.hasPrefix("USER ") }.last == "USER 999:999", "the pipeline runs unprivileged")
        #expect(
            !pipeline.contains {
                $0.contains("build-essential") || $0.hasSuffix("-dev \\") || $0.hasSuffix("-dev; \\") || $0.contains("openjdk")
            },
            "no compilers or -dev packages in the pipeline image")
        let check = pipeline.drop { !$0.hasPrefix("RUN set -eu; fail()") }.prefix { $0.hasPrefix("RUN") || $0.hasPrefix("    ") }
        for tool in ["bbf_dump", "bbf_dumpall", "pg_restore", "psql"] {
            #expect(check.contains("    same /opt/babelfish/bin/\(tool); \\"), "the pipeline checks \(tool)'s version")
        }
        #expect(check.contains { $0.contains("ldd /opt/babelfish/bin/bbf_dump /opt/babelfish/bin/bbf_dumpall /usr/local/bin/bbf") })
        #expect(check.contains("    /usr/local/bin/bbf --help; \\"))
    }

    @Test(
        "the engine image is minimal by default: engine-rootfs's files in one layer on no base image, with engine-runtime's configuration; RUNTIME_FROM=distribution is engine-runtime",
        arguments: targets)
    func minimalRuntime(_ target: DockerfileTarget) throws {
        let text = try #require(try LiveRepositoryFiles().read(TestSupport.layout.path(target.path)))
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains("ARG RUNTIME_FROM=minimal"), "minimal is the default")
        func stage(_ from: String) -> [String] {
            Array(lines.drop { $0 != from }.prefix { !$0.hasPrefix("# ---") })
        }
        let rootfs = stage("FROM engine-runtime AS engine-rootfs")
        let rootfsText = rootfs.joined(separator: "\n")
        for required in [
            "        busybox; \\", "case \"$applet\" in dpkg|dpkg-deb|rpm|rpm2cpio) continue;; esac;",
            "keep /opt/babelfish /usr/local/bin/bbf-entrypoint /var/lib/babelfish /var/run/postgresql",
            "-exec ldd {} + > /tmp/ldd 2>&1", "ldconfig -r \"$root\"",
            "xargs dpkg-query --status < /tmp/packages > \"$root/var/lib/dpkg/status\"",
            "chroot \"$root\" \"$loader\" --list \"${file#\"$root\"}\"", "chroot \"$root\" /opt/babelfish/bin/postgres --version",
            "/usr/lib/locale",
            "for gconv in /usr/lib/*/gconv;",
            "for module in ANSI_X3.110 CP1252 ISO8859-1 ISO8859-15 UNICODE UTF-16 UTF-32 UTF-7 IBM437 IBM850 IBM874 CP932 GBK UHC BIG5 CP1250 CP1251 CP1253 CP1254 CP1255 CP1256 CP1257 CP1258;",
            "for program in bash gzip xz zstd tar busybox;",
        ] {
            #expect(rootfsText.contains(required), "engine-rootfs lacks \(required)")
        }
        let spatial = try TestSupport.realVersions().distribution(named: target.distribution).spatialTypes
        #expect(rootfsText.contains("/usr/share/proj") == spatial, "PROJ's data only with PostGIS")

        let minimal = stage("FROM scratch AS engine-minimal")
        #expect(minimal.count > 2, "no engine-minimal stage")
        #expect(
            minimal.filter { $0.hasPrefix("RUN ") || $0.hasPrefix("COPY ") || $0.hasPrefix("ADD ") }
                == ["COPY --from=engine-rootfs /rootfs/ /"], "one layer")
        #expect(minimal.contains("ENV PATH=/opt/babelfish/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\"))
        #expect(minimal.contains("      babelfish-dev.runtime=\"minimal\""))
        #expect(!minimal.contains { $0.contains("base.name") }, "no base image to name")
        let runtime = stage("FROM ${RUNTIME_IMAGE} AS engine-runtime")
        #expect(runtime.contains("      babelfish-dev.runtime=\"distribution\""))
        #expect(runtime.contains("      org.opencontainers.image.base.name=\"${RUNTIME_IMAGE}\" \\"))
        let configuration = ["EXPOSE", "STOPSIGNAL", "HEALTHCHECK", "USER", "ENTRYPOINT", "CMD", "    PGDATA=", "    LANG="]
        func settings(_ lines: [String]) -> [String] {
            lines.filter { line in configuration.contains { line.hasPrefix($0) } }
        }
        #expect(settings(minimal) == settings(runtime).filter { $0 != "USER 0:0" }, "the same configuration on both runtimes")
        #expect(stage("FROM engine-runtime AS engine-distribution") == ["FROM engine-runtime AS engine-distribution"])
        #expect(
            lines.contains("FROM engine-runtime AS pipeline"), "the pipeline image stays on the distribution's image (it installs packages)"
        )
    }

    /// The stages of the committed files (every distribution there has spatialTypes on and every line cultures).
    static let stages = [
        "builder", "archives-download", "archives-context", "archives", "antlr", "sources", "engine", "extensions", "pg-hint-plan",
        "postgis", "install", "entrypoint-swift", "entrypoint-context", "entrypoint", "entrypoint-stripped", "locales", "engine-runtime",
        "engine-rootfs", "engine-minimal", "engine-distribution", "dump-tools", "bbf-swift", "bbf-context", "bbf", "pipeline",
        "anchor-engine", "anchor-extensions", "anchor-like", "runtime",
    ]

    @Test("the dump tools are the engine's pg_dump, renamed as BabelfishDump.spec does, and must report the line's version")
    func dumpTools() throws {
        let text = try DockerfileRenderer(versions: try TestSupport.fixture(), line: "4.2").render()
        let stage = try #require(text.split(separator: "FROM engine AS dump-tools\n").last?.split(separator: "\n# ---").first)
        for expected in [
            "WORKDIR /src/engine/src/bin\nRUN set -eux; rm -rf bbf_dump; \\\n    cp -a pg_dump bbf_dump; \\\n    make -C bbf_dump clean",
            "sed -i 's/pg_dump/bbf_dump/g' pg_dumpall.c",
            "sed -i 's/pg_dump (PostgreSQL)/bbf_dump (pg_dump compatible with Babelfish for PostgreSQL)/g' pg_dump.c",
            "sed -i 's/bbf_dumpall (PostgreSQL)/bbf_dumpall (pg_dumpall compatible with Babelfish for PostgreSQL)/g' pg_dumpall.c",
            #"sed -i 's|PACKAGE_NAME|"Babelfish"|g' pg_dump.c pg_dumpall.c"#,
            #"grep -q 'find_other_exec(argv\[0\], "bbf_dump"' pg_dumpall.c"#,
            "make -C /src/engine/src/backend generated-headers",
            "NO_GENERATED_HEADERS=1 make -j\"$(nproc)\" pg_dump pg_dumpall",
            "install -D -m 0755 pg_dump /out/bin/bbf_dump",
            "install -D -m 0755 pg_dumpall /out/bin/bbf_dumpall",
            "expect bbf_dump 'bbf_dump (pg_dump compatible with Babelfish for PostgreSQL) 16.3'",
            "expect bbf_dumpall 'bbf_dumpall (pg_dumpall compatible with Babelfish for PostgreSQL) 16.3'",
        ] {
            #expect(stage.contains(expected), "dump-tools lacks \(expected)")
        }
        let sed = try #require(stage.firstRange(of: "sed -i 's/pg_dump/bbf_dump/g'")?.lowerBound)
        let copy = try #require(stage.firstRange(of: "cp -a pg_dump bbf_dump")?.lowerBound)
        let make = try #require(stage.firstRange(of: "make -j")?.lowerBound)
        #expect(copy < sed && sed < make, "copy, then edit, then build")
        let newer = try DockerfileRenderer(versions: try TestSupport.fixture(), line: "5.2").render()
        #expect(newer.contains("expect bbf_dump 'bbf_dump (pg_dump compatible with Babelfish for PostgreSQL) 17.5'"))
        #expect(newer.contains("same() { answer=\"$(\"$1\" --version)\"; echo \"$answer\"; case \"$answer\" in *\" 17.5\") ;;"))
    }

    @Test("bbf's Swift stage installs entrypointBuild and bbfBuild; the pipeline installs packages.pipeline and checks what they bring")
    func pipelinePackages() throws {
        let versions = try TestSupport.fixture()
        let debian = try DockerfileRenderer(versions: versions, line: "4.2").render()
        #expect(debian.contains("ARG BBF_FROM=swift"))
        #expect(debian.contains("--mount=type=cache,id=bbf-swiftpm-bbf-debian-12,target=/build/.build,sharing=locked"))
        #expect(debian.contains("swift build -c release --static-swift-stdlib --product bbf;"))
        #expect(debian.contains("FROM bbf-${BBF_FROM} AS bbf"))
        #expect(debian.contains("apt-get install --yes --no-install-recommends \\\n        libpq-dev \\\n        zlib1g-dev; \\"))
        #expect(
            debian.contains(
                "apt-get install --yes --no-install-recommends \\\n        awscli \\\n        ca-certificates \\\n        skopeo; \\"))
        #expect(debian.contains("    aws --version; \\\n    skopeo --version; \\"))
        #expect(debian.contains("resolves and downloads bbf's Swift packages"), "the header says the default bbf build needs network")
        let noble = try DockerfileRenderer(versions: versions, line: "4.2", distribution: "ubuntu-24.04").render()
        #expect(!noble.contains("aws --version"), "no awscli in that list: nothing to check")
        #expect(noble.contains("# distributions.ubuntu-24.04.packages.pipeline has no awscli"))
        #expect(noble.contains("apt-get install --yes --no-install-recommends \\\n        libpq-dev; \\"), "an empty bbfBuild adds nothing")
    }

    @Test("the extensions are built in the order money, common, tds, tsql, with tsql's antlr directory first")
    func extensionOrder() throws {
        let text = try DockerfileRenderer(versions: try TestSupport.fixture(), line: "4.2").render()
        let order = [
            "make -C babelfishpg_money", "make -C babelfishpg_common", "make -C babelfishpg_tds",
            "WORKDIR /src/extensions/contrib/babelfishpg_tsql/antlr", "make -C babelfishpg_tsql",
        ]
        let positions = order.compactMap { text.firstRange(of: $0)?.lowerBound }
        #expect(positions.count == order.count)
        #expect(positions == positions.sorted())
        #expect(text.contains("COPT='-Wno-error=maybe-uninitialized -fcommon'"))
    }

    @Test("versions, tags and checksums come from versions.json, not from the template")
    func versionsFlowThrough() throws {
        var versions = try TestSupport.fixture()
        versions.lines["5.2"]?.postgres = PostgresVersion(major: 17, minor: 6)
        versions.lines["5.2"]?.checksums = [
            "BABEL_5_2_0__PG_17_6.tar.gz": Checksum(), "antlr4-4.13.2.tar.gz": Checksum(sha256: String(repeating: "3", count: 64)),
            "pg_hint_plan-REL17_1_7_0.tar.gz": Checksum(sha256: String(repeating: "6", count: 64)),
            "postgis-3.5.2.tar.gz": Checksum(sha256: String(repeating: "7", count: 64)),
        ]
        let text = try DockerfileRenderer(versions: versions, line: "5.2").render()
        #expect(text.contains("https://example.invalid/releases/BABEL_5_2_0__PG_17_6/BABEL_5_2_0__PG_17_6.tar.gz"))
        #expect(text.contains("grep -qx \"PACKAGE_VERSION='17.6'\" engine/configure"))
        #expect(text.contains("verify antlr4-4.13.2.tar.gz '\(String(repeating: "3", count: 64))' ''"))
        #expect(text.contains("WARNING: no sha256 is pinned yet for BABEL_5_2_0__PG_17_6.tar.gz."))
        #expect(text.contains("-DANTLR_BUILD_CPP_TESTS=OFF"), "ANTLR 4.10+ would download googletest")
        #expect(!text.contains("/usr/include/utf8.h"), "ANTLR 4.10+ has no utfcpp")
        let old = try DockerfileRenderer(versions: versions, line: "4.2").render()
        #expect(old.contains("cp -a /usr/include/utf8.h /usr/include/utf8"))
        #expect(!old.contains("ANTLR_BUILD_CPP_TESTS"))
        #expect(old.contains("mv engine-BABEL_4_2_0__PG_16_3 engine"))
        #expect(
            text.contains("mv engine/contrib/babelfishpg_* extensions/contrib/"), "the release tarball is normalized to the same layout")
    }

    @Test("base images can be overridden at generation time; digests are kept")
    func baseOverrides() throws {
        let versions = try TestSupport.fixture()
        let digest = "debian:bookworm-slim@sha256:" + String(repeating: "c", count: 64)
        let overrides = try ImageOverrides.parse([digest, "swift=registry.example.com/swift:6.3.1-bookworm"])
        let text = try DockerfileRenderer(versions: versions, line: "5.2", overrides: overrides).render()
        #expect(
            text.contains(
                "ARG BUILD_IMAGE=\(digest)\nARG RUNTIME_IMAGE=\(digest)\nARG SWIFT_IMAGE=registry.example.com/swift:6.3.1-bookworm\n"))
        let ubuntu = try DockerfileRenderer(versions: versions, line: "5.2", distribution: "ubuntu-24.04").render()
        #expect(ubuntu.contains("ARG RUNTIME_IMAGE=ubuntu:24.04@sha256:" + String(repeating: "0", count: 64)))
        #expect(ubuntu.contains("ARG SWIFT_IMAGE=swift:6.3.1-noble"))
        #expect(ubuntu.contains("id=bbf-swiftpm-ubuntu-24.04"))
        #expect(
            ubuntu.contains(
                #"COPT='-Wno-error=maybe-uninitialized -fcommon' CPPFLAGS="$("$PG_CONFIG" --cppflags) -Wno-error=overloaded-virtual""#),
            "compiler flags come from the distribution")
        #expect(throws: BuildToolError.self) { try ImageOverrides.parse(["kernel=debian:12"]) }
        #expect(throws: BuildToolError.self) { try ImageOverrides.parse(["debian"]) }
    }

    @Test("listed patches are copied and applied in order, each failure naming its patch")
    func patches() throws {
        var versions = try TestSupport.fixture()
        versions.lines["4.2"]?.patches = [
            PatchEntry(file: "0001-engine.patch", target: .engine), PatchEntry(file: "0002-tsql.patch", target: .extensions),
            PatchEntry(file: "0003-antlr.patch", target: .antlr),
        ]
        let text = try DockerfileRenderer(versions: versions, line: "4.2").render()
        #expect(text.contains("COPY patches/4.2/0001-engine.patch patches/4.2/0002-tsql.patch /src/patches/"))
        #expect(text.contains("COPY patches/4.2/0003-antlr.patch /src/patches/"))
        #expect(text.contains("apply 0001-engine.patch engine; \\\n    apply 0002-tsql.patch extensions;"))
        #expect(text.contains("apply 0003-antlr.patch antlr4"))
        #expect(text.contains("ERROR: patches/4.2/$1 does not apply to the $2 tree of line 4.2."))
        let none = try DockerfileRenderer(versions: try TestSupport.fixture(), line: "4.2").render()
        #expect(!none.contains("COPY patches/"))
    }
}
