/// The contents of versions.json: every version, source, checksum and base
/// image the generated Dockerfiles use. Nothing version-specific lives in the
/// templates.
public struct Versions: Equatable, Sendable, Encodable {
    /// The schema this file follows; `Versions.currentSchema`.
    public var schemaVersion: Int
    /// The line built by default and tagged `latest`.
    public var defaultLine: String
    /// Where built images are tagged.
    public var image: ImageSettings
    /// The Swift toolchain version the entrypoint is compiled with (`{swift}` in image references).
    public var swift: String
    /// Where each kind of source comes from, with `{placeholders}`.
    public var sources: SourceTemplates
    /// Build and runtime distributions, by name (e.g. "debian-12").
    public var distributions: [String: Distribution]
    /// Release lines, by name (Babelfish MAJOR.MINOR, e.g. "5.2").
    public var lines: [String: ReleaseLine]

    public static let currentSchema = 1

    public init(
        schemaVersion: Int = Versions.currentSchema, defaultLine: String, image: ImageSettings, swift: String,
        sources: SourceTemplates, distributions: [String: Distribution], lines: [String: ReleaseLine]
    ) {
        self.schemaVersion = schemaVersion
        self.defaultLine = defaultLine
        self.image = image
        self.swift = swift
        self.sources = sources
        self.distributions = distributions
        self.lines = lines
    }

    /// Line names, sorted by version (newest last).
    public var lineNames: [String] {
        lines.keys.sorted { VersionOrder.precedes($0, $1) }
    }

    /// Distribution names, sorted.
    public var distributionNames: [String] { distributions.keys.sorted() }
}

public struct ImageSettings: Equatable, Sendable, Encodable {
    /// Repository built images are tagged in, e.g. "babelfish-dev" or "registry.example.com/team/babelfish".
    public var repository: String

    public init(repository: String) {
        self.repository = repository
    }
}

/// One way of fetching a source archive. `url`, `file` and `directory` may hold
/// `{engineTag}`, `{extensionsTag}`, `{postgres}`, `{babelfish}`, `{antlr}`,
/// `{pgHintPlan}` and `{postgis}`.
public struct SourceTemplate: Equatable, Sendable, Encodable {
    /// Where to download the archive.
    public var url: String
    /// The archive's file name (downloads are saved under it; air-gapped
    /// directories must hold it under it).
    public var file: String
    /// The top-level directory the archive unpacks to.
    public var directory: String

    public init(url: String, file: String, directory: String) {
        self.url = url
        self.file = file
        self.directory = directory
    }
}

public struct SourceTemplates: Equatable, Sendable, Encodable {
    /// The combined release tarball (engine with the extensions in its contrib/).
    public var release: SourceTemplate
    /// postgresql_modified_for_babelfish at the engine tag.
    public var engine: SourceTemplate
    /// babelfish_extensions at the extensions tag.
    public var extensions: SourceTemplate
    /// The ANTLR 4 sources (the C++ runtime is in runtime/Cpp).
    public var antlr: SourceTemplate
    /// pg_hint_plan at the line's release tag (Babelfish maps T-SQL hints onto it).
    public var pgHintPlan: SourceTemplate
    /// PostGIS at the line's version (Babelfish's geometry/geography call its library).
    public var postgis: SourceTemplate

    public init(
        release: SourceTemplate, engine: SourceTemplate, extensions: SourceTemplate, antlr: SourceTemplate,
        pgHintPlan: SourceTemplate, postgis: SourceTemplate
    ) {
        self.release = release
        self.engine = engine
        self.extensions = extensions
        self.antlr = antlr
        self.pgHintPlan = pgHintPlan
        self.postgis = postgis
    }
}

/// A Linux distribution the image can be built on and run on.
public struct Distribution: Equatable, Sendable, Encodable {
    /// Human-readable name, e.g. "Debian 12 (bookworm)".
    public var name: String
    public var images: BaseImages
    public var packages: PackageLists
    /// Flags the distribution's compiler needs to build babelfishpg_tsql.
    public var compilerFlags: CompilerFlags
    /// Whether images for it carry the spatial types (`geometry`, `geography`):
    /// PostGIS is built, babelfishpg_common and babelfishpg_tsql are compiled
    /// with `-DENABLE_SPATIAL_TYPES`, and `packages.spatialRuntime` is installed.
    public var spatialTypes: Bool
    /// Whether babelfishpg_tsql is compiled with `-DENABLE_TDS_LIB` and linked
    /// with FreeTDS's libsybdb (`packages.linkedServersBuild` at build time),
    /// so linked servers (`sp_addlinkedserver`, `OPENQUERY`) work as on Aurora.
    public var linkedServers: Bool

