/// Renders the multi-stage Dockerfile of one line on one distribution.
/// Pure: the same versions give the same bytes.
public struct DockerfileRenderer: Sendable {
    public var versions: Versions
    public var lineName: String
    public var line: ReleaseLine
    public var distributionName: String
    public var distribution: Distribution
    /// Base images after overrides.
    public var images: BaseImages
    public var sources: [ResolvedSource]

    /// - Parameters:
    ///   - distribution: the line's own distribution when nil.
    ///   - overrides: base images baked in as the `ARG` defaults instead of the distribution's.
    public init(
        versions: Versions, line lineName: String, distribution: String? = nil, overrides: ImageOverrides = ImageOverrides()
    ) throws(BuildToolError) {
        self.versions = versions
        self.lineName = lineName
        line = try versions.line(named: lineName)
        distributionName = distribution ?? line.distribution
        self.distribution = try versions.distribution(named: distributionName)
        images = overrides.applied(to: versions.images(of: self.distribution))
        sources = versions.sources(for: line, spatialTypes: self.distribution.spatialTypes)
    }

    /// The Dockerfile text.
    public func render() -> String {
        var writer = DockerfileWriter()
        header(&writer)
        builderStage(&writer)
        archiveStages(&writer)
        antlrStage(&writer)
        sourcesStage(&writer)
        engineStage(&writer)
        extensionsStage(&writer)
        pgHintPlanStage(&writer)
        postgisStage(&writer)
        installStage(&writer)
        entrypointStages(&writer)
        localesStage(&writer)
        engineRuntimeStage(&writer)
        minimalRuntimeStages(&writer)
        dumpToolsStage(&writer)
        bbfStages(&writer)
        pipelineStage(&writer)
        engineStage(&writer, compile: .anchor)
        extensionsStage(&writer, compile: .anchor)
        anchorLikeStage(&writer)
        runtimeStage(&writer)
        return writer.text
    }

    var patchesDirectory: String { RepositoryLayout.patchesDirectory(line: lineName) }

    /// `lines["5.2"]` as it appears in messages.
    var linePath: String { JSONPath.root.appending("lines").appending(lineName).description }

    /// `linePath` for use inside a double-quoted shell string.
    var quotedLinePath: String { linePath.replacing("\"", with: "\\\"") }

    /// Installs distribution packages and leaves no package lists or downloaded
    /// packages behind (not every base image cleans them itself). No apt
    /// cache mounts: buildah 1.28 leaves the first of two `sharing=locked` cache
    /// mounts of one RUN locked, which hangs the next stage that mounts it.
    func aptInstall(_ packages: [String]) -> [String] {
        aptInstall(packages, keepLists: false)
    }

    /// `aptInstall` that may keep the package lists (the anchor-like stage
    /// reproduces an image that does).
    func aptInstall(_ packages: [String], keepLists: Bool) -> [String] {
        let install = [
            "apt-get update",
            DockerfileWriter.wrapped("apt-get install --yes --no-install-recommends", packages),
            "apt-get clean",
        ]
        return keepLists ? install : install + ["rm -rf /var/lib/apt/lists/*"]
    }

    /// What dpkg leaves out of packages installed from here on, as Debian's
    /// and Ubuntu's own slim images do: documentation (but the copyright
    /// files), manual pages, info pages and message translations.
    static let slimDpkgConfiguration = "/etc/dpkg/dpkg.cfg.d/bbf-slim"
    func slimDpkg() -> String {
        let rules = [
            "path-exclude /usr/share/doc/*", "path-include /usr/share/doc/*/copyright", "path-exclude /usr/share/man/*",
            "path-exclude /usr/share/info/*", "path-exclude /usr/share/locale/*", "path-exclude /usr/share/lintian/*",
        ]
        return "printf '%s\\n' \(rules.map(ShellQuote.single).joined(separator: " ")) > \(Self.slimDpkgConfiguration)"
    }

    func source(_ role: SourceRole) -> ResolvedSource? {
        sources.first { $0.role == role }
    }

    private func header(_ writer: inout DockerfileWriter) {
        let unpinned = sources.filter { $0.checksum.sha256 == nil && $0.checksum.localArchiveSha256 == nil }
        var text = """
            GENERATED — DO NOT EDIT. Rendered by `bbf dockerfile` from versions.json:
              line \(lineName): Babelfish \(line.babelfish) on PostgreSQL \(line.postgres), ANTLR \(line.antlr)
              engine tag \(line.engineTag), extensions tag \(line.extensionsTag), source layout \(line.sourceLayout.rawValue)
              distribution \(distributionName): \(distribution.name)
            To change it, edit versions.json or \(patchesDirectory)/ and run `swift run bbf dockerfile`;
            `bbf check` fails while this file differs from what the generator renders.

            Build it with `swift run bbf build --line \(lineName)` (see docs/BUILDING.md), or from the
            repository root with `docker build -f <this file> .` (BuildKit) or `podman build --format docker`.
            Targets: the last stage, runtime, is the engine image (the default). `--target pipeline`
            (`bbf build --target pipeline`) is the pipeline image: the engine plus bbf_dump, bbf_dumpall,
            bbf, the AWS CLI and skopeo, for `bbf backup` and `bbf bake`.
            Build arguments:
              BUILD_IMAGE, RUNTIME_IMAGE, SWIFT_IMAGE  base images (references may carry @sha256: digests)
              SOURCES_FROM     download: fetch the archives and verify their sha256 (default)
                               context: take them from sources/ in the build context (air-gapped builds)
              ENTRYPOINT_FROM  swift: compile bbf-entrypoint in the Swift stage (default)
                               context: take entrypoint/<arch>/bbf-entrypoint from the build context
              BBF_FROM         swift: compile bbf in its Swift stage (default; pipeline target only). It resolves
                               and downloads bbf's Swift packages (swift-argument-parser, swift-crypto): needs network
                               context: take bbf/<arch>/bbf from the build context (air-gapped builds)
              RUNTIME_FROM     minimal: the engine image holds only what runs, on no base image (default)
                               distribution: the engine image is the distribution's image plus the engine (has apt)
              SOURCE_REVISION  this repository's revision, recorded in the image labels
            Portable to Docker 20.10+ with BuildKit and to podman/buildah 1.28+: no syntax line, no
            heredocs, no COPY --link, no ADD --checksum (checksums are verified in RUN steps).
            """
        if !unpinned.isEmpty {
            text += "\n\nWARNING: no sha256 is pinned yet for \(unpinned.map(\.file).joined(separator: ", ")).\n"
            text += "The build prints their checksums but cannot verify them; run `bbf pin --line \(lineName)`."
        }
        writer.comment(text)
        writer.blank()
        writer.instruction("ARG BUILD_IMAGE=\(images.build)")
        writer.instruction("ARG RUNTIME_IMAGE=\(images.runtime)")
        writer.instruction("ARG SWIFT_IMAGE=\(images.swift)")
        writer.instruction("ARG SOURCES_FROM=download")
        writer.instruction("ARG ENTRYPOINT_FROM=swift")
        writer.instruction("ARG BBF_FROM=swift")
        writer.instruction("ARG RUNTIME_FROM=\(Runtime.minimal.rawValue)")
    }
}
