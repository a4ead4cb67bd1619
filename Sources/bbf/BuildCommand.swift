import ArgumentParser
import BBFBuild
import BBFSystem

struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build the engine or the pipeline image with docker (BuildKit) or podman, streaming the build's output.",
        discussion:
            "Tags <repository>:<postgres>-<babelfish>, <repository>:<line>, and latest for the default line; the pipeline image is tagged the same way in <repository>-pipeline."
    )

    @OptionGroup var repository: RepositoryOptions
    @Option(
        help:
            "What to build: engine (PostgreSQL + Babelfish + bbf-entrypoint), pipeline (the engine plus bbf_dump, bbf_dumpall, bbf, the AWS CLI and skopeo, for bbf backup and bbf bake) or anchor-like (the same sources compiled and packaged as docker-babelfishpg does, for size comparison)."
    )
    var target: ImageTarget = .engine
    @Option(help: "The line (default: versions.json defaultLine).") var line: String?
    @Option(help: "The distribution (default: the line's own).") var distribution: String?
    @Option(help: "Target platform, one per run (default: the engine's; multi-arch images: docs/BUILDING.md).")
    var platform: [TargetPlatform] = []
    @Option(help: "Another tag (name:tag, or a tag in the repository); repeatable.") var tag: [String] = []
    @Option(
        name: .customLong("repository"),
        help:
            "Repository to tag the engine image in (default: versions.json image.repository); the pipeline image goes to <repository>-pipeline."
    ) var imageRepository: String?
    @Option(help: "Air-gapped build: a directory holding the line's source archives.") var sources: String?
    @Option(help: "Use this prebuilt bbf-entrypoint (PATH or ARCH=PATH) instead of compiling it in the Swift stage.") var entrypointBinary:
        [String] = []
    @Option(
        help:
            "--target pipeline: use this prebuilt bbf (PATH or ARCH=PATH) instead of compiling it in its Swift stage (which needs network for bbf's Swift packages)."
    )
    var bbfBinary: [String] = []
    @Option(help: "Base image override: IMAGE (build and runtime stages), build=IMAGE, runtime=IMAGE or swift=IMAGE; repeatable.")
    var base: [String] = []
    @Option(
        help:
            "The engine image's runtime: minimal (only what runs, on no base image; the default) or distribution (the engine on the distribution's image, with apt, for images that install more)."
    )
    var runtime: DockerfileRenderer.Runtime?
    @Option(help: "The container engine, docker or podman, by name or as a path (default: BBF_CONTAINER_ENGINE, else docker, else podman).")
    var engine: EngineArgument?
    @Flag(
        help:
            "Also build the anchor-like image (the same sources compiled and packaged the way docker-babelfishpg does; tagged <repository>-anchor-like) and print both sizes and their ratio."
    ) var compareAnchor = false
    @Flag(help: "Build without the engine's cache.") var noCache = false
    @Flag(help: "Stage the build context and print the exact command without running it.") var dryRun = false

    func validate() throws {
        if platform.count > 1 {
            throw ValidationError(
                "--platform \(platform.map(\.rawValue).joined(separator: " ")): build one platform per run (both engines load one platform into the local image store); multi-arch manifests are assembled when pushing (docs/BUILDING.md, \"Multi-arch images\")."
            )
        }
        _ = try ImageOverrides.validated(base)
        if compareAnchor && target != .engine {
            throw ValidationError("--compare-anchor compares the engine image: leave out --target \(target.rawValue).")
        }
        if let runtime, target != .engine {
            throw ValidationError(
                "--runtime \(runtime.rawValue): only the engine image has a choice of runtime; leave --runtime out for --target \(target.rawValue)."
            )
        }
        if !bbfBinary.isEmpty && target != .pipeline {
            throw ValidationError("--bbf-binary: only the pipeline image holds bbf; add --target pipeline.")
        }
    }

    func run() throws {
        let tool = try repository.tool()
        let environment = ProcessEnvironment.current()
        // Found once for both plans of --compare-anchor (locating runs `docker --version`, the revision git).
        let containerEngine = try reporting { () throws(BuildToolError) in
            try ContainerEngine.find(requested: engine?.value, environment: environment)
        }
        let revision = BuildRunner.revision(of: tool.layout, environment: environment)
        func planned(_ target: ImageTarget) throws -> BuildPlan {
            try reporting { () throws(BuildToolError) in
                var options = BuildOptions()
                options.line = line
                options.distribution = distribution
                options.platform = platform.first
                options.extraTags = target == self.target ? tag : []
                options.repository = imageRepository
                options.sourcesDirectory = sources
                options.target = target
                options.entrypointBinaries = entrypointBinary
                options.bbfBinaries = bbfBinary
                options.baseOverrides = try ImageOverrides.parse(base)
                options.runtime = target == .engine ? runtime : nil
                options.noCache = noCache
                return try tool.planBuild(
                    options, engine: containerEngine, hostArchitecture: BuildRunner.hostArchitecture(), revision: revision)
            }
        }
        var plan = try planned(target)
        for warning in plan.warnings { Console.error("WARNING: \(warning)") }
        if !dryRun {
            try reporting { () throws(BuildToolError) in try plan.engine.checkAvailable(environment: environment) }
            let version = plan.engine.serverVersion(environment: environment)
            plan.healthStartInterval = HealthcheckStartInterval.supported(kind: plan.engine.kind, serverVersion: version)
            Console.error(HealthcheckStartInterval.remark(kind: plan.engine.kind, serverVersion: version))
        }
        var plans = [plan]
        if compareAnchor { plans.append(try planned(.anchorLike)) }
        var built: [(size: Int?, layers: [ImageLayerSize])] = []
        for plan in plans {
            let remarks = try reporting { () throws(BuildToolError) in
                try BuildContext.stage(plan, layout: tool.layout, hasher: LiveFileHasher())
            }
            for remark in remarks { Console.error(remark) }
            Console.error("build context: \(plan.contextDirectory) (from \(plan.dockerfile))")
            if dryRun {
                Console.out(plan.shellCommand)
                continue
            }
            built.append(try build(plan, environment: environment))
        }
        if built.count == 2, let engineSize = built[0].size, let anchorSize = built[1].size {
            let comparison = ImageSizeComparison(
                engine: engineSize, engineLayers: built[0].layers, anchorLike: anchorSize, anchorLayers: built[1].layers)
            for line in comparison.lines { Console.out(line) }
        }
    }

    /// Runs one build and prints its summary: tags, time, size and layers.
    private func build(_ plan: BuildPlan, environment: [String: String]) throws -> (size: Int?, layers: [ImageLayerSize]) {
        Console.error("+ \(plan.shellCommand)")
        let started = Instant.now()
        try reporting { () throws(BuildToolError) in try BuildRunner.run(plan, environment: environment) }
        let seconds = Int(started.millisecondsElapsed() / 1000)
        let size = try reporting { () throws(BuildToolError) in try BuildRunner.verifyImage(plan, environment: environment) }
        var summary = "built \(plan.tags.joined(separator: ", ")) in \(seconds / 60)m\(seconds % 60)s"
        if let size { summary += "; image size \(Int((Double(size) / 1_000_000).rounded())) MB" }
        Console.out(summary)
        let layers = BuildRunner.layers(plan, environment: environment)
        if !layers.isEmpty {
            Console.out("layers (newest first):")
            for layer in layers { Console.out(layer.summary) }
        }
        return (size, layers)
    }
}