    public init(
        name: String, images: BaseImages, packages: PackageLists, compilerFlags: CompilerFlags, spatialTypes: Bool,
        linkedServers: Bool
    ) {
        self.name = name
        self.images = images
        self.packages = packages
        self.compilerFlags = compilerFlags
        self.spatialTypes = spatialTypes
        self.linkedServers = linkedServers
    }
}

/// Extra compiler flags for babelfishpg_tsql, which builds with -Werror: each
/// compiler release warns about something new.
public struct CompilerFlags: Equatable, Sendable, Encodable {
    /// `COPT` for the tsql make (C files), e.g. gcc 12 needs
    /// "-Wno-error=maybe-uninitialized -fcommon".
    public var tsqlCOPT: String
    /// Appended to `pg_config --cppflags` as the tsql make's `CPPFLAGS`, which
    /// reaches C and C++ files, e.g. gcc 13 needs "-Wno-error=overloaded-virtual"
    /// for the ANTLR 4.9 headers. Empty for none.
    public var tsqlCPPFLAGS: String

    public init(tsqlCOPT: String, tsqlCPPFLAGS: String) {
        self.tsqlCOPT = tsqlCOPT
        self.tsqlCPPFLAGS = tsqlCPPFLAGS
    }
}

/// Base image references (`name:tag`, optionally `@sha256:<digest>`).
public struct BaseImages: Equatable, Sendable, Encodable {
    /// The stages that compile (engine, ANTLR runtime, extensions).
    public var build: String
    /// The slim runtime stage.
    public var runtime: String
    /// The stage that compiles bbf-entrypoint; `{swift}` is the Swift version.
    public var swift: String

    public init(build: String, runtime: String, swift: String) {
        self.build = build
        self.runtime = runtime
        self.swift = swift
    }
}

/// Distribution package names. The build and runtime lists differ.
public struct PackageLists: Equatable, Sendable, Encodable {
    /// Compilers and -dev packages for the engine, ANTLR and the extensions.
    public var build: [String]
    /// Run-time libraries of PostgreSQL, Babelfish, bbf-entrypoint and bbf.
    public var runtime: [String]
    /// -dev packages bbf-entrypoint compiles against (installed in its Swift stage).
    public var entrypointBuild: [String]
    /// -dev packages bbf compiles against beyond `entrypointBuild` (its Swift
    /// stage installs both: bbf links everything bbf-entrypoint does). May be empty.
    public var bbfBuild: [String]
    /// What the pipeline image adds to the engine image: the AWS CLI, the
    /// daemonless image tools, CA certificates. No compilers, no -dev packages.
    public var pipeline: [String]
    /// What PostGIS compiles with beyond `build` (autotools for a git-tag archive,
    /// GEOS, PROJ, json-c), installed in its own stage only when `spatialTypes` is on.
    public var spatialBuild: [String]
    /// PostGIS's run-time libraries, added to the runtime image when `spatialTypes` is on.
    public var spatialRuntime: [String]
    /// What `localedef` needs (the locale sources), installed only in the stage
    /// that compiles the cultures' locales; the runtime image gets the archive alone.
    public var locales: [String]
    /// FreeTDS's -dev package, installed in the extensions stage just before
    /// babelfishpg_tsql compiles when `linkedServers` is on (its run-time
    /// library, libsybdb, is in `runtime` already: bbf-entrypoint links it).
    public var linkedServersBuild: [String]

    public init(
        build: [String], runtime: [String], entrypointBuild: [String], bbfBuild: [String], pipeline: [String],
        spatialBuild: [String], spatialRuntime: [String], locales: [String], linkedServersBuild: [String]
    ) {
        self.build = build
        self.runtime = runtime
        self.entrypointBuild = entrypointBuild
        self.bbfBuild = bbfBuild
        self.pipeline = pipeline
        self.spatialBuild = spatialBuild
        self.spatialRuntime = spatialRuntime
        self.locales = locales
        self.linkedServersBuild = linkedServersBuild
    }

