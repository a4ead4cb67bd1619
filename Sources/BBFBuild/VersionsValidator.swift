/// The rules versions.json must follow beyond its shape.
enum VersionsValidator {
    static func issues(in versions: Versions) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        let root = JSONPath.root
        if versions.lines[versions.defaultLine] == nil {
            issues.append(
                ValidationIssue(
                    root.appending("defaultLine"), "\"\(versions.defaultLine)\" is not one of the lines",
                    fix: "use one of: \(versions.lineNames.map { "\"\($0)\"" }.joined(separator: ", "))"))
        }
        if let problem = ImageReference.repositoryProblem(versions.image.repository) {
            issues.append(
                ValidationIssue(
                    root.appending("image").appending("repository"), problem,
                    fix: "write e.g. \"babelfish-dev\" or \"registry.example.com/team/babelfish\""))
        }
        if !isDottedVersion(versions.swift, parts: 2...3) {
            issues.append(
                ValidationIssue(root.appending("swift"), "\"\(versions.swift)\" is not a Swift version", fix: "write e.g. \"6.3.1\""))
        }
        for role in SourceRole.allCases {
            issues += templateIssues(versions.template(for: role), at: root.appending("sources").appending(role.rawValue))
        }
        for name in versions.distributionNames {
            guard let distribution = versions.distributions[name] else { continue }
            issues += distributionIssues(name, distribution, versions, at: root.appending("distributions").appending(name))
        }
        for name in versions.lineNames {
            guard let line = versions.lines[name] else { continue }
            issues += lineIssues(name, line, versions, at: root.appending("lines").appending(name))
        }
        return issues
    }

    /// Packages that would put a compiler into the pipeline image.
    static let toolchainPackages: Set<String> = ["build-essential", "gcc", "g++", "clang", "make", "cmake"]

    private static func templateIssues(_ template: SourceTemplate, at path: JSONPath) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        for (key, text) in [("url", template.url), ("file", template.file), ("directory", template.directory)] {
            let unknown = Placeholders.names(in: text).filter { !Placeholders.sourceNames.contains($0) }
            if !unknown.isEmpty {
                issues.append(
                    ValidationIssue(
                        path.appending(key), "unknown placeholder \(unknown.map { "{\($0)}" }.joined(separator: ", "))",
                        fix: "use only \(Placeholders.sourceNames.map { "{\($0)}" }.joined(separator: ", "))"))
            }
        }
        if !(template.url.hasPrefix("https://") || template.url.hasPrefix("http://")) || template.url.contains(" ") {
            issues.append(
                ValidationIssue(path.appending("url"), "\"\(template.url)\" is not an http(s) URL", fix: "write the full https:// address"))
        }
        if !isPlainFileName(template.file) || !(template.file.hasSuffix(".tar.gz") || template.file.hasSuffix(".tgz")) {
            issues.append(
                ValidationIssue(
                    path.appending("file"), "\"\(template.file)\" is not a .tar.gz file name",
                    fix: "write a file name without '/' ending in .tar.gz, e.g. \"{engineTag}.tar.gz\""))
        }
        if !isPlainFileName(template.directory) {
            issues.append(
                ValidationIssue(
                    path.appending("directory"), "\"\(template.directory)\" is not a directory name",
                    fix: "write the archive's top-level directory, without '/'"))
        }
        return issues
    }

    private static func distributionIssues(
        _ name: String, _ distribution: Distribution, _ versions: Versions, at path: JSONPath
    ) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        if name.wholeMatch(of: /[a-z0-9][a-z0-9.-]*/) == nil {
            issues.append(
                ValidationIssue(
                    path, "\"\(name)\" is not a usable distribution name",
                    fix: "use lower-case letters, digits, '.' and '-', e.g. \"debian-12\""))
        }
        let images = versions.images(of: distribution)
        for (key, raw, expanded) in [
            ("build", distribution.images.build, images.build), ("runtime", distribution.images.runtime, images.runtime),
            ("swift", distribution.images.swift, images.swift),
        ] {
            let imagePath = path.appending("images").appending(key)
            let unknown = Placeholders.names(in: raw).filter { !Placeholders.imageNames.contains($0) }
            if !unknown.isEmpty {
                issues.append(
                    ValidationIssue(
                        imagePath, "unknown placeholder \(unknown.map { "{\($0)}" }.joined(separator: ", "))",
                        fix: "only {swift} is allowed here"))
            } else if let problem = ImageReference.problem(expanded) {
                issues.append(ValidationIssue(imagePath, problem, fix: "write name:tag, optionally followed by @sha256:<64 hex digits>"))
            }
        }
        for (key, list) in [
            ("build", distribution.packages.build), ("runtime", distribution.packages.runtime),
            ("entrypointBuild", distribution.packages.entrypointBuild), ("bbfBuild", distribution.packages.bbfBuild),
            ("pipeline", distribution.packages.pipeline), ("spatialBuild", distribution.packages.spatialBuild),
            ("spatialRuntime", distribution.packages.spatialRuntime), ("locales", distribution.packages.locales),
            ("linkedServersBuild", distribution.packages.linkedServersBuild),
        ] {
            let listPath = path.appending("packages").appending(key)
            let switchedOff =
                ((key == "spatialBuild" || key == "spatialRuntime") && !distribution.spatialTypes)
                || (key == "linkedServersBuild" && !distribution.linkedServers)
            if list.isEmpty && key != "bbfBuild" && !switchedOff {
                issues.append(ValidationIssue(listPath, "no packages", fix: "list the distribution packages this stage needs"))
            }
            var seen: Set<String> = []
            for (index, package) in list.enumerated() {
                if package.wholeMatch(of: /[a-z0-9][a-z0-9+.-]+/) == nil {
                    issues.append(
                        ValidationIssue(
                            listPath.appending(index: index), "\"\(package)\" is not a package name",
                            fix: "write the Debian/Ubuntu package name, e.g. \"libicu72\""))
                } else if !seen.insert(package).inserted {
                    issues.append(
                        ValidationIssue(listPath.appending(index: index), "\"\(package)\" is listed twice", fix: "remove the duplicate"))
                } else if key == "bbfBuild" && distribution.packages.entrypointBuild.contains(package) {
                    issues.append(
                        ValidationIssue(
                            listPath.appending(index: index), "\"\(package)\" is already in entrypointBuild",
                            fix: "remove it here: bbf's Swift stage installs entrypointBuild and bbfBuild"))
                } else if key == "spatialRuntime" && package.hasSuffix("-dev") {
                    issues.append(
                        ValidationIssue(
                            listPath.appending(index: index), "\"\(package)\" is a build package; the runtime image holds no -dev packages",
                            fix: "move it to spatialBuild and list the library package it depends on here"))
                } else if key == "pipeline" && (package.hasSuffix("-dev") || Self.toolchainPackages.contains(package)) {
                    issues.append(
                        ValidationIssue(
                            listPath.appending(index: index), "\"\(package)\" is a build package; the pipeline image holds no toolchain",
                            fix: "remove it (bbf and the dump tools are compiled in build stages)"))
                }
            }
        }
        for (key, flags) in [("tsqlCOPT", distribution.compilerFlags.tsqlCOPT), ("tsqlCPPFLAGS", distribution.compilerFlags.tsqlCPPFLAGS)]
        where flags.wholeMatch(of: /[A-Za-z0-9=_,.+\/: -]*/) == nil || (!flags.isEmpty && !flags.hasPrefix("-")) {
            issues.append(
                ValidationIssue(
                    path.appending("compilerFlags").appending(key), "\"\(flags)\" is not a list of compiler flags",
                    fix:
                        "write flags like \"-Wno-error=maybe-uninitialized -fcommon\" (no quotes, $, backslashes or backquotes), or \"\" for none"
                ))
        }
        return issues
    }

    private static func lineIssues(_ name: String, _ line: ReleaseLine, _ versions: Versions, at path: JSONPath) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        if name != line.babelfish.lineName {
            issues.append(
                ValidationIssue(
                    path.appending("babelfish"), "Babelfish \(line.babelfish) does not belong to line \"\(name)\"",
                    fix:
                        "a line holds Babelfish \(name).x; add a line \"\(line.babelfish.lineName)\" for \(line.babelfish) (bbf bump --line \(line.babelfish.lineName) --from \(name) ...)"
                ))
        }
        if line.postgres.major != line.babelfish.postgresMajor {
            issues.append(
                ValidationIssue(
                    path.appending("postgres"),
                    "Babelfish \(line.babelfish.major).x is built on PostgreSQL \(line.babelfish.postgresMajor), not \(line.postgres.major)",
                    fix:
                        "use a PostgreSQL \(line.babelfish.postgresMajor).x version that Babelfish \(line.babelfish) was released for (its engine tag is BABEL_..._PG_\(line.babelfish.postgresMajor)_<minor>)"
                ))
        }
        if !isDottedVersion(line.antlr, parts: 2...3) {
            issues.append(
                ValidationIssue(path.appending("antlr"), "\"\(line.antlr)\" is not an ANTLR version", fix: "write e.g. \"4.13.2\""))
        }
        let hintPlanPrefix = "REL\(line.postgres.major)_"
        if line.pgHintPlan.wholeMatch(of: /REL[0-9]+_[0-9]+_[0-9]+_[0-9]+/) == nil || !line.pgHintPlan.hasPrefix(hintPlanPrefix) {
            issues.append(
                ValidationIssue(
                    path.appending("pgHintPlan"),
                    "\"\(line.pgHintPlan)\" is not a pg_hint_plan release tag for PostgreSQL \(line.postgres.major)",
                    fix:
                        "write the ossc-db/pg_hint_plan tag of the release for PostgreSQL \(line.postgres.major), \(hintPlanPrefix)<major>_<minor>_<patch> (e.g. REL16_1_6_0 for PostgreSQL 16)"
                ))
        }
        if !isDottedVersion(line.postgis, parts: 3...3) {
            issues.append(
                ValidationIssue(
                    path.appending("postgis"), "\"\(line.postgis)\" is not a PostGIS version",
                    fix: "write MAJOR.MINOR.PATCH, e.g. \"3.4.0\""))
        }
        var seenCultures: Set<String> = []
        for (index, culture) in line.cultures.enumerated() {
            let culturePath = path.appending("cultures").appending(index: index)
            if culture.wholeMatch(of: /[a-z]{2,3}-[A-Z]{2}/) == nil {
                issues.append(
                    ValidationIssue(
                        culturePath, "\"\(culture)\" is not a culture name",
                        fix: "write language-REGION as Babelfish's culture table does, e.g. \"en-US\" (its locale en_US is generated)"))
            } else if !seenCultures.insert(culture).inserted {
                issues.append(ValidationIssue(culturePath, "\"\(culture)\" is listed twice", fix: "remove the duplicate"))
            }
        }
        if versions.distributions[line.distribution] == nil {
            issues.append(
                ValidationIssue(
                    path.appending("distribution"), "\"\(line.distribution)\" is not one of the distributions",
                    fix: "use one of: \(versions.distributionNames.map { "\"\($0)\"" }.joined(separator: ", "))"))
        }
        // Archive names derive from the versions: with a malformed one, the entries cannot be judged.
        if issues.isEmpty {
            issues += checksumIssues(name, line, versions, at: path.appending("checksums"))
        }
        issues += patchIssues(line, at: path.appending("patches"))
        return issues
    }

    private static func checksumIssues(
        _ name: String, _ line: ReleaseLine, _ versions: Versions, at checksumsPath: JSONPath
    ) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        let needed = versions.sources(for: line).map(\.file)
        for file in needed where line.checksums[file] == nil {
            issues.append(
                ValidationIssue(
                    checksumsPath.appending(file), "no entry for an archive this line uses",
                    fix: "add \"\(file)\": {\"sha256\": null, \"localArchiveSha256\": null} and run bbf pin --line \(name)"))
        }
        for file in line.checksums.keys.sorted() {
            let entryPath = checksumsPath.appending(file)
            if !needed.contains(file) {
                issues.append(
                    ValidationIssue(
                        entryPath, "not an archive of this line (it uses \(needed.joined(separator: ", ")))",
                        fix: "remove the entry (it is left over from other versions or another source layout)"))
            }
            guard let checksum = line.checksums[file] else { continue }
            for (key, value) in [("sha256", checksum.sha256), ("localArchiveSha256", checksum.localArchiveSha256)] {
                if let value, !isSHA256(value) {
                    issues.append(
                        ValidationIssue(
                            entryPath.appending(key), "\"\(value)\" is not a sha256",
                            fix: "write 64 lower-case hex digits, or null when it is not known (never a guess): bbf pin fills it in"))
                }
            }
        }
        return issues
    }

    private static func patchIssues(_ line: ReleaseLine, at path: JSONPath) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        var seen: Set<String> = []
        for (index, patch) in line.patches.enumerated() {
            let patchPath = path.appending(index: index).appending("file")
            if patch.file.wholeMatch(of: /[A-Za-z0-9][A-Za-z0-9._+-]*\.patch/) == nil {
                issues.append(
                    ValidationIssue(
                        patchPath, "\"\(patch.file)\" is not a patch file name",
                        fix: "name it like 0001-short-description.patch (no directories)"))
            } else if !seen.insert(patch.file).inserted {
                issues.append(ValidationIssue(patchPath, "\"\(patch.file)\" is listed twice", fix: "remove the duplicate"))
            }
        }
        return issues
    }

    static func isSHA256(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    static func isDottedVersion(_ text: String, parts: ClosedRange<Int>) -> Bool {
        guard let numbers = VersionOrder.numbers(text) else { return false }
        return parts.contains(numbers.count)
    }

    private static func isPlainFileName(_ text: String) -> Bool {
        !text.isEmpty && !text.contains("/") && text != "." && text != ".." && !text.contains(" ")
    }
}

