import Foundation

extension Versions {
    /// Parses and validates versions.json text.
    ///
    /// - Throws: `BuildToolError` `.unreadableVersions` for a syntax error (with
    ///   line and column), `.invalidVersions` listing every problem by JSON path.
    public static func parse(_ text: String, fileName: String = "versions.json") throws(BuildToolError) -> Versions {
        let data = Data(text.utf8)
        // JSONSerialization is the stricter parser (JSONDecoder takes raw control
        // characters in strings) and says where a syntax error is.
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw BuildToolError(.unreadableVersions, "\(fileName) is not valid JSON: \(JSONSyntax.describe(error, in: data))")
        }
        var issues = JSONSyntax.duplicateKeys(in: data).map {
            ValidationIssue($0, "the key appears twice", fix: "keep only one of them")
        }
        do {
            let versions = try JSONDecoder().decode(Versions.self, from: data)
            issues += VersionsValidator.issues(in: versions)
            if issues.isEmpty { return versions }
        } catch let problems as DecodingProblems {
            issues += problems.issues
        } catch {
            issues.append(ValidationIssue(.root, "cannot be read: \(error)", fix: "see docs/BUILDING.md for the schema"))
        }
        if issues.isEmpty {
            issues.append(ValidationIssue(.root, "cannot be read", fix: "see docs/BUILDING.md for the schema"))
        }
        throw BuildToolError(.invalidVersions, problemsHeading(fileName, issues.count), issues: issues)
    }

    /// Every rule violation (empty when the value could be written out and read back).
    public var validationIssues: [ValidationIssue] { VersionsValidator.issues(in: self) }

    /// The file's text in canonical form (`CanonicalJSON`): sorted keys,
    /// two-space indentation, so an edit of one value changes one line.
    public func serialized() -> String {
        do {
            return try CanonicalJSON.text(of: self)
        } catch {
            // Only non-finite floating-point numbers fail to encode, and versions.json has none.
            preconditionFailure("versions.json cannot be encoded: \(error)")
        }
    }

    private static func problemsHeading(_ fileName: String, _ count: Int) -> String {
        "\(fileName) has \(count) problem\(count == 1 ? "" : "s"):"
    }

    /// The line named `name`, or an error listing the lines there are.
    public func line(named name: String) throws(BuildToolError) -> ReleaseLine {
        guard let line = lines[name] else {
            throw BuildToolError(
                .invalidArgument, "there is no line \"\(name)\" in versions.json; the lines are: \(lineNames.joined(separator: ", "))")
        }
        return line
    }

    /// The distribution named `name`, or an error listing the distributions there are.
    public func distribution(named name: String) throws(BuildToolError) -> Distribution {
        guard let distribution = distributions[name] else {
            throw BuildToolError(
                .invalidArgument,
                "there is no distribution \"\(name)\" in versions.json; the distributions are: \(distributionNames.joined(separator: ", "))"
            )
        }
        return distribution
    }

    /// Archives whose checksums are not known yet, per line.
    public func unpinnedSources() -> [(line: String, source: ResolvedSource)] {
        lineNames.flatMap { name -> [(line: String, source: ResolvedSource)] in
            guard let line = lines[name] else { return [] }
            return sources(for: line).filter { $0.checksum.sha256 == nil }.map { (name, $0) }
        }
    }
}