    /// What bbf's Swift stage installs: `entrypointBuild` and `bbfBuild`, sorted, once each.
    public var bbfStage: [String] { Array(Set(entrypointBuild + bbfBuild)).sorted() }
}

/// How a line's Babelfish sources are fetched.
public enum SourceLayout: String, Equatable, Sendable, CaseIterable {
    /// One combined release tarball holding the engine and, in its contrib/, the extensions.
    case releaseTarball = "release-tarball"
    /// Two archives: the engine repository and the extensions repository at their tags.
    case gitTags = "git-tags"
}

/// Which tree a patch applies to.
public enum PatchTarget: String, Equatable, Sendable, CaseIterable {
    case engine
    case extensions
    case antlr
}

/// A patch under `patches/<line>/`, applied with `patch -p1` in the target tree.
public struct PatchEntry: Equatable, Sendable, Encodable {
    public var file: String
    public var target: PatchTarget

    public init(file: String, target: PatchTarget) {
        self.file = file
        self.target = target
    }
}

/// The checksums known for one archive file. Absent means "not known yet".
public struct Checksum: Equatable, Sendable {
    /// sha256 of the bytes served at the source's URL.
    public var sha256: String?
    /// sha256 of a locally made archive of the same tree
    /// (`git archive --format=tar.gz --prefix=<directory>/ <tag>`), as found in
    /// air-gapped source directories. It says nothing about the URL's bytes.
    public var localArchiveSha256: String?

    public init(sha256: String? = nil, localArchiveSha256: String? = nil) {
        self.sha256 = sha256
        self.localArchiveSha256 = localArchiveSha256
    }

    public var isEmpty: Bool { sha256 == nil && localArchiveSha256 == nil }
}

/// A release line: one PostgreSQL + Babelfish pairing, as Aurora ships it.
public struct ReleaseLine: Equatable, Sendable, Encodable {
    public var postgres: PostgresVersion
    public var babelfish: BabelfishVersion
    /// The ANTLR version (tool jar in the extensions tree and C++ runtime).
    public var antlr: String
    /// The distribution `docker/<line>/Dockerfile` is rendered for.
    public var distribution: String
    public var sourceLayout: SourceLayout
    /// Checksums by archive file name; every archive the line uses has an entry.
    public var checksums: [String: Checksum]
    /// Patches, applied in this order.
    public var patches: [PatchEntry]
    /// The pg_hint_plan release tag for the line's PostgreSQL major, e.g. `REL16_1_6_0`.
    public var pgHintPlan: String
    /// The PostGIS version built when the distribution has `spatialTypes` on, e.g. `3.4.0`.
    public var postgis: String
    /// The cultures (`FORMAT(..., 'en-US')`) whose OS locales the runtime image
    /// carries; Babelfish sets `lc_time`/`lc_numeric` to `xx_YY.UTF-8` and
    /// `lc_monetary` to `xx_YY` for them.
    public var cultures: [String]

    public init(
        postgres: PostgresVersion, babelfish: BabelfishVersion, antlr: String, distribution: String,
        sourceLayout: SourceLayout, checksums: [String: Checksum], patches: [PatchEntry],
        pgHintPlan: String, postgis: String, cultures: [String]
    ) {
        self.postgres = postgres
        self.babelfish = babelfish
        self.antlr = antlr
        self.distribution = distribution
        self.sourceLayout = sourceLayout
        self.checksums = checksums
        self.patches = patches
        self.pgHintPlan = pgHintPlan
        self.postgis = postgis
        self.cultures = cultures
    }

    /// The glibc locale names of `cultures` (`en-US` → `en_US`), in order.
    public var localeNames: [String] { cultures.map { $0.replacing("-", with: "_") } }

    /// The engine repository's tag, e.g. `BABEL_5_2_0__PG_17_5`.
    public var engineTag: String { "\(extensionsTag)__PG_\(postgres.major)_\(postgres.minor)" }

    /// The extensions repository's tag, e.g. `BABEL_5_2_0`.
    public var extensionsTag: String { "BABEL_\(babelfish.major)_\(babelfish.minor)_\(babelfish.patch)" }
}
