/// Which image of the generated Dockerfile `bbf build` builds.
public enum ImageTarget: String, Equatable, Sendable, CaseIterable {
    /// The engine image: the file's last stage, `runtime`.
    case engine
    /// The pipeline image (`bbf backup`, `bbf bake`): the `pipeline` stage.
    case pipeline
    /// The same sources compiled and packaged the way docker-babelfishpg does, for
    /// `bbf build --compare-anchor`'s size comparison: the `anchor-like` stage.
    case anchorLike = "anchor-like"

    /// The Dockerfile stage.
    public var stage: String {
        switch self {
        case .engine: "runtime"
        case .pipeline: "pipeline"
        case .anchorLike: "anchor-like"
        }
    }

    /// The repository this target is tagged in, given the engine's.
    public func repository(_ engineRepository: String) -> String {
        switch self {
        case .engine: engineRepository
        case .pipeline: engineRepository + "-pipeline"
        case .anchorLike: engineRepository + "-anchor-like"
        }
    }
}

/// What `bbf build` was asked to do.
public struct BuildOptions: Equatable, Sendable {
    public var target: ImageTarget = .engine
    /// The line; the default line when nil.
    public var line: String?
    /// The distribution; the line's own when nil.
    public var distribution: String?
    /// The platform to build for; the engine's default when nil.
    public var platform: TargetPlatform?
    /// More tags: `name:tag` references, or bare tags in the repository.
    public var extraTags: [String] = []
    /// Repository to tag in; versions.json `image.repository` when nil.
    public var repository: String?
    /// Air-gapped mode: a directory holding the line's archives.
    public var sourcesDirectory: String?
    /// Prebuilt bbf-entrypoint binaries: `PATH` or `ARCH=PATH`.
    public var entrypointBinaries: [String] = []
    /// Prebuilt bbf binaries (pipeline target): `PATH` or `ARCH=PATH`.
    public var bbfBinaries: [String] = []
    public var baseOverrides = ImageOverrides()
    /// The engine image's runtime (`RUNTIME_FROM`); the Dockerfile's default (minimal) when nil.
    public var runtime: DockerfileRenderer.Runtime?
    public var noCache = false

    public init() {}
}

/// Everything about one image build, decided before anything runs.
public struct BuildPlan: Equatable, Sendable {
    public var target: ImageTarget
    public var line: String
    public var distribution: String
    /// The committed Dockerfile, relative to the repository root.
    public var dockerfile: String
    /// The staged build context (a directory under .build/).
    public var contextDirectory: String
    public var engine: ContainerEngine
    /// Build arguments in the order they are passed.
    public var buildArguments: [BuildArgument]
    public var tags: [String]
    public var platform: String?
    /// Archives to copy into the context, when building from a local directory.
    public var sources: [StagedSource]
    /// Prebuilt entrypoints to copy into the context, by architecture.
    public var entrypoints: [StagedEntrypoint]
    /// Prebuilt bbf binaries to copy into the context, by architecture (pipeline target).
    public var bbfBinaries: [StagedBinary]
    public var patches: [String]
    public var noCache: Bool
    /// Things to say loudly before building (unverifiable downloads).
    public var warnings: [String]
    /// Add `HEALTHCHECK --start-interval` to the staged Dockerfile (the engine takes it).
    public var healthStartInterval = false

    /// The command line that runs the build.
    public var command: [String] {
        var words = [engine.path, "build"]
        switch engine.kind {
        case .docker: words.append("--progress=plain")
        case .podman: words += ["--format", "docker", "--layers"]
        }
        words += ["--file", contextDirectory + "/Dockerfile"]
        if target != .engine { words += ["--target", target.stage] }
        for argument in buildArguments {
            words += ["--build-arg", "\(argument.name)=\(argument.value)"]
        }
        if let platform { words += ["--platform", platform] }
        if noCache { words.append("--no-cache") }
        for tag in tags { words += ["--tag", tag] }
        words.append(contextDirectory)
        return words
    }

    /// Environment variables the command needs beyond the current ones.
    public var environment: [String: String] {
        engine.kind == .docker ? ["DOCKER_BUILDKIT": "1"] : [:]
    }

