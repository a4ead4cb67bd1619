extension DockerfileRenderer {
    func builderStage(_ writer: inout DockerfileWriter) {
        writer.stage("builder: compilers and development packages (build stages only, never in the runtime image).")
        writer.instruction("FROM ${BUILD_IMAGE} AS builder")
        writer.instruction("ARG DEBIAN_FRONTEND=noninteractive")
        writer.comment("Slim images exclude man pages; openjdk's postinst still expects man1.")
        writer.run(["mkdir -p /usr/share/man/man1"] + aptInstall(distribution.packages.build))
    }

    func archiveStages(_ writer: inout DockerfileWriter) {
        writer.stage("archives-download: fetch the source archives (SOURCES_FROM=download).")
        writer.instruction("FROM builder AS archives-download")
        writer.instruction("ARG SOURCES_FROM")
        writer.instruction("WORKDIR /src/archives")
        writer.comment("The guard keeps builders that run unused stages from downloading in air-gapped builds.")
        var download = [
            "if [ \"${SOURCES_FROM:-download}\" != download ]; then echo \"SOURCES_FROM=$SOURCES_FROM: not downloading\"; exit 0; fi"
        ]
        for source in sources {
            download.append(
                "curl --fail --location --silent --show-error --retry 3 --output \(ShellQuote.word(source.file)) \(ShellQuote.word(source.url))"
            )
        }
        writer.run(download)

        writer.stage(
            "archives-context: the same archives from sources/ in the build context (SOURCES_FROM=context,\nair-gapped builds; bbf build --sources DIR puts them there)."
        )
        writer.instruction("FROM builder AS archives-context")
        writer.instruction("COPY sources/ /src/archives/")

        writer.stage("archives: the chosen archives, each verified against versions.json.")
        writer.instruction("FROM archives-${SOURCES_FROM} AS archives")
        writer.instruction("ARG SOURCES_FROM")
        writer.instruction("WORKDIR /src/archives")
        writer.comment("A local-archive checksum only vouches for archives from the build context, never for downloads.")
        writer.run(verification(), trace: false)
    }

    /// Shell commands that check each archive against its pinned checksums.
    private func verification() -> [String] {
        let body = [
            "file=\"$1\"; upstream=\"$2\"; local_archive=\"$3\"",
            "if [ \"$SOURCES_FROM\" != context ]; then local_archive=''; fi",
            "if [ ! -f \"$file\" ]; then echo \"ERROR: source archive $file is missing (air-gapped builds: put it in the directory given to bbf build --sources)\" >&2; exit 1; fi",
            "actual=\"$(sha256sum \"$file\")\"; actual=\"${actual%% *}\"",
            "if [ -n \"$upstream\" ] && [ \"$actual\" = \"$upstream\" ]; then echo \"sha256 OK: $file (the upstream archive)\"",
            "elif [ -n \"$local_archive\" ] && [ \"$actual\" = \"$local_archive\" ]; then echo \"sha256 OK: $file (the local git-archive copy)\"",
            "elif [ -z \"$upstream$local_archive\" ]; then echo \"WARNING: $file is NOT VERIFIED: versions.json \(quotedLinePath).checksums has no sha256 for it. Its sha256 is $actual; record it with bbf pin --line \(lineName).\" >&2",
            "else echo \"ERROR: sha256 mismatch for $file: it is $actual; versions.json expects ${upstream:-(none)} (upstream) or ${local_archive:-(none)} (local archive)\" >&2; exit 1",
            "fi",
        ]
        let function = "verify() { \\\n        " + body.joined(separator: "; \\\n        ") + "; \\\n    }"
        return [function]
            + sources.map { source in
                "verify \(ShellQuote.word(source.file)) \(ShellQuote.single(source.checksum.sha256 ?? "")) \(ShellQuote.single(source.checksum.localArchiveSha256 ?? ""))"
            }
    }

    func sourcesStage(_ writer: inout DockerfileWriter) {
        let archives = sources.filter { [.release, .engine, .extensions].contains($0.role) }
        writer.stage(
            "sources: the Babelfish engine and extensions, unpacked to /src/engine and\n/src/extensions (contrib/babelfishpg_*) whatever the source layout, checked, patched."
        )
        writer.instruction("FROM builder AS sources")
        writer.instruction("COPY --from=archives " + archives.map { "/src/archives/\($0.file)" }.joined(separator: " ") + " /src/archives/")
        writer.instruction("WORKDIR /src")
        var unpack: [String] = archives.map { "tar -xzf archives/\(ShellQuote.word($0.file))" }
        unpack.append("rm -r archives")
        switch line.sourceLayout {
        case .gitTags:
            for archive in archives {
                let target = archive.role == .engine ? "engine" : "extensions"
                unpack.append(
                    "if [ ! -d \(ShellQuote.word(archive.directory)) ]; then echo \(ShellQuote.single("ERROR: \(archive.file) did not unpack to \(archive.directory)/ (versions.json sources.\(archive.role.rawValue).directory); it holds:")) >&2; ls -la >&2; exit 1; fi"
                )
                unpack.append("mv \(ShellQuote.word(archive.directory)) \(target)")
            }
        case .releaseTarball:
            if let release = source(.release) {
                let directory = ShellQuote.word(release.directory)
                let message =
                    "ERROR: \(release.file) does not unpack to \(release.directory)/ with the extensions in contrib/babelfishpg_* (the layout that babelfish-for-postgresql/babelfish-for-postgresql .github/scripts/build.sh produces). Set \(linePath).sourceLayout to git-tags to build from the two repositories instead. The archive holds:"
                unpack.append(
                    "if [ ! -d \(directory)/contrib/babelfishpg_tsql ]; then echo \(ShellQuote.single(message)) >&2; ls -la . \(directory) >&2; exit 1; fi"
                )
                unpack.append("mv \(directory) engine")
                unpack.append("mkdir -p extensions/contrib")
                unpack.append("mv engine/contrib/babelfishpg_* extensions/contrib/")
            }
        }
        writer.run(unpack)
        writer.comment("The trees must be the versions versions.json names.")
        writer.run(sanityChecks(), trace: false)
        patchSteps(&writer, targets: [.engine, .extensions])
    }

    private func sanityChecks() -> [String] {
        let antlrDirectory = "extensions/contrib/babelfishpg_tsql/antlr/thirdparty/antlr"
        let jar = "antlr-\(line.antlr)-complete.jar"
        let versionFile = "extensions/contrib/babelfishpg_tsql/Version.config"
        var checks = ["fail() { echo \"ERROR: $*\" >&2; exit 1; }"]
        checks.append(
            "grep -qx \"PACKAGE_VERSION='\(line.postgres)'\" engine/configure || fail \"the engine sources are not PostgreSQL \(line.postgres): engine/configure has $(grep '^PACKAGE_VERSION=' engine/configure). Check \(quotedLinePath).postgres and the archive.\""
        )
        checks.append(
            "for extension in \(ImageLayout.extensions.joined(separator: " ")); do [ -f \"extensions/contrib/$extension/Makefile\" ] || fail \"extensions/contrib/$extension is missing from the Babelfish sources\"; done"
        )
        let expected = [
            "PGTSQL_MAJOR_VERSION=\(line.babelfish.major)", "PGTSQL_MINOR_VERSION=\(line.babelfish.minor)",
            "PGTSQL_MICRO_VERSION=\(line.babelfish.patch)",
        ]
        checks.append(
            "for setting in \(expected.joined(separator: " ")); do grep -qx \"$setting\" \(versionFile) || fail \"the extensions are not Babelfish \(line.babelfish) ($setting is not in \(versionFile), which says: $(grep VERSION= \(versionFile))). Check \(quotedLinePath).babelfish and the archive.\"; done"
        )
        checks.append(
            "[ -f \(antlrDirectory)/\(jar) ] || fail \"the extensions do not ship \(jar) (\(antlrDirectory) holds: $(ls \(antlrDirectory))). \(quotedLinePath).antlr must be the ANTLR version of Babelfish \(line.babelfish).\""
        )
        checks.append(
            "grep -q \(ShellQuote.single(jar)) extensions/contrib/babelfishpg_tsql/antlr/CMakeLists.txt || fail \"babelfishpg_tsql/antlr/CMakeLists.txt does not use \(jar); \(quotedLinePath).antlr must be the ANTLR version of Babelfish \(line.babelfish).\""
        )
        checks.append("echo \"sources OK: PostgreSQL \(line.postgres), Babelfish \(line.babelfish), ANTLR tool \(line.antlr)\"")
        return checks
    }

    /// `COPY` and apply the line's patches for the given trees (under /src), in order.
    func patchSteps(_ writer: inout DockerfileWriter, targets: [PatchTarget]) {
        let patches = line.patches.filter { targets.contains($0.target) }
        let names = targets.map(\.rawValue).joined(separator: " and ")
        guard !patches.isEmpty else {
            writer.comment("No patches for the \(names) tree\(targets.count == 1 ? "" : "s") (\(linePath).patches).")
            return
        }
        writer.instruction("COPY " + patches.map { "\(patchesDirectory)/\($0.file)" }.joined(separator: " ") + " /src/patches/")
        var commands = [
            "apply() { echo \"applying \(patchesDirectory)/$1 to the $2 tree\"; if ! patch --directory=\"/src/$2\" --strip=1 --forward --batch --input=\"/src/patches/$1\"; then echo \"ERROR: \(patchesDirectory)/$1 does not apply to the $2 tree of line \(lineName). Refresh it for these sources or remove it from versions.json \(quotedLinePath).patches.\" >&2; exit 1; fi; }"
        ]
        for patch in patches {
            commands.append("apply \(ShellQuote.word(patch.file)) \(patch.target == .antlr ? "antlr4" : patch.target.rawValue)")
        }
        commands.append("rm -r /src/patches")
        writer.run(commands, trace: false)
    }
}
