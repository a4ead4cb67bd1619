extension DockerfileRenderer {
    func entrypointStages(_ writer: inout DockerfileWriter) {
        writer.stage(
            "entrypoint-swift: bbf-entrypoint compiled with the static Swift standard library (ENTRYPOINT_FROM=swift),\nfrom its own manifest (\(EntrypointPackage.manifest): its targets only, no package dependencies,\nso nothing is resolved or downloaded) and those targets' sources."
        )
        writer.instruction("FROM ${SWIFT_IMAGE} AS entrypoint-swift")
        writer.instruction("ARG DEBIAN_FRONTEND=noninteractive")
        writer.instruction("ARG ENTRYPOINT_FROM")
        writer.run(aptInstall(distribution.packages.entrypointBuild))
        writer.instruction("WORKDIR /build")
        for file in EntrypointPackage.files {
            writer.instruction("COPY \(file.repository) \(file.package)")
        }
        writer.comment("The guard keeps builders that run unused stages from compiling when a prebuilt binary is used.")
        writer.run(
            [
                "if [ \"${ENTRYPOINT_FROM:-swift}\" != swift ]; then echo \"ENTRYPOINT_FROM=$ENTRYPOINT_FROM: not compiling\"; mkdir -p /out; exit 0; fi",
                "swift build -c release --static-swift-stdlib --disable-automatic-resolution --product bbf-entrypoint",
                "install -D -m 0755 \"$(swift build -c release --static-swift-stdlib --show-bin-path)/bbf-entrypoint\" /out/bbf-entrypoint",
            ],
            mounts: ["--mount=type=cache,id=bbf-swiftpm-\(distributionName),target=/build/.build,sharing=locked"])

        writer.stage(
            "entrypoint-context: a prebuilt bbf-entrypoint from entrypoint/<arch>/ in the build context\n(ENTRYPOINT_FROM=context; bbf build --entrypoint-binary PATH puts it there)."
        )
        writer.instruction("FROM ${BUILD_IMAGE} AS entrypoint-context")
        writer.instruction("ARG TARGETARCH")
        writer.instruction("COPY entrypoint/ /in/")
        writer.run([
            "arch=\"${TARGETARCH:-$(dpkg --print-architecture)}\"",
            "if [ ! -f \"/in/$arch/bbf-entrypoint\" ]; then echo \"ERROR: entrypoint/$arch/bbf-entrypoint is not in the build context (ENTRYPOINT_FROM=context): build it with swift build -c release --static-swift-stdlib --product bbf-entrypoint and pass it to bbf build --entrypoint-binary\" >&2; exit 1; fi",
            "install -D -m 0755 \"/in/$arch/bbf-entrypoint\" /out/bbf-entrypoint",
        ])

        writer.stage("entrypoint: the chosen bbf-entrypoint.")
        writer.instruction("FROM entrypoint-${ENTRYPOINT_FROM} AS entrypoint")

        writer.stage(
            "entrypoint-stripped: the chosen bbf-entrypoint without its symbol table (the builder has binutils);\nabout half its size. Swift needs no symbols to run: a crash report loses function names only."
        )
        writer.instruction("FROM builder AS entrypoint-stripped")
        writer.instruction("COPY --from=entrypoint /out/bbf-entrypoint /out/bbf-entrypoint")
        writer.comment("It runs in the runtime stage, which has libpq: make-template there is its test.")
        writer.run(["strip --strip-all /out/bbf-entrypoint"])
    }

    /// The run-time packages of the engine (the libraries its binaries load).
    var runtimePackages: [String] {
        Array(Set(distribution.packages.runtime + (spatialTypes ? distribution.packages.spatialRuntime : []))).sorted()
    }

    /// The packages docker-babelfishpg's run stage installs that the engine's
    /// list does not have (the same names on Debian 12 and Ubuntu 22.04/24.04).
    static let anchorExtraPackages = ["libpam0g", "openssl", "unixodbc", "uuid"]

    /// For comparison only (`bbf build --compare-anchor`): the same sources
    /// compiled with docker-babelfishpg's flags and packaged the way its run
    /// stage packages them.
    func anchorLikeStage(_ writer: inout DockerfileWriter) {
        let prefix = ImageLayout.prefix
        writer.stage(
            "anchor-like: for size comparison only (bbf build --compare-anchor; never published). The same sources built and\npackaged the way docker-babelfishpg builds and packages them: the engine and extensions compiled with its flags\n(anchor-engine, anchor-extensions), the install tree as make install left it (headers, static libraries, PGXS,\ntranslations, debug information), its run-time package list (plus the libraries this build's PostGIS and linked\nservers load) installed with apt update and the package lists kept. pg_hint_plan, PostGIS and the ANTLR runtime\nare this build's own optimized ones (the anchor has no PostGIS or pg_hint_plan, and builds ANTLR without\noptimization): that makes the comparison conservative. No template cluster, entrypoint or locales."
        )
        writer.instruction("FROM ${RUNTIME_IMAGE} AS anchor-like")
        writer.instruction("ARG DEBIAN_FRONTEND=noninteractive")
        writer.instruction("COPY --from=\(Compile.anchor.extensionsStage) \(prefix) \(prefix)")
        writer.instruction("COPY --from=pg-hint-plan \(Self.pgHintPlanStaging)\(prefix)/ \(prefix)/")
        if spatialTypes { writer.instruction("COPY --from=postgis \(Self.postgisStaging)\(prefix)/ \(prefix)/") }
        writer.comment(
            "apt configured as in docker-babelfishpg's base (Ubuntu's container image): package lists kept gzip-compressed,\nno translations; without it the kept lists would count 84 MB instead of 19 (Debian 12 here).\nhadolint ignore=DL3009"
        )
        writer.run(
            [
                "printf '%s\\n' 'Acquire::GzipIndexes \"true\";' 'Acquire::CompressionTypes::Order:: \"gz\";' 'Acquire::Languages \"none\";' > /etc/apt/apt.conf.d/docker-gzip-indexes"
            ]
                + aptInstall(Array(Set(runtimePackages + Self.anchorExtraPackages)).sorted(), keepLists: true))
        writer.run([
            "groupadd --gid \(ImageLayout.groupID) postgres",
            "useradd --uid \(ImageLayout.userID) --gid postgres --create-home --home-dir \(ImageLayout.home) --shell /bin/bash postgres",
            "install -d -o postgres -g postgres \(ImageLayout.dataDirectory)",
            "\(prefix)/bin/postgres --version",
        ])
        writer.instruction("USER \(ImageLayout.userID):\(ImageLayout.groupID)")
    }

    /// The engine image; `runtime`, the file's last stage, is it plus the revision label.
    func engineRuntimeStage(_ writer: inout DockerfileWriter) {
        let prefix = ImageLayout.prefix
        let user = "postgres"
        writer.stage(
            "engine-runtime: only what runs. A fixed-UID non-root postgres user; no VOLUME (data-loaded images\nkeep their data in the image); bbf-entrypoint initializes on first boot and then execs postgres.\nThe engine image (the runtime stage at the end of this file) and the pipeline image's base."
        )
        writer.instruction("FROM ${RUNTIME_IMAGE} AS engine-runtime")
        writer.instruction("ARG DEBIAN_FRONTEND=noninteractive")
        writer.comment(
            "No documentation, manual pages or translations from the packages installed here and in images built on this one\n(\(Self.slimDpkgConfiguration), as Debian's slim images configure dpkg); copyright files stay."
        )
        writer.run([slimDpkg()] + aptInstall(runtimePackages))
        writer.run([
            "groupadd --system --gid \(ImageLayout.groupID) \(user)",
            "useradd --system --uid \(ImageLayout.userID) --gid \(user) --home-dir \(ImageLayout.home) --shell /bin/bash \(user)",
            "mkdir -p \(ImageLayout.dataDirectory) \(ImageLayout.socketDirectory) \(ImageLayout.initScriptsDirectory)",
            "chown -R \(user):\(user) \(ImageLayout.home) \(ImageLayout.socketDirectory)",
            "chmod 0700 \(ImageLayout.dataDirectory)",
            "chmod 3775 \(ImageLayout.socketDirectory)",
        ])
        writer.instruction("COPY --from=install \(prefix) \(prefix)")
        writer.instruction("COPY --from=entrypoint-stripped /out/bbf-entrypoint \(ImageLayout.entrypoint)")
        if !line.cultures.isEmpty {
            writer.comment("The cultures' locales (the locales stage); C.UTF-8 stays the default.")
            writer.instruction("COPY --from=locales /usr/lib/locale/locale-archive /usr/lib/locale/locale-archive")
        }
        writer.run([
            "test -x \(ImageLayout.entrypoint) || { echo 'ERROR: no bbf-entrypoint (the entrypoint stage produced none)' >&2; exit 1; }",
            "\(prefix)/bin/postgres --version",
            "report=\"$(find \(prefix) \(ImageLayout.entrypoint) -type f \\( -name '*.so' -o -name '*.so.*' -o -perm -u+x \\) -exec ldd {} + 2>&1 || true)\"",
            "case \"$report\" in *'not found'*) echo \"ERROR: run-time libraries are missing (add their packages to versions.json distributions.\(distributionName).packages.runtime); ldd says:\" >&2; printf '%s\\n' \"$report\" >&2; exit 1;; esac",
        ])
        engineEnvironment(&writer, path: "\(prefix)/bin:$PATH")
        writer.comment(
            "The template cluster a first boot with the default settings copies instead of running initdb and the\nBabelfish setup (BBF_INIT_TEMPLATE): made here by the entrypoint's own first-boot steps, the server run as\npostgres; it holds no password and no TLS key, no WAL, and is read-only (owned by root, so the\nserver's user cannot change it)."
        )
        writer.run([
            "\(ImageLayout.entrypoint) make-template \(ImageLayout.templateDirectory)",
            "chown -R 0:0 \(ImageLayout.templateDirectory)",
            "du -sh \(ImageLayout.templateDirectory)",
        ])
        engineConfiguration(&writer, runtime: .distribution)
    }

    /// PATH, PGDATA and LANG of the engine images.
    func engineEnvironment(_ writer: inout DockerfileWriter, path: String) {
        writer.instruction(
            DockerfileWriter.wrapped(
                "ENV PATH=\(path)",
                [
                    "PGDATA=\(ImageLayout.dataDirectory)", "LANG=C.UTF-8",
                ]
            ).replacing("\\\n        ", with: "\\\n    "))
    }

    /// The engine images' labels, ports, stop signal, health check, user and
    /// entrypoint: the same on both runtimes but for the runtime label and the
    /// base image's name (the minimal image has none).
    func engineConfiguration(_ writer: inout DockerfileWriter, runtime: Runtime) {
        if runtime == .distribution { writer.instruction("ARG RUNTIME_IMAGE") }
        var labels = [
            ("org.opencontainers.image.title", "Babelfish for PostgreSQL (developer edition)"),
            (
                "org.opencontainers.image.description",
                "PostgreSQL \(line.postgres) with Babelfish \(line.babelfish) (TDS on port \(ImageLayout.tdsPort)), built from source"
            ),
            ("org.opencontainers.image.version", "\(line.postgres)-\(line.babelfish)"),
            ("org.opencontainers.image.licenses", "PostgreSQL AND Apache-2.0 AND BSD-3-Clause"),
        ]
        if runtime == .distribution { labels.append(("org.opencontainers.image.base.name", "${RUNTIME_IMAGE}")) }
        labels += [
            ("\(ImageLayout.labelPrefix).line", lineName),
            ("\(ImageLayout.labelPrefix).distribution", distributionName),
            ("\(ImageLayout.labelPrefix).postgresql.version", line.postgres.description),
            ("\(ImageLayout.labelPrefix).babelfish.version", line.babelfish.description),
            ("\(ImageLayout.labelPrefix).antlr.version", line.antlr),
            ("\(ImageLayout.labelPrefix).engine.tag", line.engineTag),
            ("\(ImageLayout.labelPrefix).extensions.tag", line.extensionsTag),
            ("\(ImageLayout.labelPrefix).source.layout", line.sourceLayout.rawValue),
            ("\(ImageLayout.labelPrefix).pg_hint_plan.version", line.pgHintPlan),
            ("\(ImageLayout.labelPrefix).postgis.version", spatialTypes ? line.postgis : "none"),
            ("\(ImageLayout.labelPrefix).cultures", line.cultures.joined(separator: " ")),
            ("\(ImageLayout.labelPrefix).linked_servers", distribution.linkedServers ? "on" : "off"),
            ("\(ImageLayout.labelPrefix).runtime", runtime.rawValue),
        ]
        let first = labels[0]
        writer.instruction(
            labels.dropFirst().reduce("LABEL \(first.0)=\"\(first.1)\"") { text, label in
                text + " \\\n      \(label.0)=\"\(label.1)\""
            })
        writer.instruction("EXPOSE \(ImageLayout.postgresPort) \(ImageLayout.tdsPort)")
        writer.instruction("STOPSIGNAL SIGINT")
        writer.instruction(
            "HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD [\"bbf-entrypoint\", \"healthcheck\"]")
        writer.comment(
            "Numeric, so Kubernetes can enforce runAsNonRoot; it is the postgres user \(runtime == .minimal ? "engine-runtime created" : "created above")."
        )
        writer.instruction("USER \(ImageLayout.userID):\(ImageLayout.groupID)")
        writer.instruction("ENTRYPOINT [\"bbf-entrypoint\"]")
        writer.instruction("CMD [\"postgres\"]")
    }
}