/// Container image references.
public enum ImageReference {
    /// Why `reference` is not `[registry/]name[:tag][@sha256:digest]`, or nil.
    public static func problem(_ reference: String) -> String? {
        var rest = Substring(reference)
        if let at = rest.firstIndex(of: "@") {
            let digest = rest[rest.index(after: at)...]
            guard digest.hasPrefix("sha256:"), VersionsValidator.isSHA256(String(digest.dropFirst(7))) else {
                return "\"\(reference)\" has a malformed digest (expected @sha256:<64 lower-case hex digits>)"
            }
            rest = rest[..<at]
        }
        var name = rest
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            let tag = rest[rest.index(after: colon)...]
            guard tag.wholeMatch(of: /[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}/) != nil else {
                return "\"\(reference)\" has a malformed tag"
            }
            name = rest[..<colon]
        } else if !reference.contains("@") {
            return "\"\(reference)\" has no tag (write name:tag, optionally with @sha256:<digest>, so builds are repeatable)"
        }
        return repositoryProblem(String(name)).map { _ in "\"\(reference)\" has a malformed image name" }
    }

    /// Why `repository` is not `[registry[:port]/]path`, or nil.
    public static func repositoryProblem(_ repository: String) -> String? {
        var components = repository.split(separator: "/", omittingEmptySubsequences: false)
        guard !components.isEmpty else { return "the repository is empty" }
        if components.count > 1, let first = components.first, first.contains(".") || first.contains(":") || first == "localhost" {
            guard first.wholeMatch(of: /[A-Za-z0-9.-]+(:[0-9]+)?/) != nil else { return "\"\(repository)\" has a malformed registry host" }
            components.removeFirst()
        }
        for component in components where component.wholeMatch(of: /[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*/) == nil {
            return "\"\(repository)\" is not a valid repository name (lower-case letters, digits, and . _ - between them)"
        }
        return nil
    }
}
