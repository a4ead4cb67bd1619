/// An archive whose upstream sha256 is not pinned yet.
public struct UnpinnedArchive: Equatable, Sendable {
    public var line: String
    public var file: String

    public init(line: String, file: String) {
        self.line = line
        self.file = file
    }
}

/// What `bbf check` found.
public struct CheckReport: Equatable, Sendable {
    /// Things that make the check fail, each with what to do about it.
    public var problems: [String] = []
    /// Things reported loudly without failing (unless strict): unpinned checksums.
    public var warnings: [String] = []
    /// The archives those warnings are about.
    public var unpinned: [UnpinnedArchive] = []
    /// Files that were compared and matched.
    public var verified: [String] = []

    public init() {}

    /// Whether the check passes (`strict` also fails while any checksum is unpinned).
    public func passes(strict: Bool) -> Bool {
        problems.isEmpty && (!strict || unpinned.isEmpty)
    }

    /// The last line `bbf check` prints.
    public func summary(strict: Bool) -> String {
        if passes(strict: strict) {
            return
                "bbf check: OK (\(verified.count) files verified\(warnings.isEmpty ? "" : ", \(warnings.count) unpinned checksum warning(s)"))."
        }
        guard strict && !unpinned.isEmpty else { return "bbf check: FAILED (\(problems.count) problem(s))." }
        let byLine = Dictionary(grouping: unpinned, by: \.line).sorted { VersionOrder.precedes($0.key, $1.key) }
        let files = byLine.map { line, archives in "line \(line): \(archives.map(\.file).joined(separator: ", "))" }.joined(separator: "; ")
        let lines = byLine.map(\.key)
        let pin = lines.count == 1 ? "bbf pin --line \(lines[0])" : "bbf pin"
        return
            "bbf check: FAILED (\(problems.count) problem(s); --strict: \(unpinned.count) archive(s) without a pinned sha256: \(files)). Run `\(pin)` on a machine with internet (it downloads them and records their sha256), review the diff and commit versions.json."
    }
}

/// `bbf check`: versions.json valid and tidy, committed Dockerfiles identical to
/// what the generator renders now, listed patches present and nothing unlisted.
public enum Checker {
    /// Runs every check; problems found in files are in the report, not thrown.
    public static func check(layout: RepositoryLayout, files: some RepositoryFiles) throws(BuildToolError) -> CheckReport {
        var report = CheckReport()
        let versions: Versions
        do {
            versions = try layout.loadVersions(files)
        } catch {
            report.problems.append(error.description)
            return report
        }
        if let text = try files.read(layout.versionsPath), text != versions.serialized() {
            let diff = UnifiedDiff.diff(
                old: text, new: versions.serialized(), oldName: "versions.json (committed)", newName: "versions.json (canonical form)")
            report.problems.append(
                "versions.json is not in its canonical form (fixed key order, sorted maps, two-space indentation), so edits would not give minimal diffs. Run `bbf format`.\n\(diff)"
            )
        } else {
            report.verified.append(RepositoryLayout.versionsFile)
        }
        try checkDockerfiles(versions, layout: layout, files: files, into: &report)
        try checkPatches(versions, layout: layout, files: files, into: &report)
        for (line, source) in versions.unpinnedSources() {
            let local = source.checksum.localArchiveSha256 == nil ? "" : " (only a local git-archive checksum is recorded)"
            report.warnings.append(
                "line \(line): no sha256 pinned for \(source.file)\(local): downloads of \(source.url) are NOT verified. Run `bbf pin --line \(line)` on a machine with internet."
            )
            report.unpinned.append(UnpinnedArchive(line: line, file: source.file))
        }
        return report
    }

    private static func checkDockerfiles(
        _ versions: Versions, layout: RepositoryLayout, files: some RepositoryFiles, into report: inout CheckReport
    ) throws(BuildToolError) {
        let generated = try Generator.render(versions)
        for file in generated {
            let path = file.target.path
            guard let committed = try files.read(layout.path(path)) else {
                report.problems.append("\(path) is missing: run `bbf dockerfile` and commit it.")
                continue
            }
            if committed == file.text {
                report.verified.append(path)
            } else {
                let diff = UnifiedDiff.diff(
                    old: committed, new: file.text, oldName: "\(path) (committed)", newName: "\(path) (rendered from versions.json)")
                report.problems.append(
                    "\(path) differs from what the generator renders (it is generated: do not edit it by hand). Run `bbf dockerfile` and commit the result.\n\(diff)"
                )
            }
        }
        let expected = Set(generated.map(\.target.path))
        for directory in try files.list(layout.path("docker")) ?? []
        where files.isDirectory(layout.path("docker/\(directory)")) && looksLikeLine(directory) {
            guard versions.lines[directory] != nil else {
                report.problems.append("docker/\(directory)/ belongs to no line of versions.json: delete it (or add the line).")
                continue
            }
            for name in try files.list(layout.path("docker/\(directory)")) ?? [] where name == "Dockerfile" || name.hasSuffix(".Dockerfile")
            {
                let path = "docker/\(directory)/\(name)"
                if !expected.contains(path) {
                    report.problems.append("\(path) is not generated from versions.json (no such distribution): delete it.")
                }
            }
        }
    }

    private static func checkPatches(
        _ versions: Versions, layout: RepositoryLayout, files: some RepositoryFiles, into report: inout CheckReport
    ) throws(BuildToolError) {
        for name in versions.lineNames {
            guard let line = versions.lines[name] else { continue }
            let directory = RepositoryLayout.patchesDirectory(line: name)
            let present = try files.list(layout.path(directory)) ?? []
            for (index, patch) in line.patches.enumerated() where !present.contains(patch.file) {
                report.problems.append(
                    "lines[\"\(name)\"].patches[\(index)] lists \(directory)/\(patch.file), which does not exist: add the file or remove the entry."
                )
            }
            for file in present where file.hasSuffix(".patch") && !line.patches.contains(where: { $0.file == file }) {
                report.problems.append(
                    "\(directory)/\(file) is not listed in versions.json lines[\"\(name)\"].patches, so no build applies it: list it (with its target tree) or delete it."
                )
            }
        }
        for directory in try files.list(layout.path("patches")) ?? []
        where files.isDirectory(layout.path("patches/\(directory)")) && looksLikeLine(directory) && versions.lines[directory] == nil {
            report.problems.append("patches/\(directory)/ belongs to no line of versions.json: delete it (or add the line).")
        }
    }

    /// Directories named like a line ("5.2") belong to the generator; others (docker/scripts) do not.
    private static func looksLikeLine(_ name: String) -> Bool {
        VersionOrder.numbers(name)?.count == 2
    }
}
