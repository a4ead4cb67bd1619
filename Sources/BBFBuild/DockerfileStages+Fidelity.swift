// The pieces Aurora has beyond the four Babelfish extensions: pg_hint_plan,
// PostGIS (for the spatial types) and the OS locales of FORMAT's cultures.
// Each builds in its own stage, so the cached engine/extension stages stay as they are.
extension DockerfileRenderer {
    /// Where a stage installs with `DESTDIR`, for the install stage to copy from.
    static let pgHintPlanStaging = "/opt/pg-hint-plan-install"
    static let postgisStaging = "/opt/postgis-install"

    var spatialTypes: Bool { distribution.spatialTypes }

    /// PostGIS's library, as babelfishpg_common's geometry/geography functions name it (`$libdir/postgis-3`).
    var postgisLibrary: String {
        let major = line.postgis.split(separator: ".").first.map(String.init) ?? line.postgis
        return "postgis-\(major).so"
    }

    func pgHintPlanStage(_ writer: inout DockerfileWriter) {
        guard let archive = source(.pgHintPlan) else { return }
        let prefix = ImageLayout.prefix
        let directory = ShellQuote.word(archive.directory)
        writer.stage(
            "pg-hint-plan: pg_hint_plan \(line.pgHintPlan) (PostgreSQL \(line.postgres.major)), built with PGXS against the engine.\nBabelfish maps T-SQL query, table and join hints onto it (babelfishpg_tsql.enable_pg_hint loads it).\nStaged under \(Self.pgHintPlanStaging); the install stage copies it in."
        )
        writer.instruction("FROM engine AS pg-hint-plan")
        writer.instruction("COPY --from=archives /src/archives/\(archive.file) /src/archives/")
        writer.instruction("WORKDIR /src")
        writer.run([
            "tar -xzf archives/\(ShellQuote.word(archive.file))",
            "rm -r archives",
            "if [ ! -f \(directory)/pg_hint_plan.control ]; then echo \(ShellQuote.single("ERROR: \(archive.file) did not unpack to \(archive.directory)/ with pg_hint_plan.control (versions.json sources.pgHintPlan.directory); it holds:")) >&2; ls -la >&2; exit 1; fi",
            "mv \(directory) pg_hint_plan",
        ])
        let make = "make -C pg_hint_plan USE_PGXS=1 PG_CONFIG=\(prefix)/bin/pg_config"
        writer.run([
            "\(make) -j\"$(nproc)\"",
            "\(make) install DESTDIR=\(Self.pgHintPlanStaging)",
            "test -f \(Self.pgHintPlanStaging)\(prefix)/lib/postgresql/pg_hint_plan.so",
        ])
    }

    func postgisStage(_ writer: inout DockerfileWriter) {
        guard spatialTypes, let archive = source(.postgis) else { return }
        let prefix = ImageLayout.prefix
        let directory = ShellQuote.word(archive.directory)
        let staged = "\(Self.postgisStaging)\(prefix)/lib/postgresql/\(postgisLibrary)"
        writer.stage(
            "postgis: PostGIS \(line.postgis), whose library Babelfish's geometry and geography types call (as upstream CI:\n--without-protobuf --without-raster). distributions.\(distributionName).spatialTypes turns it off.\nStaged under \(Self.postgisStaging); the install stage copies it in."
        )
        writer.instruction("FROM engine AS postgis")
        writer.instruction("ARG DEBIAN_FRONTEND=noninteractive")
        writer.run(aptInstall(distribution.packages.spatialBuild))
        writer.instruction("COPY --from=archives /src/archives/\(archive.file) /src/archives/")
        writer.instruction("WORKDIR /src")
        writer.run([
            "tar -xzf archives/\(ShellQuote.word(archive.file))",
            "rm -r archives",
            "if [ ! -f \(directory)/postgis/Makefile.in ]; then echo \(ShellQuote.single("ERROR: \(archive.file) did not unpack to \(archive.directory)/ with postgis/Makefile.in (versions.json sources.postgis.directory); it holds:")) >&2; ls -la >&2; exit 1; fi",
            "mv \(directory) postgis",
        ])
        writer.instruction("WORKDIR /src/postgis")
        writer.comment(
            "A git-tag archive has no configure script and no spatial_ref_sys.sql (release tarballs generate both).\nBabelfish uses only the library, not the postgis extension's tables, so an empty one is installed then."
        )
        writer.run([
            "if [ ! -x configure ]; then ./autogen.sh; fi",
            "if [ ! -f spatial_ref_sys.sql ]; then : > spatial_ref_sys.sql; fi",
            "./configure --with-pgconfig=\(prefix)/bin/pg_config --without-protobuf --without-raster",
            "make -j\"$(nproc)\"",
            "make install DESTDIR=\(Self.postgisStaging)",
            "test -f \(staged)",
        ])
    }

    func localesStage(_ writer: inout DockerfileWriter) {
        let locales = line.localeNames
        guard !locales.isEmpty else { return }
        writer.stage(
            "locales: the OS locales of the cultures FORMAT accepts (\(linePath).cultures), compiled on the runtime\nbase (same C library) into one locale archive that the runtime image copies. Babelfish sets lc_time and\nlc_numeric to xx_YY.UTF-8 and lc_monetary to xx_YY, so both names are defined, with UTF-8."
        )
        writer.instruction("FROM ${RUNTIME_IMAGE} AS locales")
        writer.instruction("ARG DEBIAN_FRONTEND=noninteractive")
        writer.run(aptInstall(distribution.packages.locales))
        writer.comment("localedef exits 1 for warnings it wrote the locale despite; the listing check below is what counts.")
        writer.run([
            "define() { localedef --inputfile=\"$1\" --charmap=UTF-8 \"$2\" || [ \"$?\" -eq 1 ]; }",
            "for locale in \(locales.joined(separator: " ")); do define \"$locale\" \"$locale.UTF-8\"; define \"$locale\" \"$locale\"; done",
            "localedef --list-archive > /tmp/locales",
            "for locale in \(locales.joined(separator: " ")); do for name in \"$locale.utf8\" \"$locale\"; do grep -qx \"$name\" /tmp/locales || { echo \"ERROR: locale $name was not generated (check \(quotedLinePath).cultures and distributions.\(distributionName).packages.locales)\" >&2; exit 1; }; done; done",
            "rm /tmp/locales",
            "du -h /usr/lib/locale/locale-archive",
        ])
    }
}