    /// The command as it would be typed in a shell.
    public var shellCommand: String {
        let prefix = environment.keys.sorted().compactMap { key in environment[key].map { "\(key)=\(ShellQuote.word($0)) " } }.joined()
        return prefix + ShellQuote.commandLine(command)
    }
}

public struct BuildArgument: Equatable, Sendable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

public struct StagedSource: Equatable, Sendable {
    public var source: ResolvedSource
    /// The archive on this machine.
    public var path: String

    public init(source: ResolvedSource, path: String) {
        self.source = source
        self.path = path
    }
}

/// A prebuilt bbf-entrypoint.
public typealias StagedEntrypoint = StagedBinary

/// A prebuilt executable for the build context, for one architecture.
public struct StagedBinary: Equatable, Sendable {
    /// Docker architecture name: amd64, arm64.
    public var architecture: String
    public var path: String

    public init(architecture: String, path: String) {
        self.architecture = architecture
        self.path = path
    }
}

/// Turns options into a plan. Pure: what it needs from the machine is passed in.
public enum BuildPlanner {
    /// The plan for `options`: the Dockerfile, context directory, build arguments,
    /// tags and what to stage; throws for options that name nothing buildable.
    public static func plan(
        _ options: BuildOptions, versions: Versions, layout: RepositoryLayout, engine: ContainerEngine, hostArchitecture: String,
        revision: String
    ) throws(BuildToolError) -> BuildPlan {
        let lineName = options.line ?? versions.defaultLine
        let target = try versions.dockerfileTarget(line: lineName, distribution: options.distribution)
        let line = try versions.line(named: lineName)
        let engineRepository = options.repository ?? versions.image.repository
        if let problem = ImageReference.repositoryProblem(engineRepository) {
            throw BuildToolError(.invalidArgument, "--repository \(engineRepository): \(problem)")
        }
        let platform = options.platform?.rawValue
        let architecture = options.platform?.architecture ?? hostArchitecture

        var arguments: [BuildArgument] = []
        let overrides = options.baseOverrides
        if let image = overrides.build { arguments.append(BuildArgument(name: "BUILD_IMAGE", value: image)) }
        if let image = overrides.runtime { arguments.append(BuildArgument(name: "RUNTIME_IMAGE", value: image)) }
        if let image = overrides.swift { arguments.append(BuildArgument(name: "SWIFT_IMAGE", value: image)) }

        var staged: [StagedSource] = []
        if let directory = options.sourcesDirectory {
            arguments.append(BuildArgument(name: "SOURCES_FROM", value: "context"))
            let spatial = try versions.distribution(named: options.distribution ?? line.distribution).spatialTypes
            staged = versions.sources(for: line, spatialTypes: spatial).map {
                StagedSource(source: $0, path: directory + "/" + $0.file)
            }
        }
        let entrypoints = try binaries(options.entrypointBinaries, flag: "--entrypoint-binary", building: architecture)
        if !entrypoints.isEmpty { arguments.append(BuildArgument(name: "ENTRYPOINT_FROM", value: "context")) }
        if !options.bbfBinaries.isEmpty && options.target != .pipeline {
            throw BuildToolError(
                .invalidArgument,
                "--bbf-binary: only the pipeline image holds bbf; add --target pipeline, or leave --bbf-binary out for the engine image.")
        }
        let bbfBinaries = try binaries(options.bbfBinaries, flag: "--bbf-binary", building: architecture)
        if !bbfBinaries.isEmpty { arguments.append(BuildArgument(name: "BBF_FROM", value: "context")) }
        if let runtime = options.runtime {
            guard options.target == .engine else {
                throw BuildToolError(
                    .invalidArgument,
                    "--runtime \(runtime.rawValue): only the engine image has a choice of runtime (the pipeline image is always on the distribution's image); leave --runtime out for --target \(options.target.rawValue)."
                )
            }
            arguments.append(BuildArgument(name: "RUNTIME_FROM", value: runtime.rawValue))
        }
        arguments.append(BuildArgument(name: "SOURCE_REVISION", value: revision))

        let isDefaultDistribution = target.distribution == line.distribution
        let suffix = isDefaultDistribution ? "" : "-\(target.distribution)"
        let repository = options.target.repository(engineRepository)
        var tags = ["\(repository):\(line.postgres)-\(line.babelfish)\(suffix)", "\(repository):\(lineName)\(suffix)"]
        if lineName == versions.defaultLine && isDefaultDistribution {
            tags.append("\(repository):latest")
        }
        for tag in options.extraTags {
            let reference = tag.contains(":") || tag.contains("@") ? tag : "\(repository):\(tag)"
            if let problem = ImageReference.problem(reference) {
                throw BuildToolError(.invalidArgument, "--tag \(tag): \(problem)")
            }
            if !tags.contains(reference) { tags.append(reference) }
        }

        let contextName =
            "\(lineName)-\(target.distribution)-\(engine.kind.rawValue)" + (options.target == .engine ? "" : "-\(options.target.rawValue)")
        return BuildPlan(
            target: options.target, line: lineName, distribution: target.distribution, dockerfile: target.path,
            contextDirectory: layout.path(".build/bbf/context/\(contextName)"), engine: engine,
            buildArguments: arguments, tags: tags, platform: platform, sources: staged, entrypoints: entrypoints, bbfBinaries: bbfBinaries,
            patches: line.patches.map { "\(RepositoryLayout.patchesDirectory(line: lineName))/\($0.file)" }, noCache: options.noCache,
            warnings: options.sourcesDirectory != nil
                ? [] : unverifiedDownloadWarning(versions, line: lineName, chosen: options.line != nil).map { [$0] } ?? [])
    }

