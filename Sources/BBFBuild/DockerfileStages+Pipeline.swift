extension DockerfileRenderer {
    /// BabelfishDump.spec's `%prep`: `pg_dumpall` looks for and version-checks
    /// `bbf_dump` instead of `pg_dump`, and both report themselves as the Babelfish tools.
    static let dumpToolEdits: [(script: String, files: String)] = [
        ("s/pg_dump/bbf_dump/g", "pg_dumpall.c"),
        ("s/pg_dump (PostgreSQL)/bbf_dump (pg_dump compatible with Babelfish for PostgreSQL)/g", "pg_dump.c"),
        ("s/bbf_dump (PostgreSQL)/bbf_dump (pg_dump compatible with Babelfish for PostgreSQL)/g", "pg_dumpall.c"),
        ("s/bbf_dumpall (PostgreSQL)/bbf_dumpall (pg_dumpall compatible with Babelfish for PostgreSQL)/g", "pg_dumpall.c"),
        ("s|PACKAGE_BUGREPORT|\"https://github.com/babelfish-for-postgresql/babelfish_extensions/issues\"|g", "pg_dump.c pg_dumpall.c"),
        ("s|PACKAGE_NAME|\"Babelfish\"|g", "pg_dump.c pg_dumpall.c"),
        ("s|PACKAGE_URL|\"https://github.com/babelfish-for-postgresql/babelfish-for-postgresql/wiki\"|g", "pg_dump.c pg_dumpall.c"),
    ]

    /// What `--version` of each dump tool says for this line.
    var dumpToolVersions: [(tool: String, answer: String)] {
        [
            ("bbf_dump", "bbf_dump (pg_dump compatible with Babelfish for PostgreSQL) \(line.postgres)"),
            ("bbf_dumpall", "bbf_dumpall (pg_dumpall compatible with Babelfish for PostgreSQL) \(line.postgres)"),
        ]
    }

    func dumpToolsStage(_ writer: inout DockerfileWriter) {
        let directory = "/src/engine/src/bin/bbf_dump"
        writer.stage(
            "dump-tools: bbf_dump and bbf_dumpall, the engine's own src/bin/pg_dump (with dump_babel_utils.c)\nbuilt the way the engine's BabelfishDump.spec does, from the tree the engine stage configured and\nbuilt: the same pinned sources, so their version is always the engine's."
        )
        writer.instruction("FROM engine AS dump-tools")
        writer.instruction("WORKDIR /src/engine/src/bin")
        writer.run(["rm -rf bbf_dump", "cp -a pg_dump bbf_dump", "make -C bbf_dump clean"])
        writer.instruction("WORKDIR \(directory)")
        writer.comment("BabelfishDump.spec %prep: bbf_dumpall finds and version-checks its sibling bbf_dump; the tools name Babelfish.")
        writer.run(
            Self.dumpToolEdits.map { "sed -i \(ShellQuote.single($0.script)) \($0.files)" } + [
                "grep -q 'find_other_exec(argv\\[0\\], \"bbf_dump\"' pg_dumpall.c || { echo 'ERROR: pg_dumpall.c does not look for bbf_dump after the BabelfishDump.spec edits; compare them with the engine tag'\\''s BabelfishDump.spec' >&2; exit 1; }"
            ])
        writer.comment("BabelfishDump.spec %build and %install, renamed.")
        var steps = [
            "make -C /src/engine/src/backend generated-headers",
            "NO_GENERATED_HEADERS=1 make -j\"$(nproc)\" pg_dump pg_dumpall",
            "install -D -m 0755 pg_dump /out/bin/bbf_dump",
            "install -D -m 0755 pg_dumpall /out/bin/bbf_dumpall",
            "strip --strip-unneeded /out/bin/bbf_dump /out/bin/bbf_dumpall",
        ]
        steps.append(
            "expect() { answer=\"$(\"/out/bin/$1\" --version)\"; echo \"$answer\"; [ \"$answer\" = \"$2\" ] || { echo \"ERROR: $1 --version says $answer, not $2\" >&2; exit 1; }; }"
        )
        for (tool, answer) in dumpToolVersions {
            steps.append("expect \(tool) \(ShellQuote.single(answer))")
        }
        writer.run(steps)
    }

    func bbfStages(_ writer: inout DockerfileWriter) {
        writer.stage(
            "bbf-swift: bbf compiled with the static Swift standard library (BBF_FROM=swift, the default) from the\nrepository's own package: \(BBFPackage.files.joined(separator: ", ")) (SwiftPM checks that every target's directory exists,\ntest targets included; only the bbf product is compiled). It resolves and downloads bbf's Swift packages,\nso it needs network; air-gapped builds take a prebuilt bbf (BBF_FROM=context)."
        )
        writer.instruction("FROM ${SWIFT_IMAGE} AS bbf-swift")
        writer.instruction("ARG DEBIAN_FRONTEND=noninteractive")
        writer.instruction("ARG BBF_FROM")
        writer.run(aptInstall(distribution.packages.bbfStage))
        writer.instruction("WORKDIR /build")
        for file in BBFPackage.files {
            writer.instruction("COPY \(file) \(file)")
        }
        writer.comment("The guard keeps builders that run unused stages from compiling when a prebuilt binary is used.")
        writer.run(
            [
                "if [ \"${BBF_FROM:-swift}\" != swift ]; then echo \"BBF_FROM=$BBF_FROM: not compiling\"; mkdir -p /out; exit 0; fi",
                "swift build -c release --static-swift-stdlib --product bbf",
                "install -D -m 0755 \"$(swift build -c release --static-swift-stdlib --show-bin-path)/bbf\" /out/bbf",
            ],
            mounts: ["--mount=type=cache,id=bbf-swiftpm-bbf-\(distributionName),target=/build/.build,sharing=locked"])

        writer.stage(
            "bbf-context: a prebuilt bbf from bbf/<arch>/ in the build context\n(BBF_FROM=context; bbf build --target pipeline --bbf-binary PATH puts it there)."
        )
        writer.instruction("FROM ${BUILD_IMAGE} AS bbf-context")
        writer.instruction("ARG TARGETARCH")
        writer.instruction("COPY bbf/ /in/")
        writer.run([
            "arch=\"${TARGETARCH:-$(dpkg --print-architecture)}\"",
            "if [ ! -f \"/in/$arch/bbf\" ]; then echo \"ERROR: bbf/$arch/bbf is not in the build context (BBF_FROM=context): build it with swift build -c release --static-swift-stdlib --product bbf and pass it to bbf build --bbf-binary\" >&2; exit 1; fi",
            "install -D -m 0755 \"/in/$arch/bbf\" /out/bbf",
        ])

        writer.stage("bbf: the chosen bbf.")
        writer.instruction("FROM bbf-${BBF_FROM} AS bbf")
    }

    /// The tools the pipeline image's check runs beyond the engine's, by the package that brings them.
    var pipelineToolChecks: [String] {
        var checks: [String] = []
        let packages = distribution.packages.pipeline
        if packages.contains("awscli") { checks.append("aws --version") }
        if packages.contains("skopeo") { checks.append("skopeo --version") }
        return checks
    }

    func pipelineStage(_ writer: inout DockerfileWriter) {
        let prefix = ImageLayout.prefix
        let user = "\(ImageLayout.userID):\(ImageLayout.groupID)"
        let packagesPath = "distributions.\(distributionName).packages.pipeline"
        writer.stage(
            "pipeline: the engine image plus what bbf backup and bbf bake run: bbf_dump, bbf_dumpall, bbf, and\n\(packagesPath) (versions.json). Non-root, no toolchain; it writes only below\n\(ImageLayout.pipelineWork) (HOME and TMPDIR), so it runs with a read-only root file system and an emptyDir or tmpfs there."
        )
        writer.instruction("FROM engine-runtime AS pipeline")
        writer.instruction("ARG DEBIAN_FRONTEND=noninteractive")
        writer.comment("Root for the installation only (numeric, like the USER below).")
        writer.instruction("USER 0:0")
        let missing = ["awscli", "skopeo"].filter { !distribution.packages.pipeline.contains($0) }
        if !missing.isEmpty {
            writer.comment(
                "\(packagesPath) has no \(missing.joined(separator: " or ")) (\(distribution.name) does not package \(missing.count == 1 ? "it" : "them")):\nbbf uses the one on PATH, or BBF_AWS_CLI / BBF_SKOPEO; see docs/BUILDING.md."
            )
        }
        writer.run(aptInstall(distribution.packages.pipeline))
        writer.instruction("COPY --from=dump-tools /out/bin/ \(prefix)/bin/")
        writer.instruction("COPY --from=bbf /out/bbf \(ImageLayout.bbf)")
        writer.comment(
            "\(ImageLayout.pipelineWork) is 1777 like /tmp (and like a Kubernetes emptyDir): Docker 20.10 gives a tmpfs mounted over an\nexisting directory that directory's mode, whatever tmpfs-mode says, so a 0700 one would be unwritable."
        )
        writer.run([
            "test -x \(ImageLayout.bbf) || { echo 'ERROR: no bbf (the bbf stage produced none)' >&2; exit 1; }",
            "install -d -m 1777 \(ImageLayout.pipelineWork)",
            "install -d -o \(ImageLayout.userID) -g \(ImageLayout.groupID) -m 0700 \(ImageLayout.pipelineTemporary)",
        ])
        writer.comment(
            "Every tool reports the engine's version (PostgreSQL \(line.postgres)), and nothing lacks a library or brings a compiler."
        )
        var checks = [
            "fail() { echo \"ERROR: $*\" >&2; exit 1; }",
            "same() { answer=\"$(\"$1\" --version)\"; echo \"$answer\"; case \"$answer\" in *\" \(line.postgres)\") ;; *) fail \"$1 --version says $answer, not PostgreSQL \(line.postgres) (the engine's version)\";; esac; }",
        ]
        for tool in ["bbf_dump", "bbf_dumpall", "pg_restore", "psql"] {
            checks.append("same \(prefix)/bin/\(tool)")
        }
        checks.append("\(ImageLayout.bbf) --help")
        checks += pipelineToolChecks
        checks.append(
            "report=\"$(ldd \(prefix)/bin/bbf_dump \(prefix)/bin/bbf_dumpall \(ImageLayout.bbf) 2>&1 || true)\"")
        checks.append(
            "case \"$report\" in *'not found'*) fail \"run-time libraries are missing (add their packages to versions.json distributions.\(distributionName).packages.runtime); ldd says: $report\";; esac"
        )
        checks.append(
            "toolchain=''; for package in $(dpkg-query --show --showformat '${Package} '); do case \"$package\" in *-dev|gcc|g++|cpp|clang|make|gcc-[0-9]|gcc-[0-9][0-9]|g++-[0-9]|g++-[0-9][0-9]|cpp-[0-9]|cpp-[0-9][0-9]|clang-[0-9]|clang-[0-9][0-9]) toolchain=\"$toolchain $package\";; esac; done"
        )
        checks.append(
            "[ -z \"$toolchain\" ] || fail \"the pipeline image must hold no toolchain, but has: $toolchain (remove what pulls it in from \(packagesPath))\""
        )
        writer.run(checks, trace: false)
        writer.instruction(
            DockerfileWriter.wrapped("ENV HOME=\(ImageLayout.pipelineWork)", ["TMPDIR=\(ImageLayout.pipelineTemporary)"]).replacing(
                "\\\n        ", with: "\\\n    "))
        writer.instruction("WORKDIR \(ImageLayout.pipelineWork)")
        writer.instruction(
            """
            LABEL org.opencontainers.image.title="Babelfish for PostgreSQL (developer edition): pipeline" \\
                  org.opencontainers.image.description="bbf backup and bbf bake with PostgreSQL \(line.postgres), Babelfish \(line.babelfish), bbf_dump and bbf_dumpall" \\
                  \(ImageLayout.labelPrefix).image="pipeline"
            """)
        revisionLabel(&writer)
        writer.comment("bbf is no server: no health check. bbf stops its tools and cleans up on SIGTERM and SIGINT.")
        writer.instruction("HEALTHCHECK NONE")
        writer.instruction("STOPSIGNAL SIGTERM")
        writer.instruction("USER \(user)")
        writer.instruction("ENTRYPOINT [\"bbf\"]")
        writer.instruction("CMD [\"--help\"]")
    }

    func runtimeStage(_ writer: inout DockerfileWriter) {
        writer.stage(
            "runtime: the engine image, the default target (the last stage): engine-minimal (RUNTIME_FROM=minimal) or\nengine-distribution (RUNTIME_FROM=distribution, whose layers the pipeline image shares), and the revision label\n(metadata, no layer)."
        )
        writer.instruction("FROM engine-${RUNTIME_FROM} AS runtime")
        revisionLabel(&writer)
    }

    /// The repository's revision, labelled last in each final image: were it
    /// on engine-runtime, every new commit would rerun the pipeline stage.
    func revisionLabel(_ writer: inout DockerfileWriter) {
        writer.instruction("ARG SOURCE_REVISION=unknown")
        writer.instruction("LABEL org.opencontainers.image.revision=\"${SOURCE_REVISION}\"")
    }
}
