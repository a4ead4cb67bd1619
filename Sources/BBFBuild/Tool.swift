/// The build tool's commands over a repository. Each returns what happened;
/// the `bbf` executable only parses arguments and prints.
public struct Tool<Files: RepositoryFiles> {
    public var layout: RepositoryLayout
    public var files: Files

    public init(layout: RepositoryLayout, files: Files) {
        self.layout = layout
        self.files = files
    }

    public func versions() throws(BuildToolError) -> Versions {
        try layout.loadVersions(files)
    }

    /// `bbf dockerfile`: writes the generated Dockerfiles (of one line, or all);
    /// returns the paths that changed.
    public func writeDockerfiles(line: String?) throws(BuildToolError) -> [String] {
        let versions = try versions()
        return try Generator.write(try Generator.render(versions, line: line), layout: layout, files: files)
    }

    /// `bbf dockerfile --output`: one Dockerfile, optionally with other base images.
    public func renderDockerfile(line: String, distribution: String?, overrides: ImageOverrides) throws(BuildToolError) -> String {
        try DockerfileRenderer(versions: try versions(), line: line, distribution: distribution, overrides: overrides).render()
    }

    /// `bbf check`.
    public func check() throws(BuildToolError) -> CheckReport {
        try Checker.check(layout: layout, files: files)
    }

    /// `bbf format`: rewrites versions.json in canonical form; whether it changed.
    public func format() throws(BuildToolError) -> Bool {
        let versions = try versions()
        let text = versions.serialized()
        guard try files.read(layout.versionsPath) != text else { return false }
        try files.write(layout.versionsPath, text)
        return true
    }

    /// What `bbf bump` did (or would do, in a dry run).
    public struct BumpOutcome {
        public var result: BumpResult
        /// The versions.json diff.
        public var diff: String
        /// Files written (none in a dry run).
        public var written: [String]
        /// What upstream said about the new archives (or that it was not asked).
        public var upstream: [String]
    }

    /// `bbf bump`: validates and applies a bump, asks upstream (with `probe`)
    /// whether the new archives exist, then regenerates the Dockerfiles. A
    /// refusal throws before anything is written.
    public func bump(_ request: BumpRequest, dryRun: Bool, probe: (some UpstreamProbe)?) throws(BuildToolError) -> BumpOutcome {
        let current = try versions()
        let result = try Bump.apply(request, to: current)
        var upstream: [String] = []
        if !result.isNoOp && !result.newFiles.isEmpty {
            if let probe {
                upstream = try Bump.checkUpstream(result, line: request.line, probe: probe)
            } else {
                upstream = ["not checked upstream (--no-verify-upstream): \(result.newFiles.joined(separator: ", ")) may not exist."]
            }
        }
        let newText = result.versions.serialized()
        let oldText = try files.read(layout.versionsPath) ?? ""
        let diff = UnifiedDiff.diff(old: oldText, new: newText, oldName: "versions.json", newName: "versions.json (bumped)")
        let generated = try Generator.render(result.versions)
        guard !dryRun, !result.isNoOp else {
            return BumpOutcome(result: result, diff: diff, written: [], upstream: upstream)
        }
        var written = try Generator.write(generated, layout: layout, files: files)
        if oldText != newText {
            try files.write(layout.versionsPath, newText)
            written.insert(RepositoryLayout.versionsFile, at: 0)
        }
        return BumpOutcome(result: result, diff: diff, written: written, upstream: upstream)
    }

    /// `bbf bump` without asking upstream.
    public func bump(_ request: BumpRequest, dryRun: Bool) throws(BuildToolError) -> BumpOutcome {
        try bump(request, dryRun: dryRun, probe: CurlProbe?.none)
    }

    /// `bbf pin`: records checksums, then regenerates the Dockerfiles (their verify steps change).
    public func pin(
        _ request: PinRequest, downloader: some Downloader, hasher: some FileHasher, progress: (String) -> Void
    ) throws(BuildToolError) -> (result: PinResult, written: [String]) {
        let result = try Pin.run(request, versions: try versions(), downloader: downloader, hasher: hasher, progress: progress)
        var written = try Generator.write(try Generator.render(result.versions), layout: layout, files: files)
        let text = result.versions.serialized()
        if try files.read(layout.versionsPath) != text {
            try files.write(layout.versionsPath, text)
            written.insert(RepositoryLayout.versionsFile, at: 0)
        }
        return (result, written)
    }

    /// `bbf build` (planning part): refuses when the committed Dockerfile drifted.
    public func planBuild(
        _ options: BuildOptions, engine: ContainerEngine, hostArchitecture: String, revision: String
    ) throws(BuildToolError) -> BuildPlan {
        let versions = try versions()
        let plan = try BuildPlanner.plan(
            options, versions: versions, layout: layout, engine: engine, hostArchitecture: hostArchitecture, revision: revision)
        let rendered = try DockerfileRenderer(versions: versions, line: plan.line, distribution: plan.distribution).render()
        let committed = try files.read(layout.path(plan.dockerfile))
        guard committed == rendered else {
            throw BuildToolError(
                .drift,
                "\(plan.dockerfile) \(committed == nil ? "is missing" : "differs from what versions.json renders"): run `bbf dockerfile` (and `bbf check`) first, so the image is built from the committed file."
            )
        }
        for patch in plan.patches where try files.read(layout.path(patch)) == nil {
            throw BuildToolError(.fileSystem, "\(patch) is listed in versions.json but does not exist.")
        }
        return plan
    }
}