    /// `PATH` or `ARCH=PATH` values of `flag`: at most one per architecture,
    /// and (when any is given) one for the architecture being built.
    static func binaries(_ values: [String], flag: String, building architecture: String) throws(BuildToolError) -> [StagedBinary] {
        var result: [StagedBinary] = []
        for value in values {
            var arch = architecture
            var path = value
            if let equals = value.firstIndex(of: "="), ["amd64", "arm64"].contains(String(value[..<equals])) {
                arch = String(value[..<equals])
                path = String(value[value.index(after: equals)...])
            }
            if result.contains(where: { $0.architecture == arch }) {
                throw BuildToolError(
                    .invalidArgument, "\(flag): two binaries for \(arch); give one per architecture as amd64=PATH or arm64=PATH.")
            }
            result.append(StagedBinary(architecture: arch, path: path))
        }
        if !result.isEmpty && !result.contains(where: { $0.architecture == architecture }) {
            throw BuildToolError(
                .invalidArgument, "\(flag): no binary for \(architecture), the architecture being built; pass \(architecture)=PATH.")
        }
        return result
    }

    /// What to say before a build that downloads archives with no pinned
    /// sha256: which ones, and how to build from verified sources instead.
    static func unverifiedDownloadWarning(_ versions: Versions, line name: String, chosen: Bool) -> String? {
        guard let line = versions.lines[name] else { return nil }
        let unpinned = versions.sources(for: line).filter { $0.checksum.sha256 == nil }
        guard !unpinned.isEmpty else { return nil }
        let which =
            chosen
            ? "line \(name)"
            : "line \(name) (the default line; --line picks another of \(versions.lineNames.joined(separator: ", ")))"
        let path = JSONPath.root.appending("lines").appending(name).appending("checksums")
        return
            "\(which) is built from downloads that cannot be verified: no sha256 is pinned for \(unpinned.map(\.file).joined(separator: ", ")) (versions.json \(path)). The build prints their checksums and goes on. To build from verified sources, first run `bbf pin --line \(name)` on a machine with internet and commit versions.json, or pass --sources DIR with archives whose checksums versions.json records."
    }

    /// Docker's name for a `uname -m` machine name.
    public static func architecture(ofMachine machine: String) -> String {
        switch machine {
        case "x86_64": return "amd64"
        case "aarch64", "arm64": return "arm64"
        default: return machine
        }
    }
}
