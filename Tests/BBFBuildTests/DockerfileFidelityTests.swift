import BBFBuild
import Foundation
import Testing

/// pg_hint_plan, PostGIS and the cultures' locales in the rendered Dockerfile (issue 14).
@Suite("Dockerfile: pg_hint_plan, spatial types, culture locales")
struct DockerfileFidelityTests {
    /// The text of stage `name`: from its FROM line to the next stage's.
    static func stage(_ name: String, in text: String) -> String? {
        guard let start = text.range(of: " AS \(name)\n") else { return nil }
        let rest = text[start.upperBound...]
        let end = rest.range(of: "\nFROM ")?.lowerBound ?? rest.endIndex
        return String(rest[..<end])
    }

    @Test("pg_hint_plan is built with PGXS from its pinned, verified archive and installed into the runtime tree")
    func pgHintPlan() throws {
        let text = try DockerfileRenderer(versions: try TestSupport.fixture(), line: "4.2").render()
        let stage = try #require(Self.stage("pg-hint-plan", in: text))
        #expect(text.contains("FROM engine AS pg-hint-plan"))
        #expect(stage.contains("COPY --from=archives /src/archives/pg_hint_plan-REL16_1_6_0.tar.gz /src/archives/"))
        #expect(stage.contains("pg_hint_plan-REL16_1_6_0/pg_hint_plan.control"))
        #expect(
            stage.contains(
                "make -C pg_hint_plan USE_PGXS=1 PG_CONFIG=/opt/babelfish/bin/pg_config install DESTDIR=/opt/pg-hint-plan-install"))
        #expect(text.contains("verify pg_hint_plan-REL16_1_6_0.tar.gz '\(String(repeating: "4", count: 64))' ''"))
        #expect(text.contains("https://example.invalid/pg_hint_plan/REL16_1_6_0.tar.gz"))
        let install = try #require(Self.stage("install", in: text))
        #expect(install.hasPrefix("COPY --from=pg-hint-plan /opt/pg-hint-plan-install/opt/babelfish/ /opt/babelfish/"))
        #expect(install.contains("test -f /opt/babelfish/lib/postgresql/pg_hint_plan.so"))
        #expect(install.contains("uuid-ossp pg_hint_plan; do test -f"))
        #expect(text.contains("babelfish-dev.pg_hint_plan.version=\"REL16_1_6_0\""))
    }

    @Test(
        "spatial types on: PostGIS built in its own stage, common and tsql compiled with -DENABLE_SPATIAL_TYPES, its libraries at run time")
    func spatialOn() throws {
        let text = try DockerfileRenderer(versions: try TestSupport.fixture(), line: "4.2").render()
        let postgis = try #require(Self.stage("postgis", in: text))
        #expect(postgis.contains("libgeos-dev"))
        #expect(postgis.contains("if [ ! -x configure ]; then ./autogen.sh; fi"))
        #expect(postgis.contains("./configure --with-pgconfig=/opt/babelfish/bin/pg_config --without-protobuf --without-raster"))
        #expect(postgis.contains("test -f /opt/postgis-install/opt/babelfish/lib/postgresql/postgis-3.so"))
        let builder = try #require(Self.stage("builder", in: text))
        #expect(!builder.contains("libgeos-dev"), "the spatial -dev packages stay out of the shared builder stage")
        let extensions = try #require(Self.stage("extensions", in: text))
        #expect(extensions.contains("PG_CPPFLAGS='-DENABLE_SPATIAL_TYPES' make -C babelfishpg_common -j"))
        #expect(extensions.contains("-DENABLE_SPATIAL_TYPES' SHLIB_LINK='-lsybdb' make -C babelfishpg_tsql install"))
        #expect(!extensions.contains("PG_CPPFLAGS='-DENABLE_SPATIAL_TYPES' make -C babelfishpg_tds"))
        let install = try #require(Self.stage("install", in: text))
        #expect(install.contains("COPY --from=postgis /opt/postgis-install/opt/babelfish/ /opt/babelfish/"))
        #expect(install.contains("test -f /opt/babelfish/lib/postgresql/postgis-3.so"))
        let runtime = try #require(Self.stage("engine-runtime", in: text))
        #expect(runtime.contains("        libgeos-c1v5 \\\n        libicu72 \\\n        libpq5 \\\n        libproj25;"))
        #expect(text.contains("babelfish-dev.postgis.version=\"3.4.0\""))
    }

    @Test("spatial types off (distributions.<name>.spatialTypes false): no PostGIS stage, archive, flag or libraries")
    func spatialOff() throws {
        let text = try DockerfileRenderer(versions: try TestSupport.fixture(), line: "4.2", distribution: "ubuntu-24.04").render()
        #expect(Self.stage("postgis", in: text) == nil)
        #expect(!text.contains("postgis-3.4.0.tar.gz"))
        #expect(!text.contains("ENABLE_SPATIAL_TYPES"))
        #expect(!text.contains("COPY --from=postgis"))
        #expect(text.contains("babelfish-dev.postgis.version=\"none\""))
        #expect(Self.stage("pg-hint-plan", in: text) != nil, "pg_hint_plan does not depend on the switch")
    }

    @Test("linked servers on: FreeTDS's -dev package installed just before tsql, which gets -DENABLE_TDS_LIB and -lsybdb")
    func linkedServers() throws {
        let text = try DockerfileRenderer(versions: try TestSupport.fixture(), line: "4.2").render()
        let extensions = try #require(Self.stage("extensions", in: text))
        let antlr = try #require(extensions.range(of: "make -j\"$(nproc)\" all"))
        let install = try #require(extensions.range(of: "        freetds-dev;"))
        #expect(antlr.upperBound < install.lowerBound, "installed after tsql's antlr step, so that step keeps its cache")
        #expect(
            extensions.contains(
                "PG_CPPFLAGS='-I/usr/include -DENABLE_TDS_LIB -DENABLE_SPATIAL_TYPES' SHLIB_LINK='-lsybdb' make -C babelfishpg_tsql -j"))
        #expect(!extensions.contains("SHLIB_LINK='-lsybdb' make -C babelfishpg_common"))
        #expect(text.contains("babelfish-dev.linked_servers=\"on\""))

        let off = try DockerfileRenderer(versions: try TestSupport.fixture(), line: "4.2", distribution: "ubuntu-24.04").render()
        #expect(!off.contains("ENABLE_TDS_LIB") && !off.contains("SHLIB_LINK"))
        #expect(off.contains("babelfish-dev.linked_servers=\"off\""))
    }

    @Test("the cultures' locales are compiled on the runtime base and only the locale archive reaches the runtime image")
    func locales() throws {
        let text = try DockerfileRenderer(versions: try TestSupport.fixture(), line: "4.2").render()
        let stage = try #require(Self.stage("locales", in: text))
        #expect(text.contains("FROM ${RUNTIME_IMAGE} AS locales"))
        #expect(stage.contains("for locale in en_US de_DE; do define \"$locale\" \"$locale.UTF-8\"; define \"$locale\" \"$locale\"; done"))
        #expect(stage.contains("localedef --inputfile=\"$1\" --charmap=UTF-8 \"$2\""))
        #expect(stage.contains("grep -qx \"$name\""))
        let runtime = try #require(Self.stage("engine-runtime", in: text))
        #expect(runtime.contains("COPY --from=locales /usr/lib/locale/locale-archive /usr/lib/locale/locale-archive"))
        #expect(!runtime.contains("        locales"), "the locales package (sources, localedef) stays out of the runtime image")
        #expect(runtime.contains("LANG=C.UTF-8"))
        #expect(text.contains("babelfish-dev.cultures=\"en-US de-DE\""))

        let none = try DockerfileRenderer(versions: try TestSupport.fixture(), line: "5.2").render()
        #expect(Self.stage("locales", in: none) == nil)
        #expect(!none.contains("COPY --from=locales"))
    }

    @Test("the sources stage still unpacks only the Babelfish trees")
    func sourcesStage() throws {
        let text = try DockerfileRenderer(versions: try TestSupport.fixture(), line: "5.2").render()
        let stage = try #require(Self.stage("sources", in: text))
        #expect(stage.hasPrefix("COPY --from=archives /src/archives/BABEL_5_2_0__PG_17_5.tar.gz /src/archives/"))
        #expect(!stage.contains("pg_hint_plan") && !stage.contains("postgis"))
    }

    @Test("the repository's lines pin pg_hint_plan for their PostgreSQL major, PostGIS, and en-US among the cultures")
    func repositoryPins() throws {
        let versions = try TestSupport.realVersions()
        let old = try versions.line(named: "4.2")
        #expect(old.pgHintPlan == "REL16_1_6_0")
        #expect(old.postgis == "3.4.0")
        #expect(old.cultures.contains("en-US"))
        let new = try versions.line(named: "5.2")
        #expect(new.pgHintPlan.hasPrefix("REL17_"))
        for name in versions.distributionNames {
            let distribution = try versions.distribution(named: name)
            #expect(distribution.spatialTypes, "\(name): spatial types are on by default")
            #expect(distribution.linkedServers, "\(name): linked servers are on by default")
            #expect(distribution.packages.runtime.contains("libsybdb5"), "\(name): tsql's FreeTDS library at run time")
        }
    }

    @Test(
        "image size: no message translations or PostGIS scripts in the tree, no package documentation, one anchor-like stage to compare with"
    )
    func imageSize() throws {
        let text = try DockerfileRenderer(versions: try TestSupport.fixture(), line: "4.2").render()
        let install = try #require(Self.stage("install", in: text))
        #expect(
            install.contains(
                "rm -r /opt/babelfish/include /opt/babelfish/lib/pkgconfig /opt/babelfish/lib/postgresql/pgxs /opt/babelfish/share/locale /opt/babelfish/share/postgresql/contrib/postgis-*;"
            ))
        let runtime = try #require(Self.stage("engine-runtime", in: text))
        #expect(
            runtime.contains(
                "RUN set -eux; printf '%s\\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' 'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' 'path-exclude /usr/share/locale/*' 'path-exclude /usr/share/lintian/*' > /etc/dpkg/dpkg.cfg.d/bbf-slim; \\\n    apt-get update;"
            ), "dpkg leaves documentation out before the run-time packages are installed")
        let anchor = try #require(Self.stage("anchor-like", in: text))
        #expect(text.contains("FROM ${RUNTIME_IMAGE} AS anchor-like"))
        #expect(anchor.contains("COPY --from=anchor-extensions /opt/babelfish /opt/babelfish"), "the untrimmed, unstripped tree")
        let anchorEngine = try #require(Self.stage("anchor-engine", in: text))
        #expect(text.contains("FROM builder AS anchor-engine"))
        #expect(
            anchorEngine.contains("./configure CFLAGS='-ggdb' --prefix=/opt/babelfish \\\n        --enable-debug \\\n        --with-ldap"),
            "docker-babelfishpg's compile: -ggdb instead of configure's -O2, and --enable-debug")
        let anchorExtensions = try #require(Self.stage("anchor-extensions", in: text))
        #expect(text.contains("FROM anchor-engine AS anchor-extensions"), "the extensions take the anchor engine's flags through PGXS")
        #expect(anchorExtensions.contains("make -C babelfishpg_tsql install"))
        let engine = try #require(Self.stage("engine", in: text))
        #expect(!engine.contains("-ggdb") && !engine.contains("--enable-debug"), "the engine image's own compile keeps configure's -O2")
        #expect(anchor.contains("COPY --from=postgis /opt/postgis-install/opt/babelfish/ /opt/babelfish/"))
        #expect(!anchor.contains("strip"))
        #expect(!anchor.contains("rm -rf /var/lib/apt/lists"), "docker-babelfishpg keeps the package lists")
        #expect(
            anchor.contains(
                "# hadolint ignore=DL3009\nRUN set -eux; printf '%s\\n' 'Acquire::GzipIndexes \"true\";' 'Acquire::CompressionTypes::Order:: \"gz\";' 'Acquire::Languages \"none\";' > /etc/apt/apt.conf.d/docker-gzip-indexes; \\\n    apt-get update;"
            ), "package lists kept as the anchor's base keeps them (gzip-compressed)")
        for package in ["libicu72", "libproj25", "openssl", "unixodbc", "uuid", "libpam0g"] {
            #expect(anchor.contains("        \(package) \\") || anchor.contains("        \(package);"), "anchor-like installs \(package)")
        }
        let last = try #require(text.range(of: "\nFROM ", options: .backwards))
        #expect(text[last.upperBound...].hasPrefix("engine-${RUNTIME_FROM} AS runtime"), "the engine image stays the default (last) target")
        let spatialOff = try DockerfileRenderer(versions: try TestSupport.fixture(), line: "4.2", distribution: "ubuntu-24.04").render()
        #expect(!(Self.stage("install", in: spatialOff) ?? "").contains("postgis"))
        #expect(!(Self.stage("anchor-like", in: spatialOff) ?? "").contains("postgis"))
    }
}
