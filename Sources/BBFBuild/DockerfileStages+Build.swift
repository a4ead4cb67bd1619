extension DockerfileRenderer {
    /// What babelfishpg_common and babelfishpg_tsql are compiled with for the spatial types.
    static let spatialFlag = "-DENABLE_SPATIAL_TYPES"

    /// Whether the line's ANTLR is 4.10 or later (no utfcpp; C++ tests fetch googletest unless disabled).
    var antlrIsModern: Bool {
        guard let numbers = VersionOrder.numbers(line.antlr), numbers.count >= 2 else { return true }
        return numbers[0] > 4 || (numbers[0] == 4 && numbers[1] >= 10)
    }

    func antlrStage(_ writer: inout DockerfileWriter) {
        guard let antlr = source(.antlr) else { return }
        let directory = ShellQuote.word(antlr.directory)
        let library = "\(ImageLayout.antlrStaging)\(ImageLayout.antlrPrefix)/lib/libantlr4-runtime.so.\(line.antlr)"
        writer.stage("antlr: the ANTLR \(line.antlr) C++ runtime. Its own stage, so a Babelfish-only bump reuses it.")
        writer.instruction("FROM builder AS antlr")
        writer.instruction("COPY --from=archives /src/archives/\(antlr.file) /src/archives/")
        writer.instruction("WORKDIR /src")
        writer.run([
            "tar -xzf archives/\(ShellQuote.word(antlr.file))",
            "rm -r archives",
            "if [ ! -d \(directory)/runtime/Cpp ]; then echo \(ShellQuote.single("ERROR: \(antlr.file) did not unpack to \(antlr.directory)/runtime/Cpp (versions.json sources.antlr.directory); it holds:")) >&2; ls -la >&2; exit 1; fi",
            "mv \(directory) antlr4",
        ])
        patchSteps(&writer, targets: [.antlr])
        var flags = [
            "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_INSTALL_PREFIX=\(ImageLayout.antlrPrefix)", "-DCMAKE_INSTALL_LIBDIR=lib",
            "-DWITH_DEMO=False",
        ]
        var steps: [String] = []
        if antlrIsModern {
            flags.append("-DANTLR_BUILD_CPP_TESTS=OFF")
            writer.comment("ANTLR_BUILD_CPP_TESTS=OFF: the runtime's tests would download googletest.")
        } else {
            writer.comment(
                "ANTLR < 4.10 needs utfcpp: Debian's libutfcpp-dev keeps cmake from downloading it, but the\ninstalled runtime headers then miss utf8.h, so it is copied next to them."
            )
        }
        steps.append(DockerfileWriter.wrapped("cmake -S antlr4/runtime/Cpp -B antlr-build", flags))
        steps.append("make -C antlr-build -j\"$(nproc)\"")
        steps.append("make -C antlr-build install DESTDIR=\(ImageLayout.antlrStaging)")
        if !antlrIsModern {
            steps.append(
                "cp -a /usr/include/utf8.h /usr/include/utf8 \(ImageLayout.antlrStaging)\(ImageLayout.antlrPrefix)/include/antlr4-runtime/")
        }
        steps.append("test -f \(library)")
        writer.run(steps)
    }

    /// Which compile a pair of engine and extensions stages is.
    enum Compile {
        /// This image's: the configure defaults (-O2, no debug information).
        case release
        /// docker-babelfishpg's, for the anchor-like comparison only:
        /// `CFLAGS="-ggdb"` (which replaces configure's -O2) and `--enable-debug`;
        /// the extensions inherit the flags through PGXS.
        case anchor

        var engineStage: String { self == .release ? "engine" : "anchor-engine" }
        var extensionsStage: String { self == .release ? "extensions" : "anchor-extensions" }
    }

    func engineStage(_ writer: inout DockerfileWriter, compile: Compile = .release) {
        switch compile {
        case .release:
            writer.stage(
                "engine: PostgreSQL \(line.postgres) modified for Babelfish, with contrib (uuid-ossp is needed at run time).\nOfficial configure flags plus --with-openssl; never --with-extra-version (it breaks sys.get_host_os())."
            )
        case .anchor:
            writer.stage(
                "anchor-engine: for size comparison only (the anchor-like stage). The engine compiled as docker-babelfishpg\ncompiles it: configure CFLAGS=\"-ggdb\" --enable-debug (debug information; a CFLAGS given to configure replaces\nits -O2) and the same flags as the engine stage."
            )
        }
        writer.instruction("FROM builder AS \(compile.engineStage)")
        writer.instruction("COPY --from=sources /src/engine /src/engine")
        writer.instruction("WORKDIR /src/engine")
        let configure =
            compile == .release
            ? DockerfileWriter.wrapped("./configure --prefix=\(ImageLayout.prefix)", ImageLayout.configureFlags)
            : DockerfileWriter.wrapped(
                "./configure CFLAGS='-ggdb' --prefix=\(ImageLayout.prefix)", ["--enable-debug"] + ImageLayout.configureFlags)
        writer.run([configure, "make -j\"$(nproc)\"", "make install"])
        writer.run(["make -C contrib -j\"$(nproc)\"", "make -C contrib install"])
    }

    func extensionsStage(_ writer: inout DockerfileWriter, compile: Compile = .release) {
        let include = "\(ImageLayout.antlrPrefix)/include/antlr4-runtime"
        let lib = "\(ImageLayout.antlrPrefix)/lib"
        switch compile {
        case .release:
            writer.stage(
                "extensions: babelfishpg_money, _common, _tds and _tsql, in that order. The tsql Makefile\nexports the ANTLR paths, so they are also given on the make command line."
            )
        case .anchor:
            writer.stage(
                "anchor-extensions: for size comparison only. The extensions stage's steps on the anchor-engine stage, so\nthey compile with its CFLAGS (PGXS takes them from pg_config), as docker-babelfishpg's do."
            )
        }
        writer.instruction("FROM \(compile.engineStage) AS \(compile.extensionsStage)")
        writer.instruction("COPY --from=antlr \(ImageLayout.antlrStaging)\(ImageLayout.antlrPrefix)/ \(ImageLayout.antlrPrefix)/")
        writer.instruction("COPY --from=sources /src/extensions /src/extensions")
        writer.instruction(
            DockerfileWriter.wrapped(
                "ENV PG_CONFIG=\(ImageLayout.prefix)/bin/pg_config",
                [
                    "PG_SRC=/src/engine", "ANTLR4_JAVA_BIN=/usr/bin/java", "ANTLR4_RUNTIME_INCLUDE_DIR=\(include)",
                    "ANTLR4_RUNTIME_LIB_DIR=\(lib)",
                ]
            ).replacing("\\\n        ", with: "\\\n    "))
        writer.instruction("WORKDIR /src/extensions/contrib")
        writer.comment("The server loads the ANTLR runtime from its own lib directory.")
        writer.run(["cp -a \(lib)/libantlr4-runtime.so.\(line.antlr) \(ImageLayout.prefix)/lib/"])
        // PG_CPPFLAGS goes in the environment: the Makefiles append to it.
        let spatial = spatialTypes ? "PG_CPPFLAGS=\(ShellQuote.single(Self.spatialFlag)) " : ""
        for name in ImageLayout.extensions where name != "babelfishpg_tsql" {
            if name == "babelfishpg_common" && spatialTypes {
                writer.comment(
                    "\(Self.spatialFlag): the geometry and geography types (their functions call PostGIS's library), as upstream CI\nbuilds babelfishpg_common and babelfishpg_tsql (distributions.\(distributionName).spatialTypes)."
                )
            }
            let flags = name == "babelfishpg_common" ? spatial : ""
            writer.run(["\(flags)make -C \(name) -j\"$(nproc)\"", "\(flags)make -C \(name) install"])
        }
        writer.comment("babelfishpg_tsql/antlr first: a parallel clean build of tsql races otherwise.")
        writer.instruction("WORKDIR /src/extensions/contrib/babelfishpg_tsql/antlr")
        writer.run(["cmake -Wno-dev .", "make -j\"$(nproc)\" all"])
        writer.instruction("WORKDIR /src/extensions/contrib")
        let flags = distribution.compilerFlags
        var makeArguments = [
            "cmake=\"$(command -v cmake)\"", "ANTLR4_RUNTIME_INCLUDE_DIR=\(include)", "ANTLR4_RUNTIME_LIB_DIR=\(lib)",
            "ANTLR4_JAVA_BIN=/usr/bin/java",
        ]
        if !flags.tsqlCOPT.isEmpty {
            makeArguments.append("COPT=\(ShellQuote.single(flags.tsqlCOPT))")
        }
        if !flags.tsqlCPPFLAGS.isEmpty {
            makeArguments.append("CPPFLAGS=\"$(\"$PG_CONFIG\" --cppflags) \(flags.tsqlCPPFLAGS)\"")
        }
        let arguments = makeArguments.joined(separator: " ")
        let flagNotes = [
            flags.tsqlCOPT.isEmpty ? nil : "COPT=\(flags.tsqlCOPT)",
            flags.tsqlCPPFLAGS.isEmpty ? nil : "CPPFLAGS+=\(flags.tsqlCPPFLAGS)",
        ].compactMap { $0 }
        if !flagNotes.isEmpty {
            writer.comment(
                "babelfishpg_tsql builds with -Werror; \(distribution.name)'s compiler needs \(flagNotes.joined(separator: " and "))\n(versions.json distributions.\(distributionName).compilerFlags)."
            )
        }
        var tsqlFlags = spatialTypes ? [Self.spatialFlag] : []
        var tsqlEnvironment = ""
        if distribution.linkedServers {
            writer.comment(
                "Linked servers: -DENABLE_TDS_LIB and FreeTDS's libsybdb, as upstream CI builds babelfishpg_tsql\n(distributions.\(distributionName).linkedServers; installed here so the stages above keep their cache)."
            )
            writer.run(aptInstall(distribution.packages.linkedServersBuild))
            tsqlFlags = ["-I/usr/include", "-DENABLE_TDS_LIB"] + tsqlFlags
            tsqlEnvironment = "SHLIB_LINK='-lsybdb' "
        }
        if !tsqlFlags.isEmpty {
            tsqlEnvironment = "PG_CPPFLAGS=\(ShellQuote.single(tsqlFlags.joined(separator: " "))) " + tsqlEnvironment
        }
        writer.run([
            "\(tsqlEnvironment)make -C babelfishpg_tsql -j\"$(nproc)\" \(arguments)",
            "\(tsqlEnvironment)make -C babelfishpg_tsql install \(arguments)",
        ])
    }

    func installStage(_ writer: inout DockerfileWriter) {
        let prefix = ImageLayout.prefix
        writer.stage(
            "install: \(prefix) trimmed for run time: no headers, static libraries, PGXS, debug info or message\ntranslations (the server answers in English, as Aurora does; a translated lc_messages falls back to it).\npg_config and psql stay (bbf-entrypoint and people use them)."
        )
        writer.instruction("FROM extensions AS install")
        writer.instruction("COPY --from=pg-hint-plan \(Self.pgHintPlanStaging)\(prefix)/ \(prefix)/")
        var checks = ["test -f \(prefix)/lib/postgresql/pg_hint_plan.so"]
        var removals = ["\(prefix)/include", "\(prefix)/lib/pkgconfig", "\(prefix)/lib/postgresql/pgxs", "\(prefix)/share/locale"]
        if spatialTypes {
            writer.instruction("COPY --from=postgis \(Self.postgisStaging)\(prefix)/ \(prefix)/")
            checks.append("test -f \(prefix)/lib/postgresql/\(postgisLibrary)")
            // PostGIS's pre-extension scripts (postgis.sql, spatial_ref_sys.sql, ...): Babelfish calls its library only.
            removals.append("\(prefix)/share/postgresql/contrib/postgis-*")
        }
        writer.run(
            [
                "rm -r \(removals.joined(separator: " "))",
                "find \(prefix) -name '*.a' -type f -delete",
                "find \(prefix)/bin \(prefix)/lib -type f \\( -name '*.so' -o -name '*.so.*' -o -perm -u+x \\) -exec strip --strip-unneeded {} +",
                "test -x \(prefix)/bin/postgres",
                "test -f \(prefix)/lib/libantlr4-runtime.so.\(line.antlr)",
                "for extension in \(ImageLayout.extensions.joined(separator: " ")) uuid-ossp pg_hint_plan; do test -f \"\(prefix)/share/postgresql/extension/$extension.control\"; done",
            ] + checks + ["du -sh \(prefix)"])
    }
}
