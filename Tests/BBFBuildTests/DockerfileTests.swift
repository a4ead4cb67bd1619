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
        #expect(
            stages == [
                "builder", "archives-download", "archives-context", "archives", "antlr", "sources", "engine", "extensions", "install",
                "entrypoint-swift", "entrypoint-context", "entrypoint", "entrypoint-stripped", "runtime",
            ])
        let runtime = lines.drop { !$0.hasPrefix("FROM ${RUNTIME_IMAGE} AS runtime") }
        for required in [
            "EXPOSE 5432 1433", "STOPSIGNAL SIGINT", "USER 999:999", #"ENTRYPOINT ["bbf-entrypoint"]"#, #"CMD ["postgres"]"#,
            #"HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["bbf-entrypoint", "healthcheck"]"#,
            "COPY --from=install /opt/babelfish /opt/babelfish", "COPY --from=entrypoint-stripped /out/bbf-entrypoint /usr/local/bin/bbf-entrypoint",
            "    PGDATA=/var/lib/babelfish/data \\",
        ] {
            #expect(runtime.contains(required), "runtime stage lacks \(required)")
        }
        #expect(runtime.contains { $0.contains("org.opencontainers.image.revision=\"${SOURCE_REVISION}\"") })
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
